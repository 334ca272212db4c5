"""The everyday loop on a real QEMU sim: a monitor open beside push and run (on the sim's
socket and on a pty bridged to it, the "real port" case), a port that another program
holds, a second sim on a taken port, and the flash kept across a sim restart."""

from __future__ import annotations

import os
import select
import socket
import subprocess
import threading
import tty
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.loop.conftest import command_running
from tests.protocol.helpers import image
from wasmote import sim
from wasmote.boards import load_board
from wasmote.device.client import DeviceClient
from wasmote.device.relay import open_line, relay_pids
from wasmote.device.transport import SerialTransport

pytestmark = pytest.mark.qemu
WAT = Path(__file__).resolve().parents[1] / "protocol" / "wat"
BOARD = "mps2-an386"


def _wasmote(*args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["wasmote", *args], capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


@pytest.fixture
def a_sim() -> Iterator[sim.Sim]:
    s = sim.start_background(BOARD)
    try:
        yield s
    finally:
        s.stop()


class PtyBridge:
    """A pty whose other end is the sim's UART: to wasmote, a serial device like any USB
    adapter (pyserial opens it, sets it raw, /proc shows who holds it)."""

    def __init__(self, url: str) -> None:
        self.master, slave = os.openpty()
        tty.setraw(slave)  # stays raw for whoever opens it next
        self.path = os.ttyname(slave)
        os.close(slave)    # nobody holds the device side until wasmote opens it
        host, port = url.removeprefix("socket://").rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)))
        self.stop = False
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        while not self.stop:
            ready, _, _ = select.select([self.master, self.sock.fileno()], [], [], 0.2)
            for fd in ready:
                try:
                    if fd == self.sock.fileno():
                        data = self.sock.recv(65536)
                        if not data:
                            return
                        os.write(self.master, data)
                    else:
                        os.write(self.sock.fileno(), os.read(self.master, 65536))
                except OSError:  # EIO while no one has the device side open
                    select.select([], [], [], 0.05)

    def close(self) -> None:
        self.stop = True
        self.thread.join()
        self.sock.close()
        os.close(self.master)


def _ticker(tmp: Path) -> Path:
    out = tmp / "ticker.wasm"
    subprocess.run(["wat2wasm", str(WAT / "ticker.wat"), "-o", str(out)], check=True)
    return out


def _monitor_beside_push_and_run(port: str, tmp: Path) -> None:
    with command_running(["wasmote", "logs", "-f", "-p", port], "following") as out:
        big = tmp / "big.wasm"
        big.write_bytes(image(48 * 1024, 3))
        r = _wasmote("push", str(big), "-p", port)
        assert r.returncode == 0 and "pushed big: 49152 bytes" in r.stdout, r.stderr
        r = _wasmote("push", str(_ticker(tmp)), "-p", port)
        assert r.returncode == 0, r.stderr
        r = _wasmote("run", "ticker", "-p", port)  # its entry: _start (no manifest)
        assert r.returncode == 0 and r.stdout.count("tick") == 5, (r.stdout, r.stderr)
        out.wait_for("ticker: tick")  # the monitor saw it too, at the same time
        r = _wasmote("push", str(big), "-p", port)
        assert "already installed, identical" in r.stdout, r.stderr


def test_loop_monitor_beside_push_on_sim_socket(a_sim: sim.Sim, relay_dir: Path,
                                                 tmp_path: Path) -> None:
    _monitor_beside_push_and_run(str(a_sim.port), tmp_path)
    # `wasmote monitor`: the raw console too, e.g. the banner of a reboot, escaped
    with command_running(["wasmote", "monitor", "-p", str(a_sim.port)], "monitor on") as out:
        assert _wasmote("reset", "-p", str(a_sim.port)).returncode == 0
        out.wait_for(f"board={BOARD}")  # the boot banner, outside the protocol
        out.wait_for("selftest done pass=")


def test_loop_monitor_beside_push_on_pty(a_sim: sim.Sim, relay_dir: Path,
                                         tmp_path: Path) -> None:
    bridge = PtyBridge(a_sim.url)
    try:
        _monitor_beside_push_and_run(bridge.path, tmp_path)
        # a program that is not wasmote holds the tty: said precisely, nothing stolen
        for pid in relay_pids(relay_dir):
            assert sim._gone(pid) or _wait_exit(pid)
        holder = os.open(bridge.path, os.O_RDWR | os.O_NOCTTY)
        try:
            r = _wasmote("info", "-p", bridge.path)
            assert r.returncode == 3
            assert f"{bridge.path} is already open in pid {os.getpid()}" in r.stderr
        finally:
            os.close(holder)
    finally:
        bridge.close()


def _wait_exit(pid: int) -> bool:
    from tests.loop.conftest import wait_gone

    return wait_gone(pid)


def test_loop_sim_socket_held_by_another_program(a_sim: sim.Sim, relay_dir: Path) -> None:
    with socket.create_connection(("127.0.0.1", a_sim.port)):
        r = _wasmote("ls", "-p", a_sim.url)
    assert r.returncode == 3
    assert f"{a_sim.url} is already connected to pid {os.getpid()}" in r.stderr
    assert relay_pids(relay_dir) == []


def test_loop_sim_on_a_taken_port_orphans_nothing(a_sim: sim.Sim) -> None:
    log = Path(a_sim.log)
    r = _wasmote("sim", "--port", str(a_sim.port), "--background", "--no-build", "--fresh")
    assert r.returncode != 0
    assert f"port {a_sim.port} is already used by the {BOARD} sim (pid {a_sim.pid})" \
        in r.stderr
    assert [s.pid for s in sim.list_sims() if s.port == a_sim.port] == [a_sim.pid]
    assert log.is_file() and a_sim.record.is_file()
    t = SerialTransport(a_sim.url)
    try:
        assert DeviceClient(t, timeout=3.0, retries=5).info().board == BOARD
    finally:
        t.close()


def test_loop_sim_keeps_its_flash_across_restart(tmp_path: Path, relay_dir: Path) -> None:
    flash = tmp_path / "board.flash"
    first = sim.start_background(BOARD, flash=flash)
    try:
        assert any("flash:" in ln and "(new)" in ln for ln in first.boot_log)
        c = DeviceClient(open_line(first.url), timeout=3.0)
        c.push("kept", image(5000, 9))
        c.transport.close()
    finally:
        first.stop()
    assert flash.stat().st_size == load_board(BOARD).store.size
    second = sim.start_background(BOARD, flash=flash, build=False)
    try:
        assert any("(restored)" in ln for ln in second.boot_log)
        c = DeviceClient(open_line(second.url), timeout=3.0)
        assert [m.name for m in c.modules()] == ["kept"]
        c.transport.close()
        with pytest.raises(sim.SimError, match="is the flash of the running"):
            sim.launch(BOARD, flash=flash, build=False)
    finally:
        second.stop()


def test_loop_push_says_why_aot_code_is_ignored(a_sim: sim.Sim, relay_dir: Path) -> None:
    from tests.supervisor.test_supervisor_aot import _native

    c = DeviceClient(open_line(a_sim.url), timeout=3.0)
    try:
        r = c.push("kvuser", _native("kvuser", None))  # unsigned, on an unprovisioned board
        assert r.note == ("AOT code ignored: native code runs only from packages signed by "
                          "a provisioned key")
        assert c.push("plain", image(300, 1)).note == ""
    finally:
        c.transport.close()
