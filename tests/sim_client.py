"""A device client on a freshly booted QEMU board, for the tests that talk to the product
firmware over its emulated UART."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.harness.transports import ReplayingTransport
from wasmote import sim
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport, Transport

# An upper bound on a boot (the banner comes before the store's autostart), for a loaded
# machine; the wait ends at the banner.
BOOT_TIMEOUT = 120.0
_BANNER_END = b"\n" + p.BOOT_READY_LINE


def past_banner(line: Transport, what: str) -> Transport:
    """`line` after the firmware's boot output up to its `ready` line (what followed that
    is read first). Wait for it before the first request to a board that QEMU started
    with the connection: QEMU
    starts the guest when the first client connects (wait=on); bytes that reach the UART
    before the firmware has enabled its receiver are dropped, as on a real board, so a
    request sent at once was lost and answered only after one client timeout."""
    buf = b""
    silent = 0.0
    while silent < BOOT_TIMEOUT:
        data = line.read(0.5)
        silent += 0.0 if data else 0.5
        buf += data
        at = buf.find(_BANNER_END)
        if at >= 0:
            return ReplayingTransport(line, buf[at + len(_BANNER_END):])
    raise AssertionError(f"{what}: no `ready` in the boot output after {BOOT_TIMEOUT:g} s "
                         f"of silence: {buf[-300:]!r}")


@contextmanager
def booted_client(board: str, timeout: float,
                  qemu_args: tuple[str, ...] = (),
                  icount: sim.Icount = False,
                  flash: Path | None = None) -> Iterator[DeviceClient]:
    """QEMU running `board`'s firmware (built if needed), booted up to its `ready` banner,
    and a client waiting `timeout` for each answer; both closed afterwards. `icount`,
    `flash`: as sim.launch's (the store is restored from `flash` and saved to it at the
    end)."""
    s = sim.launch(board, qemu_args=qemu_args, icount=icount, flash=flash)
    try:
        line = SerialTransport(s.url, open_timeout=10.0)
        try:
            if flash is not None:
                sim.restore_flash(s)  # the guest waits, paused, until its store is written
            yield DeviceClient(past_banner(line, board), timeout=timeout)
        finally:
            line.close()
    finally:
        s.stop()
