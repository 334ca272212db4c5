"""A device client on a freshly booted QEMU board, for the tests that talk to the product
firmware over its emulated UART."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from wasmote import sim
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport


@contextmanager
def booted_client(board: str, timeout: float,
                  qemu_args: tuple[str, ...] = (),
                  icount: sim.Icount = False,
                  flash: Path | None = None) -> Iterator[DeviceClient]:
    """QEMU running `board`'s firmware (built if needed), a client waiting `timeout` for
    each answer; both closed afterwards. `icount`, `flash`: as sim.launch's (the store is
    restored from `flash` and saved to it at the end)."""
    s = sim.launch(board, qemu_args=qemu_args, icount=icount, flash=flash)
    try:
        c = DeviceClient(SerialTransport(s.url, open_timeout=10.0), timeout=timeout)
        try:
            if flash is not None:
                sim.restore_flash(s)  # the guest waits, paused, until its store is written
            yield c
        finally:
            c.transport.close()
    finally:
        s.stop()
