"""Device text on the terminal: every Unicode Bidi_Control character is shown escaped. The
embeddings, overrides and isolates were; the marks ALM, LRM and RLM (U+061C, U+200E,
U+200F) passed raw, and they reorder what is around them too: a module name or log line
ending in RLM displays the text after it in another order."""

from __future__ import annotations

import unicodedata

from wasmote.device import protocol as p
from wasmote.terminal_text import escape_controls

# Unicode's Bidi_Control property (PropList.txt)
BIDI_CONTROL = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
EXPLICIT = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}


def test_every_bidi_control_is_escaped() -> None:
    for cp in BIDI_CONTROL:
        ch = chr(cp)
        assert escape_controls(f"a{ch}b") == f"a\\u{cp:04x}b", hex(cp)
        assert escape_controls(ch, keep_newlines=True) == f"\\u{cp:04x}"
    # and nothing of an explicit bidi class or a control category is left anywhere
    for cp in range(0x110000):
        ch = chr(cp)
        if unicodedata.category(ch) == "Cc" or unicodedata.bidirectional(ch) in EXPLICIT:
            assert escape_controls(ch) != ch, hex(cp)


def test_a_log_line_with_a_mark_prints_escaped() -> None:
    ev = p.Event(p.Msg.EV_LOG, "calc\u200f", "x\u061cy", b"")
    assert ev.render() == "calc\\u200f: x\\u061cy"
