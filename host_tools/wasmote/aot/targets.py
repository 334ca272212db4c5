"""AOT targets (CPU + ABI of the generated code) and the compilers that build for them.

A target fixes the architecture code recorded in the package (the device runs only its
own) and the code generation flags. Two compiler families are supported:

- `gcc`: the board's GCC (Debian's arm-none-eabi-gcc / riscv64-unknown-elf-gcc here, the
  PlatformIO toolchain on users' machines, e.g. xtensa-esp32-elf-gcc) or the system `cc`
  for the host; libgcc supplies soft-float and 64-bit division helpers;
- `zig`: `python -m ziglang cc` (clang) with its compiler_rt; not for Xtensa.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wasmote.boards import load_board
from wasmote.errors import UsageError, WasmoteError
from wasmote.package.container import AotArch
from wasmote.paths import BUILD_DIR


class ToolchainError(WasmoteError):
    """The compiler a target needs is not installed."""


@dataclass(frozen=True)
class Target:
    name: str
    arch: AotArch
    title: str
    gcc: str                          # compiler command ("cc" for the host)
    gcc_flags: tuple[str, ...]
    zig_flags: tuple[str, ...] | None  # None: zig cannot build for it
    ptr_bytes: int
    thumb: bool = False               # entry points carry the Thumb bit
    # C sources (under firmware/src) linked into every image before libgcc: the helpers a
    # toolchain's libgcc lacks (Debian's xtensa-lx106-elf keeps out what the ESP8266 ROM has)
    helpers: tuple[str, ...] = ()
    # link flags to try again with when the linker itself crashes (a signal, not an error)
    link_retry: tuple[str, ...] = ()

    def objcopy_tool(self) -> str:
        return "objcopy" if self.gcc == "cc" else self.gcc.removesuffix("gcc") + "objcopy"


_ARM_GCC = "arm-none-eabi-gcc"
_RV_GCC = "riscv64-unknown-elf-gcc"
_LX106_GCC = "xtensa-lx106-elf-gcc"


def _host_target() -> Target:
    machine = platform.machine().lower()
    if machine in ("x86_64", "amd64"):
        return Target("host", AotArch.X86_64, "this host (x86-64, System V)", "cc", ("-fPIE",),
                      None, 8)
    if machine in ("aarch64", "arm64"):
        return Target("host", AotArch.AARCH64, "this host (AArch64)", "cc", ("-fPIE",),
                      None, 8)
    raise ToolchainError(f"AOT for this host's architecture ({machine}) is not supported "
                         "(x86-64 and AArch64 are)")


TARGETS: dict[str, Target] = {
    "cortex-m3": Target(
        "cortex-m3", AotArch.THUMBV7M, "Cortex-M3 (Thumb-2, soft float)", _ARM_GCC,
        ("-mcpu=cortex-m3", "-mthumb", "-mfloat-abi=soft", "-fPIC"),
        ("-target", "thumb-freestanding-eabi", "-mcpu=cortex_m3", "-fPIC"), 4, thumb=True),
    "cortex-m4": Target(
        "cortex-m4", AotArch.THUMBV7EM, "Cortex-M4F (Thumb-2, FPv4-SP, hard float)", _ARM_GCC,
        # -fno-schedule-insns: scheduling before register allocation stretched live ranges
        # into spills on this in-order core (docs/performance.md: programs 1.108 -> 1.103)
        ("-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16", "-fPIC",
         "-fno-schedule-insns"),
        ("-target", "thumb-freestanding-eabihf", "-mcpu=cortex_m4", "-fPIC"), 4, thumb=True),
    "cortex-m33": Target(
        "cortex-m33", AotArch.THUMBV8M_MAIN, "Cortex-M33 (Thumb-2 v8-M, FPv5-SP)", _ARM_GCC,
        ("-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16", "-fPIC"),
        ("-target", "thumb-freestanding-eabihf", "-mcpu=cortex_m33", "-fPIC"), 4, thumb=True),
    "rv32imac": Target(
        "rv32imac", AotArch.RV32IMAC, "RV32IMAC (soft float)", _RV_GCC,
        # -mno-relax: the linker would turn PC-relative addresses near 0 into absolute ones
        ("-march=rv32imac", "-mabi=ilp32", "-mcmodel=medany", "-fPIC", "-mno-relax",
         "-Wl,--no-relax"),
        ("-target", "riscv32-freestanding", "-mcpu=generic_rv32+m+a+c", "-fPIC", "-mno-relax",
         "-Wl,--no-relax"), 4),
    "xtensa-lx106": Target(
        "xtensa-lx106", AotArch.XTENSA_LX106, "Xtensa LX106 (ESP8266; call0 ABI, soft float)",
        # Xtensa's -fPIC puts absolute addresses in literal pools; without it calls are
        # PC-relative CALL0 and only jump tables (off) would hold addresses. libgcc's C helpers
        # (__moddi3, __fixdfdi, ...) call through literals: the linker's relaxation turns those
        # calls into CALL0. GNU ld 2.40's Xtensa relaxation crashes (SIGSEGV) when
        # --gc-sections leaves a tiny image with no relocations; such an image has no calls
        # to relax, so the link is retried without it.
        _LX106_GCC, ("-fno-jump-tables",), None, 4,
        helpers=("port/xtensa_lx106/lx106_intdiv.c", "port/xtensa_lx106/lx106_softfloat.c"),
        link_retry=("-Wl,--no-relax",)),
    # Not run here (no Espressif toolchain, no ESP32 CPU in QEMU 7.2): the same reasoning as
    # the LX106's, whose GCC backend it shares; -mlongcalls would call through literals
    "esp32": Target(
        "esp32", AotArch.XTENSA_LX6, "ESP32 (Xtensa LX6, windowed ABI)", "xtensa-esp32-elf-gcc",
        ("-fno-jump-tables",), None, 4, link_retry=("-Wl,--no-relax",)),
}

# board manifest `wasmote.cpu` -> target
BOARD_CPUS = {"cortex-m3": "cortex-m3", "cortex-m4f": "cortex-m4", "cortex-m4": "cortex-m3",
              "cortex-m33": "cortex-m33", "rv32imac": "rv32imac", "xtensa-lx6": "esp32",
              "lx106": "xtensa-lx106"}

TARGET_NAMES = (*TARGETS, "host")


def get_target(name: str) -> Target:
    if name == "host":
        return _host_target()
    target = TARGETS.get(name)
    if target is None:
        raise UsageError(f"unknown AOT target {name!r} (known: {', '.join(TARGET_NAMES)})")
    return target


def target_for_board(board_name: str) -> Target:
    board = load_board(board_name)
    name = BOARD_CPUS.get(board.cpu)
    if name is None:
        raise UsageError(f"board {board_name}: no AOT target for its CPU {board.cpu!r}")
    return get_target(name)


@dataclass(frozen=True)
class Compiler:
    """A way to run the C compiler/linker for a target."""

    family: str                 # gcc | zig
    command: tuple[str, ...]    # argv prefix
    flags: tuple[str, ...]      # target flags
    link_flags: tuple[str, ...]
    identity: str               # version text (part of cache keys)

    @property
    def stack_usage_flag(self) -> str:
        return "-fstack-usage" if self.family == "gcc" else "-fstack-size-section"


def pio_package_dirs() -> list[Path]:
    """Where PlatformIO keeps toolchain packages: this repo's core dir (`wasmote build`),
    then the user's own (~/.platformio, or PLATFORMIO_CORE_DIR when set elsewhere)."""
    dirs = [BUILD_DIR / "pio-core" / "packages"]
    core = os.environ.get("PLATFORMIO_CORE_DIR")
    dirs.append(Path(core) / "packages" if core else Path.home() / ".platformio" / "packages")
    return dirs


def locate_gcc(gcc: str) -> str | None:
    """A compiler from PATH, else from an installed PlatformIO toolchain package (the ESP32's
    xtensa-esp32-elf-gcc comes only from there)."""
    path = shutil.which(gcc)
    if path is not None:
        return path
    for packages in pio_package_dirs():
        for found in sorted(packages.glob(f"toolchain-*/bin/{gcc}")):
            if os.access(found, os.X_OK):
                return str(found)
    return None


def _zig_cc() -> tuple[str, ...]:
    return (sys.executable, "-m", "ziglang", "cc")


@cache
def _version(cmd: tuple[str, ...]) -> str:
    try:
        out = subprocess.run([*cmd, "--version"], capture_output=True, text=True, check=False,
                             env=_zig_env())
    except OSError as e:
        raise ToolchainError(f"cannot run {cmd[0]}: {e.strerror or e}") from None
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) \
        else cmd[0]


def _zig_env() -> dict[str, str]:
    env = dict(os.environ)
    cache_dir = BUILD_DIR / "zig-cache"
    env.setdefault("ZIG_GLOBAL_CACHE_DIR", str(cache_dir))
    env.setdefault("ZIG_LOCAL_CACHE_DIR", str(cache_dir))
    return env


def zig_environment() -> dict[str, str]:
    return _zig_env()


def compiler_for(target: Target, family: str | None = None) -> Compiler:
    """The compiler for `target`: `family` gcc or zig, default gcc (the board's GCC)."""
    family = family or "gcc"
    if family == "zig":
        if target.zig_flags is None:
            raise ToolchainError(f"zig cc cannot build for {target.name} (use its GCC)")
        try:
            import ziglang  # noqa: F401  (installed with wasmote)
        except ImportError:
            raise ToolchainError("zig is not installed (pip install ziglang)") from None
        cmd = _zig_cc()
        return Compiler("zig", cmd, target.zig_flags, target.zig_flags, _version(cmd))
    if family != "gcc":
        raise UsageError(f"unknown compiler {family!r} (gcc or zig)")
    path = locate_gcc(target.gcc)
    if path is None:
        hint = {"esp32": " (PlatformIO installs it with the espressif32 platform, in "
                         "~/.platformio/packages/toolchain-xtensa-esp32*/bin; searched there "
                         "and in build/pio-core; elsewhere, put its bin folder on PATH)"}.get(
            target.name, " (scripts/bootstrap.sh installs it)")
        raise ToolchainError(f"{target.gcc} not found for AOT target {target.name}{hint}")
    cmd = (path,)
    return Compiler("gcc", cmd, target.gcc_flags, target.gcc_flags, _version(cmd))


def prelude_dir() -> Path:
    from wasmote.paths import FIRMWARE_DIR
    return FIRMWARE_DIR / "src" / "core" / "aot"


def helper_paths(target: Target) -> list[Path]:
    from wasmote.paths import FIRMWARE_DIR
    return [FIRMWARE_DIR / "src" / h for h in target.helpers]
