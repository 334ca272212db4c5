"""Peripherals under the supervisor on the posix device (its SIMULATED parts, port/posix/
sim_periph.c): what the scheduler does around a module waiting on a UART."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.harness.posix_device import PosixDevice
from tests.protocol.helpers import logs_with
from tests.sandbox.sandbox_support import package
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport

HERE = Path(__file__).resolve().parent


def _wat(name: str, tmp: Path) -> bytes:
    out = tmp / f"{name}.wasm"
    subprocess.run(["wat2wasm", str(HERE / "wat" / f"{name}.wat"), "-o", str(out)],
                   check=True)
    return out.read_bytes()


def _state_in(c: DeviceClient, name: str, states: tuple[str, ...]) -> str:
    """Polls LIST until module `name` is in one of `states` (60 s only as an upper bound)."""
    deadline = time.monotonic() + 60
    while (state := {m.name: m.state for m in c.modules()}[name]) not in states:
        assert time.monotonic() < deadline, f"{name} stayed {state}, never {states}"
        time.sleep(0.05)
    return state


def _poke_a_blocked_reader(tmp_path: Path, reader: bytes, name: str,
                           check: Callable[[DeviceClient], None]) -> None:
    """Pushes the reader and the poker (a message on uart/poke, then "hi" on the aux UART
    200 ms later), starts the reader, and once it waits in uart_read starts the poker and
    hands the client to `check`."""
    poker = package(_wat("uart_poker", tmp_path), "poker",
                    ["pubsub:uart/*", "uart:aux", "sleep"], entry="run")
    with PosixDevice(tmp_path / "flash.bin") as dev:
        c = DeviceClient(SerialTransport(dev.url), timeout=5.0)
        try:
            c.push(name, reader)
            c.push("poker", poker)
            c.start(name)
            _state_in(c, name, ("waiting",))
            c.start("poker")
            check(c)
        finally:
            c.transport.close()


def test_uart_read_waits_for_its_uart_not_for_messages(tmp_path: Path) -> None:
    """A module asleep in uart_read(-1) is not woken by a message in its queue (which would
    end the read early with WM_E_TIMEOUT): only bytes on its UART end the wait."""
    waiter = package(_wat("uart_waiter", tmp_path), "waiter",
                     ["pubsub:uart/*", "uart:aux", "log"], entry="run")

    def check(c: DeviceClient) -> None:
        logs = logs_with(c, "waiter: read ")
        assert "waiter: read 2" in logs, logs

    _poke_a_blocked_reader(tmp_path, waiter, "waiter", check)


def test_a_read_woken_by_its_bytes_leaves_no_wait_armed(tmp_path: Path) -> None:
    """uart_read(-1) woken by bytes on its UART returned them without consuming the wait it
    had armed, so the module's next blocking call (here a second uart_read(-1)) returned
    WM_E_TIMEOUT at once instead of waiting (the bug receive had, issue 14 item 15)."""
    reader = package(_wat("uart_twice", tmp_path), "twice", ["uart:aux", "log"], entry="run")

    def check(c: DeviceClient) -> None:
        logs_with(c, "twice: read 2")
        # nothing blocks between the first read's log and the second read: the next
        # settled state is the second wait (or, with the wait left armed, the exit)
        assert _state_in(c, "twice", ("waiting", "exited")) == "waiting", c.logs()
        assert "twice: read -7" not in c.logs()

    _poke_a_blocked_reader(tmp_path, reader, "twice", check)
