"""Simulated boards: the firmware running in QEMU with its UART on a local TCP socket.

QEMU runs with `-serial tcp:127.0.0.1:PORT,server=on,wait=on`: it binds the port, then
holds the guest until the first client connects, so that client sees the firmware from its
very first byte (banner, self-test). A background sim is made ready by connecting once,
reading the boot output up to `ready` and asking the device protocol for INFO; later
clients (the device commands, pyserial's `socket://127.0.0.1:PORT`) reconnect at will.

Background sims are recorded in build/sim/<port>.json (pid, port, board, flash file) so
that `wasmote sim stop [URL]` can find them from another process. A sim started with a
flash file keeps its store across restarts (sim_flash.py says how and what a kill loses).

The emulated parts the board file lists (a TMP105 on the I2C bus, ...) are attached, more
with `devices`; each module UART gets a TCP port of its own and QMP a socket
(sim_devices.py, qmp.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from wasmote import sim_devices, sim_flash
from wasmote.boards import Board, load_board
from wasmote.device.holders import clients_of, listeners_of, listening
from wasmote.errors import UsageError, WasmoteError
from wasmote.paths import BUILD_DIR
from wasmote.terminal_text import escape_controls

SIM_DIR = BUILD_DIR / "sim"
HOST = "127.0.0.1"
# -icount shift=0: one guest instruction is 1 ns of virtual time, so the guest's clock counts
# its own work and a loaded host slows QEMU down without making the guest late. sleep=off:
# an idle guest (WFI) jumps to its next timer at once, every moment counted (benchmarks).
ICOUNT_ARGS = ("-icount", "shift=0,align=off,sleep=off")
# icount="while-running": counted only while the guest runs; idle time passes in real time
# (sleep=on). For tests of timing that talk to the device: with sleep=off an idle
# mps2-an386 ran 6-12x faster than real time, so its timeouts that span the host's side (a
# nonce's 60 s, a subscription) passed in seconds.
ICOUNT_WHILE_RUNNING_ARGS = ("-icount", "shift=0,align=off,sleep=on")
Icount = bool | Literal["while-running"]


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
    flash: str = ""   # the file its store is kept in across restarts ("" = none)
    gdb: str = ""     # QEMU's gdbstub socket (persistent sims only)
    boot_log: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)
    qmp: str = ""  # QMP socket (qmp.QmpClient)
    aux: dict[str, int] = field(default_factory=dict)  # module UART name -> TCP port

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

    def save_flash(self, resume: bool = False) -> None:
        """Copies the store region from the running guest to its flash file (the guest
        pauses; with `resume` it goes on afterwards)."""
        if self.flash and self.gdb and self.alive():
            sim_flash.save(self.gdb, load_board(self.board).store, Path(self.flash),
                           resume=resume)

    def stop(self, timeout: float = 5.0) -> None:
        """Saves its flash (if it has a file), ends QEMU (SIGTERM, then SIGKILL) and
        forgets the record. Idempotent. A flash that could not be saved is reported after
        QEMU is gone (SimFlashError)."""
        unsaved: Exception | None = None
        try:
            try:
                self.save_flash()
            except (OSError, WasmoteError) as e:
                unsaved = e
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
            if _recorded_pid(self.record) == self.pid:  # never another sim's record
                self.record.unlink(missing_ok=True)
            for path in (Path(self.elf), Path(self.log), Path(self.gdb), Path(self.qmp)):
                if path.parent in (SIM_DIR, _GDB_DIR) and path.name:
                    path.unlink(missing_ok=True)
        if unsaved is not None:
            raise sim_flash.SimFlashError(f"stopped {self.board} at {self.url}, but its "
                                          f"flash was not saved to {self.flash}: {unsaved}")

    def save(self) -> None:
        SIM_DIR.mkdir(parents=True, exist_ok=True)
        data = {"board": self.board, "pid": self.pid, "port": self.port, "elf": self.elf,
                "log": self.log, "flash": self.flash, "gdb": self.gdb, "qmp": self.qmp,
                "aux": self.aux}
        tmp = self.record.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2))
        tmp.replace(self.record)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _recorded_pid(record: Path) -> int | None:
    try:
        return int(json.loads(record.read_text())["pid"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def default_flash(board: str) -> Path:
    """Where `wasmote sim --board B` keeps B's flash unless told otherwise."""
    return SIM_DIR / f"{board}.flash"


# Unix socket paths are limited to 108 bytes: the gdbstub's lives in the temp folder.
_GDB_DIR = Path(tempfile.gettempdir())


def port_taken(port: int) -> str | None:
    """Why TCP port `port` cannot take a new sim, or None if it is free."""
    for s in list_sims():
        if s.port == port:
            return (f"port {port} is already used by the {s.board} sim (pid {s.pid}); "
                    f"reach it at {s.url}, stop it with `wasmote sim stop {port}`, or pick "
                    "another --port (or none: a free one is chosen)")
    if listening(port):
        who = ", ".join(str(h) for h in listeners_of(port)) or "another program"
        return f"TCP port {port} is already in use by {who}; pick another --port"
    return None


def _flash_in_use(flash: Path) -> Sim | None:
    real = flash.resolve()
    return next((s for s in list_sims() if s.flash and Path(s.flash).resolve() == real), None)


def qemu_command(board: Board, elf: Path, port: int, icount: Icount = False) -> list[str]:
    if board.qemu is None:
        raise UsageError(f"board {board.name} is real hardware and cannot be simulated "
                         "(use a QEMU board: mps2-an385, mps2-an386, mps2-an505, riscv32-virt, "
                         "xtensa-lx106)")
    cmd = [board.qemu.system, "-M", board.qemu.machine, *board.qemu.args,
           "-display", "none", "-monitor", "none",
           "-serial", f"tcp:{HOST}:{port},server=on,wait=on,nodelay=on",
           "-kernel", str(elf)]
    if icount:
        cmd += ICOUNT_WHILE_RUNNING_ARGS if icount == "while-running" else ICOUNT_ARGS
    return cmd


def launch(board_name: str, *, env: str | None = None, port: int | None = None,
           build: bool = True, icount: Icount = False, timeout: float = 10.0,
           qemu_args: tuple[str, ...] = (), flash: Path | None = None,
           echo: Callable[[str], None] | None = None, devices: tuple[str, ...] = ()) -> Sim:
    """Starts QEMU and returns once it listens; the guest runs when the first client
    connects. `qemu_args` are appended to QEMU's command line (e.g. tracing the emulated
    LEDs). `env` picks another PlatformIO environment of the board (e.g. the spec-test
    image). `icount`: the guest's clock from its instruction count (ICOUNT_ARGS). With
    `flash`, the store is restored from that file when the guest starts (restore_flash)
    and saved to it at stop(); without, it starts erased and is lost. The board's
    emulated parts are attached, and `devices` (QEMU -device specs, sim_devices.py).
    The caller must stop() it (tests: in a finally)."""
    board = load_board(board_name)
    if board.qemu is None:
        qemu_command(board, Path(), 0)  # raises the clear message
    if port is not None and (why := port_taken(port)):
        raise SimError(why)
    if flash is not None and (other := _flash_in_use(flash)):
        raise SimError(f"{flash} is the flash of the running {other.board} sim at "
                       f"{other.url}; stop it first, or use --fresh or another --flash")
    if build:
        from wasmote.firmware import build as build_firmware

        elf = build_firmware(board.name, env=env, echo=echo).elf
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
    specs = sim_devices.device_specs(board, devices)
    attempts = 1 if port is not None else 3
    last = ""
    for _ in range(attempts):
        p = port if port is not None else free_port()
        # Named after this launch, not only the port: a failed launch never touches the
        # log of a sim already serving that port.
        log = SIM_DIR / f"{p}-{os.getpid()}-{time.monotonic_ns()}.log"
        gdb = _GDB_DIR / f"wasmote-sim-{p}-{os.getpid()}.gdb" if flash is not None else None
        extra = (["-S", "-gdb", f"unix:{gdb},server=on,wait=off"] if gdb is not None else [])
        qmp = _GDB_DIR / f"wasmote-sim-{p}-{os.getpid()}.qmp"
        qmp.unlink(missing_ok=True)
        aux = [sim_devices.AuxUart(name, serial, free_port())
               for name, serial in sim_devices.aux_uarts(board)]
        extra += sim_devices.qemu_args(specs, qmp, aux, HOST)
        with open(log, "wb") as logf:
            try:
                # Own session: Ctrl-C in a terminal reaches us, and we stop QEMU ourselves.
                proc = subprocess.Popen([*qemu_command(board, elf, p, icount), *extra,
                                         *qemu_args],
                                        stdin=subprocess.DEVNULL, stdout=logf,
                                        stderr=subprocess.STDOUT, start_new_session=True)
            except FileNotFoundError as e:
                raise SimError(f"{board.qemu.system if board.qemu else 'qemu'} is not "
                               "installed (run ./wasmote.sh bootstrap)") from e
        sim = Sim(board.name, proc.pid, p, str(elf), str(log),
                  flash=str(flash.resolve()) if flash is not None else "",
                  gdb=str(gdb) if gdb is not None else "", proc=proc, qmp=str(qmp),
                  aux={a.name: a.port for a in aux})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            if _listener_is(p, proc.pid):
                return sim
            time.sleep(0.02)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        out = log.read_text(errors="replace").strip().splitlines()
        log.unlink(missing_ok=True)
        last = out[-1] if out else ""
        if "in use" not in last:
            break
        if port is not None:  # taken between our check and QEMU's bind
            last = port_taken(port) or last
    elf.unlink(missing_ok=True)
    raise SimError(f"QEMU for {board.name} did not start: {last or 'no listening socket'}")


def restore_flash(sim: Sim, timeout: float = 30.0) -> int:
    """For a sim with a flash file: once QEMU serves its gdbstub (after the serial's first
    client connected), writes the saved store into the paused guest and lets it run."""
    if not sim.gdb:
        return 0
    return sim_flash.restore(sim.gdb, load_board(sim.board).store, Path(sim.flash),
                             sim.alive, timeout)


def start_background(board_name: str, *, port: int | None = None, build: bool = True,
                     icount: bool = False, timeout: float = 30.0, flash: Path | None = None,
                     echo: Callable[[str], None] | None = None,
                     devices: tuple[str, ...] = ()) -> Sim:
    """Starts a sim that outlives this process, once the firmware has booted and answered
    `ping`; records it in build/sim/. Returns the sim with its boot output."""
    sim = launch(board_name, port=port, build=build, icount=icount, flash=flash, echo=echo,
                 devices=devices)
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
    from wasmote.device.protocol import BOOT_READY_LINE
    from wasmote.device.transport import SerialTransport

    ready = BOOT_READY_LINE.decode().strip()
    deadline = time.monotonic() + timeout
    lines: list[str] = []
    with sim.connect(timeout=0.2) as ser:
        if sim.gdb:
            restored = restore_flash(sim, timeout)
            lines.append(f"flash: {sim.flash} ({'restored' if restored else 'new'})")
        buf = b""
        while time.monotonic() < deadline and ready not in lines:
            buf += ser.read(256)
            while b"\n" in buf and ready not in lines:
                raw, buf = buf.split(b"\n", 1)
                # the device's output, printed by `wasmote sim`: escaped. What follows
                # `ready` in the same read (the first events: module text) is not boot
                # output and is left alone.
                line = escape_controls(raw.decode("utf-8", "replace").strip())
                if line:
                    lines.append(line)
            if not sim.alive():
                raise SimError(f"QEMU for {sim.board} exited during boot: {_log_tail(sim)}")
    if ready not in lines:
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
    lines.append(f"info: {escape_controls(info.firmware_version)} on "
                 f"{escape_controls(info.board)}")
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
                      str(data["elf"]), str(data["log"]), flash=str(data.get("flash", "")),
                      gdb=str(data.get("gdb", "")), qmp=str(data.get("qmp", "")),
                      aux={str(k): int(v) for k, v in dict(data.get("aux", {})).items()})
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
    raise UsageError(f"not a simulator URL: {url!r} (expected socket://{HOST}:PORT or PORT)")


def stop(url: str | None = None) -> list[Sim]:
    """Stops the background sim at `url`, or all of them; returns those stopped."""
    sims = list_sims()
    if url is not None:
        port = parse_url_port(url)
        sims = [s for s in sims if s.port == port]
        if not sims:
            raise SimError(f"no running simulator at socket://{HOST}:{port}")
    errors = []
    for s in sims:
        try:
            s.stop()
        except WasmoteError as e:  # the others are still stopped
            errors.append(e.one_line())
    if errors:
        raise SimError("; ".join(errors))
    return sims


def _listener_is(port: int, pid: int) -> bool:
    """Whether process `pid` listens on 127.0.0.1:port, without connecting (a connection
    would be QEMU's first client and start the guest). Another process listening there is
    not our QEMU: it is the sim (or program) that already had the port."""
    return listening(port) and any(h.pid == pid for h in listeners_of(port))


def clients(sim: Sim) -> str:
    """Who is connected to the sim's UART (for `sim ls`)."""
    return ", ".join(str(h) for h in clients_of(sim.port)) or "-"


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
                ours = True
            except ChildProcessError:
                ours = False
            # A zombie counts as gone only when it is not ours: QEMU's main thread shows Z
            # while its other threads still exit, and our waitpid cannot reap it yet.
            if not ours and _gone(pid):
                return
            time.sleep(0.02)
    raise SimError(f"QEMU (pid {pid}) is still running after SIGTERM and SIGKILL")
