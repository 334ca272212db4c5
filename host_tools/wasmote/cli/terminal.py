"""Text from a module on the terminal: its bytes are its own, so control characters (escape
sequences that could rewrite the screen) are shown escaped; newlines and tabs pass."""

from __future__ import annotations

import re

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def terminal_safe(data: bytes | str) -> str:
    """`data` decoded as UTF-8 (bad bytes as \\xNN), control characters but \\n and \\t as
    \\xNN."""
    text = data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


class StreamPrinter:
    """Writes pieces of several modules' streams, each line prefixed with its module's name
    when more than one module runs (a piece may end mid-line)."""

    def __init__(self, prefix: bool) -> None:
        self.prefix = prefix
        self._at_line_start: dict[tuple[str, bool], bool] = {}

    def text(self, module: str, stderr: bool, data: bytes) -> str:
        out = terminal_safe(data)
        if not self.prefix or not out:
            return out
        key = (module, stderr)
        lines = out.split("\n")
        start = self._at_line_start.get(key, True)
        pieces = []
        for i, ln in enumerate(lines):
            last = i == len(lines) - 1
            if last and not ln:
                break
            pieces.append((f"{module}: " if (start or i > 0) else "") + ln +
                          ("" if last else "\n"))
        self._at_line_start[key] = out.endswith("\n")
        return "".join(pieces)
