"""`wasmote sim --background` prints the boot lines it read up to `ready`: the device's
own output. They were printed raw, and the lines of a read that went on past `ready`
were taken too, which may be the first events of autostart modules (COBS leaves every
byte but 0x00 as it is: a module's log text with its escapes and newlines). Now the boot
lines are escaped and nothing after `ready` is taken."""

from __future__ import annotations

from collections.abc import Iterator
from types import TracebackType

from tests.harness.posix_device import PosixDevice
from wasmote import sim

BOOT = [b"wasmote 1.0 \x1b]0;title\x07 on posix\r\nself-test ok\r\nrea",
        b"dy\r\n\x05evil\x1b[2J\ncalc: forged line\n"]


class BootOutput:
    def __init__(self, chunks: list[bytes]) -> None:
        self.chunks: Iterator[bytes] = iter(chunks)

    def read(self, n: int) -> bytes:
        return next(self.chunks, b"")

    def __enter__(self) -> BootOutput:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        pass


class FakeSim:
    board = "posix"
    gdb = False

    def __init__(self, url: str) -> None:
        self.url = url

    def connect(self, timeout: float) -> BootOutput:
        return BootOutput(BOOT)

    def alive(self) -> bool:
        return True


def test_boot_lines_are_escaped_and_end_at_ready(device: PosixDevice) -> None:
    lines = sim.wait_ready(FakeSim(device.url), timeout=10.0)  # type: ignore[arg-type]
    assert lines[:3] == [r"wasmote 1.0 \x1b]0;title\x07 on posix", "self-test ok", "ready"]
    assert len(lines) == 4 and lines[3].startswith("info: ")
    assert not any("\x1b" in ln or "forged" in ln for ln in lines)
