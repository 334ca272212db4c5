"""Module output (OUTPUT events) as `wasmote logs -f` prints it for several modules: each
line prefixed with its module's name (cli/terminal.py StreamPrinter). A module could
leave its line open, let another module's piece end it, and then go on at the start of
a line with its own text: `calc: forged` printed with no prefix of its own. The other
module's line was glued to the open one too. And the prefix was the event's module name
as the device sent it, unescaped."""

from __future__ import annotations

from wasmote.cli.terminal import StreamPrinter


def test_a_module_cannot_start_a_line_as_another_module() -> None:
    s = StreamPrinter(prefix=True)
    out = (s.text("a", False, b"x") + s.text("b", False, b"b line\n") +
           s.text("a", False, b"calc: forged\n"))
    assert out == "a: x\nb: b line\na: calc: forged\n"
    # one module's pieces still make one line, and stderr is a stream of its own
    s = StreamPrinter(prefix=True)
    assert s.text("a", False, b"one ") + s.text("a", False, b"line\n") == "a: one line\n"
    assert s.text("a", False, b"out") + s.text("a", True, b"err\n") == "a: out\na: err\n"


def test_the_module_name_of_an_event_is_escaped() -> None:
    s = StreamPrinter(prefix=True)
    assert s.text("\x1b[2Jm", False, b"hi\n") == "\\x1b[2Jm: hi\n"
