"""`wasmote info/push/ls/run/stop/rm/logs/reset` against the posix device."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import serial.tools.list_ports
from click.testing import CliRunner

import wasmote.cli.device_cmds  # noqa: F401  (registers the commands even before __init__ does)
from tests.harness.posix_device import PosixDevice
from tests.protocol.helpers import image
from tests.supervisor.modules import package
from wasmote import sim
from wasmote.cli import main


def _run(*args: str) -> tuple[int, str, str]:
    r = CliRunner().invoke(main, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.exception
    return r.exit_code, r.stdout, r.stderr


def test_push_ls_rm_reset_logs(device: PosixDevice, tmp_path: Path) -> None:
    port = ("--port", device.url)
    mod = tmp_path / "blinky.wasm"
    mod.write_bytes(image(9000, 1))
    code, out, _ = _run("info", *port)
    assert code == 0 and "protocol:  1" in out and "board:     posix" in out
    code, out, err = _run("push", str(mod), "--autostart", *port)
    assert code == 0, err
    assert out.startswith("pushed blinky: 9000 bytes")
    code, out, _ = _run("push", str(mod), "--name", "copy", *port)
    assert code == 0
    code, out, _ = _run("ls", *port)
    lines = out.splitlines()
    assert code == 0 and len(lines) == 4, out
    assert lines[0].split()[:3] == ["NAME", "STATE", "KIND"]
    # autostart starts it at once: this filler module has no _start, so it cannot run
    assert lines[1].startswith("blinky") and lines[1].endswith("autostart")
    assert lines[1].split()[1] == "failed"
    assert lines[2].strip() == "last: no exported function '_start' to start (export _start "\
        "or set entry in the manifest); it exports no function"  # LIST keeps 159 bytes
    assert lines[3].startswith("copy") and lines[3].split()[1] == "idle"
    assert "autostart" not in lines[3]
    assert _run("reset", *port)[:2] == (0, "reset\n")
    code, out, _ = _run("logs", *port)
    assert code == 0 and "blinky: autostart" in out
    assert _run("rm", "copy", *port)[:2] == (0, "removed copy\n")
    assert _run("rm", "blinky", *port)[0] == 0
    assert _run("ls", *port)[1] == "no modules\n"


def test_a_package_is_pushed_under_its_own_name(device: PosixDevice, tmp_path: Path) -> None:
    """Issue 14 item 7: its kv data, pin and crash count go by the manifest name, so a push
    under another name is refused on the host and, without the host check, by the device."""
    port = ("--port", device.url)
    pkg = tmp_path / "kvuser.wmp"
    pkg.write_bytes(package("kvuser"))
    code, _, err = _run("push", str(pkg), "--name", "other", *port)
    assert code == 2 and err == (f"error: {pkg}: the package is named 'kvuser' in its "
                                 "manifest; a device installs a package only under its own "
                                 "name (drop --name other)\n")
    code, _, err = _run("push", str(pkg), "--name", "other", "--no-host-check", *port)
    assert code == 1 and "(BAD_NAME)" in err and "installed as 'other'" in err
    code, out, _ = _run("push", str(pkg), *port)
    assert code == 0 and out.startswith("pushed kvuser: ")
    assert [ln.split()[0] for ln in _run("ls", *port)[1].splitlines()[1:]] == ["kvuser"]


class _FakeUsbPort:
    """A USB serial port as pyserial lists it (no USB hardware exists on the test machine)."""

    def __init__(self, device: str) -> None:
        self.device, self.vid = device, 0x0483


def test_port_auto_needs_exactly_one_usb_serial_device(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim, "list_sims", lambda: [])
    for found, said in (([], "found no USB serial device; for a sim, start one (wasmote sim "
                             "--background) and pass the port it prints. `wasmote ports` "
                             "lists what there is"),
                        (["/dev/ttyACM0", "/dev/ttyUSB0"],
                         "found 2 USB serial devices (/dev/ttyACM0, /dev/ttyUSB0): pass "
                         "--port (-p) with one")):
        monkeypatch.setattr(serial.tools.list_ports, "comports",
                            lambda found=found: [_FakeUsbPort(d) for d in found])
        code, _, err = _run("ls", "--port", "auto")
        assert code == 3
        assert err == f"error: --port auto {said}\n"
    monkeypatch.setattr(serial.tools.list_ports, "comports",
                        lambda: [_FakeUsbPort("/dev/nonexistent-wasmote-tty")])
    code, _, err = _run("ls", "--port", "auto")  # the one device is picked (and fails to open)
    assert code == 3 and err.startswith("error: cannot open /dev/nonexistent-wasmote-tty")


def test_errors_are_one_line_and_non_zero(device: PosixDevice, tmp_path: Path) -> None:
    port = ("--port", device.url)
    code, _, err = _run("rm", "ghost", *port)
    assert code == 1 and err == "error: device refused REMOVE: no such module (NOT_FOUND)\n"
    notwasm = tmp_path / "notes.txt"
    notwasm.write_text("hello")
    code, _, err = _run("push", str(notwasm), *port)
    assert code == 2 and "not a wasm module" in err and len(err.splitlines()) == 1
    mod = tmp_path / "x.wasm"
    mod.write_bytes(image(100, 2))
    code, _, err = _run("push", str(mod), "--name", "bad name!", *port)
    assert code == 2 and "module name" in err
    code, _, err = _run("run", "x", "--invoke", "main", "i32:1", *port)
    assert code == 1 and err == "error: device refused RUN: no such module (NOT_FOUND)\n"
    truncated = tmp_path / "cut.wasm"
    truncated.write_bytes(image(300, 3)[:-10])
    code, _, err = _run("push", str(truncated), *port)  # refused on the host, with where
    assert code != 0 and err.startswith(f"{truncated}:0x") and len(err.splitlines()) == 1
    code, _, err = _run("push", str(truncated), "--no-host-check", *port)  # and on the device
    assert code == 1 and "(INVALID_MODULE)" in err and "invalid module at 0x" in err
    code, _, err = _run("info", "--port", "socket://127.0.0.1:1")
    assert code == 3 and err.startswith("error: nothing listens at socket://127.0.0.1:1")
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_run_and_push_give_up_on_a_silent_device_within_timeout(tmp_path: Path) -> None:
    """RUN and PUSH_BEGIN wait long for their answers (a module runs, flash erases); a device
    that answers nothing at all is reported after --timeout x tries, not after those (the
    message says how long the client waited: no clock of the host's is asserted)."""
    import socket
    import threading

    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    conns: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                conns.append(srv.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    port = ("--port", f"socket://127.0.0.1:{srv.getsockname()[1]}", "--timeout", "0.2")
    mod = tmp_path / "m.wasm"
    mod.write_bytes(image(3000, 2))
    try:
        for args in (["run", "m"], ["push", str(mod)]):
            code, _, err = _run(*args, *port)
            assert code != 0 and "no answer to INFO" in err, (args, err)
            assert "after 4 tries of 0.2 s" in err, (args, err)  # not 30 s or 10 s per try
    finally:
        srv.close()
        for s in conns:
            s.close()


def test_logs_follow_is_subscribed_before_it_says_following(
        device: PosixDevice, monkeypatch: pytest.MonkeyPatch) -> None:
    """`logs -f`'s "following" line is what a script waits for before it starts a module;
    on a provisioned device only a subscriber gets module output, so the SUBSCRIBE must be
    answered before that line (it used to come after it)."""
    import click

    from wasmote.cli import device_cmds
    from wasmote.device.client import DeviceClient

    order: list[str] = []
    subscribe, echo = DeviceClient.subscribe, click.echo

    def recorded_subscribe(self: DeviceClient, seconds: int) -> None:
        subscribe(self, seconds)
        order.append("subscribed")

    def recorded_echo(message: Any = None, *args: Any, **kw: Any) -> None:
        if isinstance(message, str) and message.startswith("following "):
            order.append("following")
        echo(message, *args, **kw)

    monkeypatch.setattr(DeviceClient, "subscribe", recorded_subscribe)
    monkeypatch.setattr(click, "echo", recorded_echo)  # device_cmds calls click.echo
    monkeypatch.setattr(device_cmds, "_events", lambda c, renewed: iter(()))  # then it ends
    code, _, err = _run("logs", "-f", "--port", device.url)
    assert code == 0, err
    assert order == ["subscribed", "following"]
