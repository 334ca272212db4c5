"""Simulated boards: the firmware running in QEMU with its UART on a local TCP socket.

QEMU runs with `-serial tcp:127.0.0.1:PORT,server=on,wait=on`: it binds the port, then
holds the guest until the first client connects, so that client sees the firmware from its
very first byte (banner, self-test). A background sim is made ready by connecting once,
reading the boot output up to `ready` and asking the device protocol for INFO; later
clients (the device commands, pyserial's `socket://127.0.0.1:PORT`) reconnect at will.

Background sims are recorded in build/sim/<port>.json (pid, port, board) so that
`wasmote sim stop [URL]` can find them from another process.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from wasmote.boards import Board, load_board
from wasmote.errors import UsageError, WasmoteError
from wasmote.paths import BUILD_DIR

SIM_DIR = BUILD_DIR / "sim"
HOST = "127.0.0.1"
ICOUNT_ARGS = ("-icount", "shift=0,align=off,sleep=off")


class SimError(WasmoteError):
    """QEMU could not be started, or the firmware did not answer."""


@dataclass
class Sim:
    """One running QEMU. `proc` is set only in the process that started it."""

    board: str
    pid: int
    port: int
    elf: str
    log: str
    boot_log: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def url(self) -> str:
        return f"socket://{HOST}:{self.port}"

    @property
    def record(self) -> Path:
        return SIM_DIR / f"{self.port}.json"

    def alive(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        return _is_our_qemu(self.pid, self.port)

    def connect(self, timeout: float = 5.0) -> Any:
        """A pyserial port on the sim's UART (the same URL works for any device command)."""
        import serial

        return serial.serial_for_url(self.url, timeout=timeout)

    def stop(self, timeout: float = 5.0) -> None:
        """Ends QEMU (SIGTERM, then SIGKILL) and forgets the record. Idempotent."""
        try:
            if self.proc is not None:
                if self.proc.poll() is None:
                    self.proc.terminate()
                    try:
                        self.proc.wait(timeout)
                    except subprocess.TimeoutExpired:
                        self.proc.kill()
                        self.proc.wait(timeout)
            elif _is_our_qemu(self.pid, self.port):
                _kill_and_wait(self.pid, timeout)
        finally:
            self.record.unlink(missing_ok=True)
            for path in (Path(self.elf), Path(self.log)):
                if path.parent == SIM_DIR:
                    path.unlink(missing_ok=True)

    def save(self) -> None:
        SIM_DIR.mkdir(parents=True, exist_ok=True)
        data = {"board": self.board, "pid": self.pid, "port": self.port, "elf": self.elf,
                "log": self.log}
        tmp = self.record.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.record)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def qemu_command(board: Board, elf: Path, port: int, icount: bool = False) -> list[str]:
    if board.qemu is None:
        raise UsageError(f"board {board.name} is real hardware and cannot be simulated "
                         "(use a QEMU board: mps2-an385, mps2-an386, mps2-an505, riscv32-virt, "
                         "xtensa-lx106)")
    cmd = [board.qemu.system, "-M", board.qemu.machine, *board.qemu.args,
           "-display", "none", "-monitor", "none",
           "-serial", f"tcp:{HOST}:{port},server=on,wait=on,nodelay=on",
           "-kernel", str(elf)]
    if icount:
        cmd += ICOUNT_ARGS
    return cmd


def launch(board_name: str, *, env: str | None = None, port: int | None = None,
           build: bool = True, icount: bool = False, timeout: float = 10.0,
           qemu_args: tuple[str, ...] = ()) -> Sim:
    """Starts QEMU and returns once it listens; the guest runs when the first client
    connects. `qemu_args` are appended to QEMU's command line (e.g. tracing the emulated
    LEDs). `env` picks another PlatformIO environment of the board (e.g. the spec-test
    image). The caller must stop() it (tests: in a finally)."""
    board = load_board(board_name)
    if board.qemu is None:
        qemu_command(board, Path(), 0)  # raises the clear message
    if build:
        from wasmote.firmware import build as build_firmware

        elf = build_firmware(board.name, env=env).elf
    else:
        from wasmote.firmware import firmware_elf

        elf = firmware_elf(env or board.name)
        if not elf.is_file():
            raise SimError(f"no firmware built for {env or board.name} ({elf}); "
                           f"run `wasmote build --board {board.name}`")
    SIM_DIR.mkdir(parents=True, exist_ok=True)
    # QEMU gets its own copy: a later PlatformIO run may delete or rewrite build/pio.
    image = SIM_DIR / f"{board.name}-{os.getpid()}-{time.monotonic_ns()}.elf"
    shutil.copyfile(elf, image)
    elf = image
    attempts = 1 if port is not None else 3
    last = ""
    for _ in range(attempts):
        p = port if port is not None else free_port()
        log = SIM_DIR / f"{p}.log"
        with open(log, "wb") as logf:
            try:
                # Own session: Ctrl-C in a terminal reaches us, and we stop QEMU ourselves.
                proc = subprocess.Popen([*qemu_command(board, elf, p, icount), *qemu_args],
                                        stdin=subprocess.DEVNULL, stdout=logf,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            except FileNotFoundError as e:
                raise SimError(f"{board.qemu.system if board.qemu else 'qemu'} is not "
                               "installed (run ./wasmote.sh bootstrap)") from e
        sim = Sim(board.name, proc.pid, p, str(elf), str(log), proc=proc)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _listening(p):
                return sim
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out = log.read_text(errors="replace").strip().splitlines()
        last = out[-1] if out else ""
        if "in use" not in last:
            break
    elf.unlink(missing_ok=True)
    raise SimError(f"QEMU for {board.name} did not start: {last or 'no listening socket'}")


def start_background(board_name: str, *, port: int | None = None, build: bool = True,
                     icount: bool = False, timeout: float = 30.0) -> Sim:
    """Starts a sim that outlives this process, once the firmware has booted and answered
    `ping`; records it in build/sim/. Returns the sim with its boot output."""
    sim = launch(board_name, port=port, build=build, icount=icount)
    try:
        sim.boot_log = wait_ready(sim, timeout)
        sim.save()
    except BaseException:
        sim.stop()
        raise
    return sim


def wait_ready(sim: Sim, timeout: float = 30.0) -> list[str]:
    """Connects, collects the boot output up to `ready`, then checks that the firmware
    answers the device protocol (INFO) on the same connection. Returns the boot lines and
    a last line `info: <firmware> on <board>`."""
    from wasmote.device.client import DeviceClient
    from wasmote.device.errors import DeviceError
    from wasmote.device.transport import SerialTransport

    deadline = time.monotonic() + timeout
    lines: list[str] = []
    with sim.connect(timeout=0.2) as ser:
        buf = b""
        while time.monotonic() < deadline and "ready" not in lines:
            buf += ser.read(256)
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace").strip()
                if line:
                    lines.append(line)
            if not sim.alive():
                raise SimError(f"QEMU for {sim.board} exited during boot: {_log_tail(sim)}")
    if "ready" not in lines:
        got = lines[-1] if lines else "nothing"
        raise SimError(f"firmware on {sim.board} did not boot within {timeout:.0f} s "
                       f"(last line: {got})")
    transport = SerialTransport(sim.url)
    try:
        info = DeviceClient(transport, timeout=2.0, retries=5).info()
    except DeviceError as e:
        raise SimError(f"firmware on {sim.board} booted but does not answer: {e}") from e
    finally:
        transport.close()
    lines.append(f"info: {info.firmware_version} on {info.board}")
    return lines


def _log_tail(sim: Sim) -> str:
    try:
        lines = Path(sim.log).read_text(errors="replace").strip().splitlines()
    except OSError:
        return "no log"
    return lines[-1] if lines else "no output"


def list_sims() -> list[Sim]:
    """Recorded background sims that are still running (stale records are removed)."""
    sims = []
    for rec in sorted(SIM_DIR.glob("*.json")) if SIM_DIR.is_dir() else []:
        try:
            data = json.loads(rec.read_text())
            sim = Sim(str(data["board"]), int(data["pid"]), int(data["port"]),
                      str(data["elf"]), str(data["log"]))
        except (OSError, ValueError, KeyError, TypeError):
            rec.unlink(missing_ok=True)
            continue
        if sim.alive():
            sims.append(sim)
        else:
            rec.unlink(missing_ok=True)
    return sims


def parse_url_port(url: str) -> int:
    """The port of `socket://127.0.0.1:PORT` (or a bare port number)."""
    text = url.strip()
    if text.isdigit():
        return int(text)
    prefix = f"socket://{HOST}:"
    if text.startswith(prefix) and text[len(prefix):].isdigit():
        return int(text[len(prefix):])
    raise UsageError(f"not a simulator URL: {url!r} (expected socket://{HOST}:PORT)")


def stop(url: str | None = None) -> list[Sim]:
    """Stops the background sim at `url`, or all of them; returns those stopped."""
    sims = list_sims()
    if url is not None:
        port = parse_url_port(url)
        sims = [s for s in sims if s.port == port]
        if not sims:
            raise SimError(f"no running simulator at socket://{HOST}:{port}")
    for s in sims:
        s.stop()
    return sims


def _listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port, without connecting (a connection
    would be QEMU's first client and start the guest)."""
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/tcp") as f:
            return any(ln.split()[1] == want and ln.split()[3] == "0A"
                       for ln in f.readlines()[1:])
    except OSError:
        return False


def _is_our_qemu(pid: int, port: int) -> bool:
    """Guards against a recycled pid: the process must be a QEMU serving that port."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return (bool(cmdline) and b"qemu-system" in cmdline[0]
            and any(f"tcp:{HOST}:{port},".encode() in a for a in cmdline))


def _gone(pid: int) -> bool:
    """Exited (a zombie waiting for a parent that is not us counts as exited)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] == "Z"


def _kill_and_wait(pid: int, timeout: float) -> None:
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2 * timeout)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)  # our child: reap it
                if done:
                    return
            except ChildProcessError:
                pass
            if _gone(pid):
                return
            time.sleep(0.02)
    raise SimError(f"QEMU (pid {pid}) is still running after SIGTERM and SIGKILL")
