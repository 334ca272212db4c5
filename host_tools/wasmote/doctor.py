"""`wasmote doctor`: is this machine set up for wasmote? Each check says what it found and,
when something is missing, the command that fixes it.

Required: what building modules, building the QEMU firmware and the test suite need.
Optional (reported, never failing): what only real boards need: their PlatformIO platforms
and toolchains (from PlatformIO's registry) and serial permissions.
"""

from __future__ import annotations

import grp
import importlib.metadata
import os
import pwd
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from wasmote.boards import Board, list_boards
from wasmote.firmware import missing_platforms
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR

PIO_CORE_DIR = BUILD_DIR / "pio-core"
MIN_PYTHON = (3, 11)

# distribution name -> why wasmote needs it
PYTHON_DEPS: dict[str, str] = {
    "click": "the CLI", "pyserial": "serial ports", "esptool": "flashing ESP32",
    "platformio": "firmware builds", "scons": "PlatformIO's build engine, offline",
    "cryptography": "package signatures", "ziglang": "compiling C to wasm",
    "pyelftools": "source lines in trap reports",
    "paho-mqtt": "fleets over MQTT",
}
# command -> (apt package, why)
TOOLS: dict[str, tuple[str, str]] = {
    "arm-none-eabi-gcc": ("gcc-arm-none-eabi", "Cortex-M firmware"),
    "riscv64-unknown-elf-gcc": ("gcc-riscv64-unknown-elf", "RISC-V firmware"),
    "xtensa-lx106-elf-gcc": ("gcc-xtensa-lx106", "Xtensa LX106 firmware and AOT code"),
    "qemu-system-arm": ("qemu-system-arm", "simulated mps2 boards"),
    "qemu-system-riscv32": ("qemu-system-misc", "simulated riscv32-virt board"),
    "qemu-system-xtensa": ("qemu-system-misc", "simulated xtensa-lx106 board"),
    "wat2wasm": ("wabt", "assembling WAT modules"),
    "wasm-opt": ("binaryen", "wasm optimisation (benchmarks)"),
}


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    found: str        # version or what was seen
    fix: str = ""     # command that fixes it (when not ok)
    required: bool = True

    @property
    def status(self) -> str:
        if self.ok:
            return "ok"
        return "MISSING" if self.required else "warning"


def _first_line(cmd: list[str]) -> str:
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"cannot run: {e}"
    lines = (proc.stdout or proc.stderr).strip().splitlines()
    return lines[0].strip() if lines else f"exit {proc.returncode}"


def check_python() -> Check:
    v = sys.version_info
    return Check("python", (v.major, v.minor) >= MIN_PYTHON, f"{v.major}.{v.minor}.{v.micro}",
                 "apt-get install python3 (3.11 or newer)")


def check_python_dep(dist: str, why: str) -> Check:
    try:
        version = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return Check(f"python: {dist} ({why})", False, "not installed",
                     f"pip install -e '.[dev]'   (or: pip install {dist})")
    return Check(f"python: {dist} ({why})", True, version)


def check_zig() -> Check:
    out = _first_line([sys.executable, "-m", "ziglang", "version"])
    ok = bool(out) and out[0].isdigit()
    return Check("zig cc (python -m ziglang)", ok, out if ok else "not working",
                 "pip install ziglang")


def check_tool(cmd: str, apt: str, why: str) -> Check:
    path = shutil.which(cmd)
    if path is None:
        return Check(f"{cmd} ({why})", False, "not found", f"apt-get install {apt}")
    return Check(f"{cmd} ({why})", True, _first_line([path, "--version"]))


def check_assemblyscript() -> Check:
    """asc from npm (the bootstrap installs it when Node.js >= 20 is there): optional."""
    from wasmote.sdk.asc import asc_path
    from wasmote.sdk.cc import CompileError

    name = "AssemblyScript compiler (wasmote asc, optional)"
    try:
        return Check(name, True, str(asc_path()), required=False)
    except CompileError as e:
        return Check(name, False, "not installed", f"{e}", required=False)


def check_mosquitto() -> Check:
    """The fleet's broker (the fleet tests start a private one). Debian puts it in /usr/sbin,
    which a user's PATH may lack."""
    path = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin")
    name = "mosquitto (the fleet's MQTT broker)"
    if path is None:
        return Check(name, False, "not found", "apt-get install mosquitto")
    try:
        out = subprocess.run([path, "-h"], capture_output=True, text=True, timeout=60,
                             check=False).stdout
    except (OSError, subprocess.TimeoutExpired) as e:
        return Check(name, False, f"cannot run: {e}", "apt-get install mosquitto")
    version = next((line for line in out.splitlines() if "version" in line), path)
    return Check(name, True, version.strip())


def check_pio_core(core_dir: Path = PIO_CORE_DIR) -> Check:
    scons = core_dir / "packages" / "tool-scons" / "scons.py"
    ok = scons.is_file()
    return Check("PlatformIO core dir + offline tool-scons", ok,
                 str(core_dir) if ok else f"{scons} missing",
                 f"python scripts/pio_offline.py {core_dir}   (or ./wasmote.sh test)")


def check_board_platform(board: Board, core_dir: Path = PIO_CORE_DIR) -> Check:
    """A real board builds only with its PlatformIO platform and toolchain, which come from
    PlatformIO's registry (not reachable everywhere): optional."""
    name = f"PlatformIO platform for {board.name} ({', '.join(board.platforms)})"
    missing = missing_platforms(board, core_dir)
    if not missing:
        return Check(name, True, "installed", required=False)
    return Check(name, False, "not installed (needs registry.platformio.org)",
                 f"PLATFORMIO_CORE_DIR={core_dir} python -m platformio pkg install "
                 f"-d {FIRMWARE_DIR} -e {board.name}", required=False)


def check_serial(uid: int | None = None) -> Check:
    """Serial ports (/dev/ttyUSB*, ttyACM*) belong to group dialout on Debian."""
    uid = os.getuid() if uid is None else uid
    user = pwd.getpwuid(uid).pw_name
    if uid == 0:
        return Check("serial port access (dialout)", True, "root", required=False)
    try:
        dialout = grp.getgrnam("dialout")
    except KeyError:
        return Check("serial port access (dialout)", False, "no group dialout",
                     "ask your distribution which group owns /dev/ttyUSB*", required=False)
    groups = os.getgrouplist(user, pwd.getpwuid(uid).pw_gid)
    ok = dialout.gr_gid in groups
    return Check("serial port access (dialout)", ok,
                 f"{user} is in dialout" if ok else f"{user} is not in dialout",
                 f"sudo usermod -aG dialout {user}   (then log in again)", required=False)


def run_checks() -> list[Check]:
    checks: list[Callable[[], Check]] = [check_python]
    checks += [partial(check_python_dep, d, w) for d, w in PYTHON_DEPS.items()]
    checks += [check_zig, check_assemblyscript]
    checks += [partial(check_tool, c, a, w) for c, (a, w) in TOOLS.items()]
    checks += [check_mosquitto, check_pio_core]
    checks += [partial(check_board_platform, b) for b in list_boards() if b.registry_only]
    checks.append(check_serial)
    return [c() for c in checks]


def report(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = []
    for c in checks:
        lines.append(f"{c.status:<8} {c.name:<{width}}  {c.found}")
        if not c.ok:
            lines.append(f"{'':<8} {'':<{width}}  fix: {c.fix}")
    bad = [c for c in checks if not c.ok and c.required]
    lines.append("all required tools are present" if not bad else
                 f"{len(bad)} required item(s) missing")
    return "\n".join(lines)


def all_required_ok(checks: list[Check]) -> bool:
    return all(c.ok for c in checks if c.required)
