"""Device text made safe for a terminal: the one helper every print path uses.

Anything a device sends (module log lines, trap reasons, names, firmware strings, error
messages) is attacker-controlled. Printed raw, it can move the cursor, recolour or clear
the screen, set the window title, write the clipboard (OSC 52), or forge whole lines that
seem to come from another module. `escape_controls` shows every C0 control (newline and
tab included: one device string is one line), DEL, every C1 control and the Unicode
bidirectional controls (overrides, embeddings, isolates, marks) as visible escapes
(`\\x1b`, `\\x9b`, `\\u202e`); printable text is unchanged.
"""

from __future__ import annotations

import re

# C0, DEL, C1; every Unicode Bidi_Control character (embeddings, overrides, isolates and
# the marks ALM, LRM, RLM, which reorder the text around them as well); line and
# paragraph separators
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")
_UNSAFE_BUT_NEWLINE = re.compile(f"[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029{_BIDI}]")


def _escape(m: re.Match[str]) -> str:
    c = ord(m.group())
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def escape_controls(text: str, keep_newlines: bool = False) -> str:
    """`keep_newlines`: for text the host itself made of lines (LOGS rendered line by
    line), whose newlines are the host's own."""
    return (_UNSAFE_BUT_NEWLINE if keep_newlines else _UNSAFE).sub(_escape, text)


def escape_line(text: str) -> str:
    """One log line: its own trailing line break dropped, everything else escaped."""
    return escape_controls(text.rstrip("\r\n"))
