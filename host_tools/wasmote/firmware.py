"""Building the device firmware with PlatformIO, offline, and measuring it.

The QEMU boards build with the in-repo dev-platform (firmware/platform/wasmote-qemu) and the
Debian cross compilers; PlatformIO's own build engine (`tool-scons`) is supplied locally from
PyPI's scons, so no registry access is needed. Real boards (esp32dev, nucleo_l476rg) need
their platform from the PlatformIO registry and fail early with one clear line when it is
not installed.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from wasmote.boards import Board, load_board
from wasmote.errors import WasmoteError
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR

PIO_CORE_DIR = BUILD_DIR / "pio-core"
PIO_BUILD_DIR = BUILD_DIR / "pio"
SELFTEST_WAT = FIRMWARE_DIR / "src" / "app" / "selftest.wat"
SELFTEST_HEADER = FIRMWARE_DIR / "src" / "app" / "selftest_wasm.h"

SCONS_VERSION = "4.41101.0"  # PlatformIO's encoding of scons 4.11.1

_SCONS_PY = """\
import sys
from SCons.Script import main

if __name__ == "__main__":
    sys.exit(main())
"""


class FirmwareError(WasmoteError):
    """The firmware cannot be built (missing platform or tool, compiler error)."""


class FirmwareBuildError(FirmwareError):
    """PlatformIO ran and failed; keeps its whole output, shows the first error line."""

    def __init__(self, env: str, output: str) -> None:
        self.env = env
        self.output = output
        errors = [ln.strip() for ln in output.splitlines()
                  if re.search(r"error:|Error:|undefined reference|No such file", ln)]
        self.first = errors[0] if errors else (output.strip().splitlines() or ["?"])[-1]
        super().__init__(f"firmware build for {env} failed: {self.first}")


def ensure_tool_scons(core_dir: Path = PIO_CORE_DIR) -> Path:
    """Make `<core_dir>/packages/tool-scons` so `pio run` needs no registry. Idempotent.

    PlatformIO runs `<tool-scons>/scons.py`; a package folder with package.json and a
    .piopm naming owner `platformio` counts as installed.
    """
    pkg = core_dir / "packages" / "tool-scons"
    pkg.mkdir(parents=True, exist_ok=True)
    manifest = {"name": "tool-scons", "version": SCONS_VERSION,
                "description": "SCons from PyPI, supplied locally by wasmote"}
    piopm = {"type": "tool", "name": "tool-scons", "version": SCONS_VERSION,
             "spec": {"owner": "platformio", "id": 0, "name": "tool-scons",
                      "requirements": None, "uri": None}}
    files = {"package.json": json.dumps(manifest, indent=2), ".piopm": json.dumps(piopm),
             "scons.py": _SCONS_PY}
    for name, text in files.items():
        path = pkg / name
        if not path.exists() or path.read_text() != text:
            path.write_text(text)
    return pkg


def pio_environ() -> dict[str, str]:
    """The environment `pio` runs in: our core dir and build dir, never ~/.platformio."""
    env = dict(os.environ)
    env["PLATFORMIO_CORE_DIR"] = str(PIO_CORE_DIR)
    env["PLATFORMIO_BUILD_DIR"] = str(PIO_BUILD_DIR)
    env.setdefault("PLATFORMIO_SETTING_ENABLE_TELEMETRY", "no")
    env.setdefault("PLATFORMIO_SETTING_CHECK_PLATFORMIO_INTERVAL", "3650")
    if os.environ.get("NO_COLOR") or not sys.stderr.isatty():
        env.setdefault("PLATFORMIO_DISABLE_COLOR", "true")  # its output may reach a log
    return env


@dataclass(frozen=True)
class Sizes:
    """Section totals of an ELF image as `size -B` reports them, in bytes."""

    text: int
    data: int
    bss: int

    @property
    def flash(self) -> int:
        return self.text + self.data

    @property
    def ram(self) -> int:
        return self.data + self.bss


@dataclass(frozen=True)
class BuildResult:
    board: Board
    env: str
    elf: Path
    sizes: Sizes

    @property
    def ram_free(self) -> int:
        """RAM left for the runtime's arenas (what the banner's ram_free reports, ±8)."""
        return self.board.ram.size - self.board.stack - self.sizes.ram


def firmware_elf(env: str) -> Path:
    return PIO_BUILD_DIR / env / "firmware.elf"


def missing_platforms(board: Board, core_dir: Path | None = None) -> list[str]:
    """The board's PlatformIO platforms that are not installed in the core dir (only real
    boards have any: the QEMU boards' platform lives in the repo)."""
    if not board.registry_only:
        return []
    core = PIO_CORE_DIR if core_dir is None else core_dir
    return [p for p in board.platforms if not (core / "platforms" / p).is_dir()]


def toolchain_tool(board: Board, tool: str) -> str:
    """A binutils tool of the board's toolchain (`size`, `nm`): from PATH (the Debian cross
    tools), else from the PlatformIO toolchain package a real board's build installed
    (xtensa-esp32-elf-* exists only there). The bare name when neither has it."""
    name = f"{board.toolchain}-{tool}"
    if shutil.which(name) is None:
        for found in sorted((PIO_CORE_DIR / "packages").glob(f"toolchain-*/bin/{name}")):
            return str(found)
    return name


def check_buildable(board: Board) -> None:
    """Fails early, in one line, for boards whose PlatformIO platform is not installed."""
    if not board.registry_only:
        for tool in (f"{board.toolchain}-gcc", board.size_tool):
            if shutil.which(tool) is None:
                raise FirmwareError(f"board {board.name} needs {tool}, which is not installed "
                                    "(run ./wasmote.sh bootstrap)")
        return
    missing = missing_platforms(board)
    if missing:
        raise FirmwareError(
            f"board {board.name} needs the PlatformIO platform {missing[0]!r} and its "
            "toolchain from the PlatformIO registry, which are not installed here (offline?); "
            "build it where registry.platformio.org is reachable, or use a QEMU board "
            "(mps2-an385, mps2-an386, mps2-an505, riscv32-virt, xtensa-lx106)")


@contextmanager
def _pio_lock() -> Iterator[None]:
    """One PlatformIO run at a time, across processes. Global, not per environment: when
    the project's file list or platformio.ini changes, the next run of ANY environment
    deletes the whole build dir (PlatformIO's project checksum), so builds of different
    environments are not independent. The lock file lives outside that dir."""
    BUILD_DIR.mkdir(parents=True, exist_ok=True)
    with open(BUILD_DIR / "pio.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def build(board_name: str, env: str | None = None, verbose: bool = False,
          echo: Callable[[str], None] | None = None) -> BuildResult:
    """Builds the firmware of one board (PlatformIO environment `env`, default the board's
    name) and returns the ELF and its sizes. Incremental: an unchanged tree costs ~1 s.
    `echo` gets a line when the build starts, for each file compiled, and at the end (a
    clean build takes a minute: it must not look hung)."""
    board = load_board(board_name)
    env = env or board.name
    check_buildable(board)
    ensure_tool_scons()
    cmd = [sys.executable, "-m", "platformio", "run", "-d", str(FIRMWARE_DIR), "-e", env]
    t0 = time.monotonic()
    if echo is not None:
        echo(f"building {env} firmware (PlatformIO)")
    lines: list[str] = []
    compiled = 0
    with _pio_lock():
        proc = subprocess.Popen(cmd, env=pio_environ(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if verbose:
                sys.stderr.write(line)
            elif echo is not None and line.startswith(("Compiling ", "Linking ")):
                compiled += line.startswith("Compiling ")
                what = os.path.basename(line.split()[-1])
                echo(f"  {env}: {line.split()[0].lower()} {what}")
        proc.wait()
    output = "".join(lines)
    if proc.returncode != 0:
        if "UnknownEnvName" in output or "Unknown environment" in output:
            raise FirmwareError(f"no PlatformIO environment {env!r} in firmware/platformio.ini")
        raise FirmwareBuildError(env, output)
    elf = firmware_elf(env)
    if not elf.is_file():
        raise FirmwareError(f"PlatformIO reported success but {elf} is missing")
    if echo is not None:
        what = f"{compiled} file(s) compiled" if compiled else "up to date"
        echo(f"built {env} in {time.monotonic() - t0:.1f} s ({what})")
    return BuildResult(board, env, elf, elf_sizes(elf, toolchain_tool(board, "size")))


def elf_sizes(elf: Path, size_tool: str) -> Sizes:
    """text/data/bss of an ELF via binutils `size` (Berkeley format)."""
    try:
        out = subprocess.run([size_tool, "-B", "-d", str(elf)], capture_output=True, text=True,
                             check=True).stdout
    except FileNotFoundError as e:
        raise FirmwareError(f"{size_tool} is not installed") from e
    except subprocess.CalledProcessError as e:
        raise FirmwareError(f"{size_tool} failed on {elf}: {e.stderr.strip()}") from e
    fields = out.strip().splitlines()[-1].split()
    return Sizes(int(fields[0]), int(fields[1]), int(fields[2]))


def size_table(results: list[BuildResult]) -> str:
    """A plain-text table of flash/RAM per build."""
    rows = [("env", "cpu", "text", "data", "bss", "flash", "ram(static)", "ram_free")]
    for r in results:
        s = r.sizes
        rows.append((r.env, r.board.cpu, str(s.text), str(s.data), str(s.bss), str(s.flash),
                     str(s.ram), str(r.ram_free)))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for row in rows:
        lines.append("  ".join(c.ljust(w) if i < 2 else c.rjust(w)
                               for i, (c, w) in enumerate(zip(row, widths, strict=True))))
    return "\n".join(lines)


# ---- the boot self-test module ---------------------------------------------------------------

# (export, argument or None): the cases the firmware runs at boot, in order.
SELFTEST_CASES: tuple[tuple[str, int | None], ...] = (
    ("i32_arith", None), ("i64_arith", None), ("loop_sum", 1000), ("fib", 20),
    ("f32_math", None), ("f64_math", None), ("memory", None),
)


@dataclass(frozen=True)
class SelftestResult:
    name: str
    type: str  # i32 i64 f32 f64
    bits: int


def selftest_wasm(wat: Path = SELFTEST_WAT) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "selftest.wasm"
        try:
            subprocess.run(["wat2wasm", str(wat), "-o", str(out)], check=True,
                           capture_output=True, text=True)
        except FileNotFoundError as e:
            raise FirmwareError("wat2wasm (wabt) is not installed") from e
        except subprocess.CalledProcessError as e:
            raise FirmwareError(f"wat2wasm failed on {wat}: {e.stderr.strip()}") from e
        return out.read_bytes()


def selftest_expected(wasm: bytes) -> list[SelftestResult]:
    """Runs the self-test cases on wasmtime (the reference) and returns the result bits."""
    import wasmtime  # dev dependency: only needed to (re)generate the header

    store = wasmtime.Store()
    inst = wasmtime.Instance(store, wasmtime.Module(store.engine, wasm), [])
    results = []
    for name, arg in SELFTEST_CASES:
        func = inst.exports(store)[name]
        assert isinstance(func, wasmtime.Func)
        rtype = str(func.type(store).results[0])
        value = func(store, *([] if arg is None else [arg]))
        if rtype == "i32":
            bits = int(value) & 0xFFFFFFFF
        elif rtype == "i64":
            bits = int(value) & 0xFFFFFFFFFFFFFFFF
        elif rtype == "f32":
            bits = struct.unpack("<I", struct.pack("<f", value))[0]
        else:
            bits = struct.unpack("<Q", struct.pack("<d", value))[0]
        results.append(SelftestResult(name, rtype, bits))
    return results


def selftest_header(wat: Path = SELFTEST_WAT) -> str:
    """The C header the firmware embeds: the module bytes and the expected result bits."""
    wasm = selftest_wasm(wat)
    expected = selftest_expected(wasm)
    codes = {"i32": "WM_I32", "i64": "WM_I64", "f32": "WM_F32", "f64": "WM_F64"}
    out = [
        "/* Generated from selftest.wat by `python -m wasmote.firmware gen-selftest`;",
        " * expected results computed by wasmtime. Do not edit. */",
        "#ifndef WM_APP_SELFTEST_WASM_H",
        "#define WM_APP_SELFTEST_WASM_H",
        "",
        "#include <stdint.h>",
        "",
        '#include "wasmote.h"',
        "",
        "typedef struct wm_selftest_case {",
        "    const char *name;",
        "    uint8_t nargs;",
        "    uint32_t arg;",
        "    uint8_t type;",
        "    uint64_t bits;",
        "} wm_selftest_case;",
        "",
        f"static const uint8_t wm_selftest_wasm[{len(wasm)}] = {{",
    ]
    for i in range(0, len(wasm), 12):
        out.append("    " + " ".join(f"0x{b:02x}," for b in wasm[i:i + 12]))
    out += ["};", "", "static const wm_selftest_case wm_selftest_cases[] = {"]
    for (name, arg), res in zip(SELFTEST_CASES, expected, strict=True):
        out.append(f'    {{"{name}", {0 if arg is None else 1}, {arg or 0}u, {codes[res.type]}, '
                   f"0x{res.bits:x}ull}},")
    out += ["};", "", "#endif /* WM_APP_SELFTEST_WASM_H */", ""]
    return "\n".join(out)


def _main(argv: list[str]) -> int:
    if argv == ["gen-selftest"]:
        SELFTEST_HEADER.write_text(selftest_header())
        print(f"wrote {SELFTEST_HEADER}")
        return 0
    print("usage: python -m wasmote.firmware gen-selftest", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
