"""`wasmote monitor` against a hostile device's console text (bytes outside the protocol,
passed on by the relay as CONSOLE frames of at most 1 KiB): a device that never sends a
newline must not make the monitor hold, and rescan for a newline, everything it sent."""

from __future__ import annotations

import pytest

from wasmote.cli.loop_cmds import CONSOLE_LINE_MAX, _Lines


def test_a_console_line_without_end_is_shown_in_bounded_pieces(
        capsys: pytest.CaptureFixture[str]) -> None:
    lines = _Lines(timestamps=False)
    for _ in range(1000):  # 1 MiB with no newline: held whole before, printed never
        lines.feed(b"A" * 1024)
        assert len(lines.buf) <= CONSOLE_LINE_MAX
    lines.feed(b"\x1b]52;c;AAAA\x07tail\r\n")
    out = capsys.readouterr().out.split("\n")
    assert out[-1] == ""
    assert all(len(ln) <= CONSOLE_LINE_MAX for ln in out)
    assert sum(ln.count("A") for ln in out) == 1000 * 1024 + 4  # nothing lost
    assert out[-2].endswith("\\x1b]52;c;AAAA\\x07tail")  # escaped, the CR dropped
    assert lines.buf == b""
