"""A module's stdout/stderr on the terminal: its bytes are its own, so they are shown
escaped like all device text (cli/output.py: control characters as \\xNN; newlines and
tabs pass), in pieces that may end mid-line."""

from __future__ import annotations

import click

from wasmote.cli.output import escape


def terminal_safe(data: bytes | str) -> str:
    """`data` decoded as UTF-8 (bad bytes as \\xNN) and escaped, newlines kept."""
    text = data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
    return escape(text, newlines=True)


class StreamPrinter:
    """Writes pieces of several modules' streams, each line prefixed with its module's name
    when more than one module runs (a piece may end mid-line). A piece of another stream
    while one's line is open ends that line first, and the open one's rest gets its prefix
    again: a module cannot leave a line open, let another module's end it, and go on at the
    start of a line with text of its own that looks like a third module's."""

    def __init__(self, prefix: bool) -> None:
        self.prefix = prefix
        self._at_line_start: dict[tuple[str, bool], bool] = {}
        self._open: tuple[str, bool] | None = None  # the stream whose line is open

    def text(self, module: str, stderr: bool, data: bytes) -> str:
        out = terminal_safe(data)
        if not out:
            return out
        key = (module, stderr)
        if not self.prefix:
            self._open = None if out.endswith("\n") else key
            return out
        pieces = []
        if self._open is not None and self._open != key:
            pieces.append("\n")
            self._at_line_start[self._open] = True
        lines = out.split("\n")
        start = self._at_line_start.get(key, True)
        name = escape(module)  # the device's word too
        for i, ln in enumerate(lines):
            last = i == len(lines) - 1
            if last and not ln:
                break
            pieces.append((f"{name}: " if (start or i > 0) else "") + ln +
                          ("" if last else "\n"))
        self._at_line_start[key] = out.endswith("\n")
        self._open = None if out.endswith("\n") else key
        return "".join(pieces)

    def close(self) -> tuple[str, bool]:
        """The line break that ends a line the output left open, and whether that line is
        on stderr; ("", False) when none is open. What is printed next (a log line, a
        trap, a result) then starts a line of its own."""
        if self._open is None:
            return "", False
        stderr = self._open[1]
        self._at_line_start[self._open] = True
        self._open = None
        return "\n", stderr


def end_open_line(printer: StreamPrinter) -> None:
    """Ends the line `printer`'s output left open (on its stream), if any."""
    nl, stderr = printer.close()
    if nl:
        click.echo(nl, nl=False, err=stderr)
