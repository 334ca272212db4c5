"""The posix "device" as tests and benchmarks run it: the firmware's device side built for
this host (wasmote.runtime.host_device.build_device, which `wasmote exec` uses too), flash in
a file, reachable on 127.0.0.1 over TCP (pyserial's socket:// URL). Tests and benchmarks
talk to it exactly as to a board on a serial line."""

from __future__ import annotations

import random
import re
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from wasmote.device.errors import DeviceError

# Named here on purpose: start() looks it up in this module, so a campaign can run another
# build in its place (tests/campaigns/kv_wear.py --exe).
from wasmote.runtime.host_device import build_device as build_device
from wasmote.wasm.leb128 import encode_unsigned


def filler_module(size: int, seed: int) -> bytes:
    """A valid wasm module of exactly `size` (>= 16) bytes for tests and benchmarks: an empty
    module whose custom section "pad" holds deterministic random bytes."""
    for leb_len in range(1, 6):
        content = size - 8 - 1 - leb_len
        if content >= 4 and len(encode_unsigned(content)) == leb_len:
            payload = random.Random(seed).randbytes(content - 4)
            return b"\0asm\1\0\0\0" + b"\0" + encode_unsigned(content) + b"\x03pad" + payload
    raise ValueError(f"cannot make a {size}-byte module")


@dataclass
class PosixDevice:
    """A running posix device; `restart()` keeps the flash file (a power cycle)."""

    flash: Path
    flash_size: int = 320 * 1024  # a 256 KiB module store + the 64 KiB config area
    sector: int = 4096
    kv: int = 64 * 1024           # config area (keys, pins, crash counts, module kv data),
                                  # as on every board file
    gpio_log: Path | None = None  # simulated pins: every output change is appended here
    retained: Path | None = None  # "retained RAM" in a file: survives kill(), like a reset
    tmp105: Path | None = None    # the simulated TMP105 reads millidegrees C from this file
    predecode: bool = True  # modules run from a pre-decoded form stored beside them
    variant: str = "release"
    board: str = "posix"
    fuel: int | None = None  # per RUN call; None = the device's default
    entropy: str = "os"      # "jitter": only clock jitter, like a board without an RNG
    erase_counts: Path | None = None  # a u32 erase count per flash sector, kept here
    kv_lifetime_h: int | None = None  # hours the config area must last (None: ten years)
    port: int = 0            # TCP port; 0 picks a free one (then a restart moves it)
    # "cpu": the device's milliseconds count only its own work and waits (its CPU time), so
    # a loaded host slows it down without making its modules late: tests of the scheduler
    clock: str = "host"
    url: str = ""
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    def start(self) -> PosixDevice:
        exe = build_device(self.variant)
        self.proc = subprocess.Popen(
            [str(exe), "--flash", str(self.flash), "--flash-size", str(self.flash_size),
             "--sector", str(self.sector), "--kv", str(self.kv), "--tcp", str(self.port),
             "--board", self.board,
             *(["--gpio-log", str(self.gpio_log)] if self.gpio_log is not None else []),
             *(["--retained", str(self.retained)] if self.retained is not None else []),
             *(["--tmp105", str(self.tmp105)] if self.tmp105 is not None else []),
             *([] if self.predecode else ["--in-place"]),
             *(["--fuel", str(self.fuel)] if self.fuel is not None else []),
             "--entropy", self.entropy, "--clock", self.clock,
             *(["--erase-counts", str(self.erase_counts)] if self.erase_counts else []),
             *(["--kv-lifetime", str(self.kv_lifetime_h)] if self.kv_lifetime_h else [])],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline().decode(errors="replace")
        m = re.search(r"listening on (127\.0\.0\.1:\d+)", line)
        if m is None:
            self.stop()
            raise DeviceError(f"posix device did not start: {line.strip() or 'no output'}")
        self.url = f"socket://{m.group(1)}"
        return self

    @property
    def store_size(self) -> int:
        return self.flash_size - self.kv

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Like pulling the power: SIGKILL, no clean-up in the device."""
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            if self.proc.stderr is not None:
                self.proc.stderr.close()
            self.proc = None

    def restart(self) -> PosixDevice:
        self.stop()
        return self.start()

    def __enter__(self) -> PosixDevice:
        return self.start()

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
