"""The firmware's device side on this computer, for `wasmote exec`: the posix device
(firmware/src/port/posix/device_main.c: module store, sandbox, host API, WASI, supervisor)
as a child process spoken to over a pipe with the wire protocol, exactly as a board is over
its UART; built here (build_device, cached; the tests' harness runs the same build). Its
module store lives in a temporary folder; its config area (module kv data) in a file of the
kv folder, so kv data outlives the run when that folder is named.

Simulated here (named as such wherever they show): the pins led0, led1 (outputs), button0,
button1 (inputs, always 0), whose output changes are read back from the device's log.
"""

from __future__ import annotations

import fcntl
import hashlib
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceError
from wasmote.device.transport import PipeTransport
from wasmote.errors import WasmoteError
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR
from wasmote.posix_build import VARIANTS, compile_flags, core_asm_sources, core_sources

PORT_SOURCES = (
    FIRMWARE_DIR / "src" / "port" / "posix" / "device_main.c",
    FIRMWARE_DIR / "src" / "port" / "posix" / "flash_file.c",
    FIRMWARE_DIR / "src" / "port" / "posix" / "sim_periph.c",
)


def _sources() -> list[Path]:
    """Every core component (as the firmware links them) plus the posix port's device."""
    return [*core_sources(), *core_asm_sources(), *PORT_SOURCES]


def build_device(variant: str = "release") -> Path:
    """Compile wasmote-device (cached by a hash of sources, headers and flags)."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise DeviceError("no C compiler found (install gcc) to build the posix device")
    headers = sorted([*(FIRMWARE_DIR / "src").rglob("*.h"),
                      *(FIRMWARE_DIR / "include").rglob("*.h")])
    var = VARIANTS[variant]  # the posix build's variants: the same flags as its programs
    cmd = [cc, *compile_flags(var), *var.ldflags, *(str(s) for s in _sources())]
    h = hashlib.sha256(" ".join(cmd).encode())
    for f in (*_sources(), *headers):
        h.update(f.read_bytes())
    out_dir = BUILD_DIR / "posix-device" / variant
    out_dir.mkdir(parents=True, exist_ok=True)
    exe, stamp = out_dir / "wasmote-device", out_dir / "wasmote-device.stamp"
    with open(out_dir / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if exe.is_file() and stamp.is_file() and stamp.read_text() == h.hexdigest():
            return exe
        proc = subprocess.run([*cmd, "-o", str(exe)], capture_output=True, text=True,
                              check=False)
        if proc.returncode != 0:
            raise DeviceError(f"building the posix device failed:\n{proc.stderr[-3000:]}")
        stamp.write_text(h.hexdigest())
    return exe


SECTOR = 4096
KV_BYTES = 64 * 1024          # the config area, as on the QEMU boards
KV_FILE = "wasmote-kv.flash"  # inside the kv folder
RUN_FUEL_UNLIMITED = (1 << 63) - 1


def store_bytes(images: list[bytes]) -> int:
    """A store that holds these images (each a 128-byte header + image, whole sectors)."""
    need = sum(-(-(128 + len(i)) // SECTOR) * SECTOR for i in images)
    return need + 4 * SECTOR


@dataclass
class HostDevice:
    """A posix device for one run; use as a context manager."""

    images: list[bytes]
    kv_dir: Path | None = None    # None: a temporary one (kv data goes with the run)
    ram: int = 64 << 20           # module RAM pool (virtual memory: pages untouched are free)
    run_fuel: int | None = None   # budget of one RUN; None = unlimited
    variant: str = "release"
    in_place: bool = False        # the modules run from their code, not a pre-decoded form
    client: DeviceClient = field(init=False)
    gpio_log: Path = field(init=False)
    _tmp: tempfile.TemporaryDirectory[str] = field(init=False)
    _proc: subprocess.Popen[bytes] | None = field(init=False, default=None)

    def __enter__(self) -> HostDevice:
        exe = build_device(self.variant)
        self._tmp = tempfile.TemporaryDirectory(prefix="wasmote-exec-")
        tmp = Path(self._tmp.name)
        kv_dir = self.kv_dir if self.kv_dir is not None else tmp
        try:
            kv_dir.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise WasmoteError(f"cannot use {kv_dir} for kv data: {e.strerror or e}") from None
        self.gpio_log = tmp / "gpio.log"
        cmd = [str(exe), "--stdio", "--flash", str(tmp / "store.flash"),
               "--flash-size", str(store_bytes(self.images)), "--sector", str(SECTOR),
               "--kv", str(KV_BYTES), "--kv-file", str(kv_dir / KV_FILE),
               "--ram", str(self.ram + sum(8 * len(i) for i in self.images)),
               "--fuel", str(self.run_fuel or RUN_FUEL_UNLIMITED),
               "--gpio-log", str(self.gpio_log), "--board", "posix (wasmote exec)",
               "--aot",  # runs a package's native code for this host, signed or not
               *(["--in-place"] if self.in_place else [])]
        try:
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE)
        except OSError as e:
            self._tmp.cleanup()
            raise DeviceError(f"cannot start the posix device: {e}") from None
        self.client = DeviceClient(PipeTransport(self._proc, "the posix device"),
                                   timeout=10.0, retries=0)
        return self

    def stderr_tail(self) -> str:
        """What the device process said on stderr (after it ended)."""
        if self._proc is None or self._proc.stderr is None or self._proc.poll() is None:
            return ""
        return self._proc.stderr.read().decode(errors="replace").strip()[-2000:]

    def gpio_changes(self) -> list[str]:
        """Simulated output pins: "+MS PIN LEVEL" for each change, ms from the first."""
        try:
            lines = self.gpio_log.read_text().splitlines()
        except OSError:
            return []
        out, t0 = [], None
        for ln in lines:
            parts = ln.split()
            if len(parts) != 3 or not parts[0].isdigit():
                continue
            t = int(parts[0])
            t0 = t if t0 is None else t0
            out.append(f"+{(t - t0) & 0xFFFFFFFF} ms {parts[1]} = {parts[2]}")
        return out

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self._proc is not None:
            for f in (self._proc.stdin, self._proc.stdout):
                if f is not None:
                    f.close()
            try:
                self._proc.wait(timeout=5)  # the device ends when its line closes
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stderr is not None:
                self._proc.stderr.close()
        self._tmp.cleanup()
