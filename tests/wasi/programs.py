"""Real programs for the WASI tests, built with the toolchains users have: zig's clang with
wasi-libc (a C program touring libc) and AssemblyScript from npm (test harness code)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from wasmote.package.build import build_package
from wasmote.package.capabilities import parse_capabilities
from wasmote.package.manifest import Limits, Manifest, Version
from wasmote.sdk.asc import AscOptions, compile_assemblyscript
from wasmote.sdk.cc import CompileError

HERE = Path(__file__).resolve().parent / "programs"

# libc_tour.c run with args ("x", "5") and WHO=me: its stdout but the rand line (whatever
# wasi-libc's rand gives for srand(7), the same on every target), its stderr, its exit code.
TOUR_ARGS = ("x", "5")
TOUR_ENV = (("WHO", "me"),)
TOUR_STDOUT = re.compile(
    rb"floats 3.142 0.1 1.234568e\+04 -2.2\n"
    rb"malloc\+qsort 0 500 999 sum 499500\n"
    rb"snprintf 13 \[id-00042-beef\]\n"
    rb"rand (\d+) (\d+)\n"
    rb"time ok monotonic ok\n"
    rb"arg 1 x\n"
    rb"arg 2 5\n\Z")
TOUR_STDERR = b"to stderr: me\n"
TOUR_EXIT = 5


def build_tour(out: Path) -> Path:
    """libc_tour.c with zig cc -target wasm32-wasi, linked for a small device (128 KiB of
    memory, 16 KiB of stack), with DWARF."""
    wasm = out / "libc_tour.wasm"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-wasi", "-Os",
                    "-g", "-fno-sanitize=undefined", "-Wl,--initial-memory=131072",
                    "-Wl,-z,stack-size=16384", str(HERE / "libc_tour.c"), "-o", str(wasm)],
                   check=True)
    return wasm


def build_trap(out: Path) -> Path:
    """trap.c with zig cc -target wasm32-wasi (-O1, DWARF), linked for a small device."""
    wasm = out / "trap.wasm"
    subprocess.run([sys.executable, "-m", "ziglang", "cc", "-target", "wasm32-wasi", "-O1",
                    "-fno-sanitize=undefined", "-Wl,--initial-memory=131072",
                    "-Wl,-z,stack-size=16384", str(HERE / "trap.c"), "-o", str(wasm)],
                   check=True)
    return wasm


TRAP_MANIFEST = ('name = "trap"\nversion = "1.0.0"\ncapabilities = ["log"]\n'
                 '[limits]\nmemory = "192KiB"\n')


def _line_of(text: str, path: Path) -> int:
    """The 1-based line of `path` that holds `text` (the report's lines follow the source,
    whatever its layout)."""
    [n] = [i for i, ln in enumerate(path.read_text().splitlines(), 1) if text in ln]
    return n


TRAP_WHERE = ("trap: out of bounds memory access in filter_step "
              f"(trap.c:{_line_of('return table[', HERE / 'trap.c')}) <- main "
              f"(trap.c:{_line_of('return filter_step(', HERE / 'trap.c')})")


def tour_package(wasm: bytes) -> bytes:
    """Stripped, as `wasmote package` makes it (a short push); zig's allocator takes whole
    64 KiB pages: its heap wants about three more than the module starts with."""
    manifest = Manifest(name="tour", version=Version(1, 0, 0),
                        capabilities=parse_capabilities(["log", "time", "random"]),
                        limits=Limits(memory_bytes=384 * 1024), args=TOUR_ARGS, env=TOUR_ENV)
    return build_package(wasm, manifest).package.to_bytes()


def build_fib(out: Path, runtime: str) -> Path:
    """fib.ts with asc (`wasmote asc`'s flags, names kept); skips without Node.js >= 20."""
    wasm = out / f"fib-{runtime}.wasm"
    try:
        compile_assemblyscript(AscOptions((HERE / "fib.ts",), wasm, runtime=runtime,
                                          strip=False))
    except CompileError as e:
        if "missing" in str(e):
            pytest.skip(str(e))
        raise
    return wasm


def fib_package(wasm: bytes, runtime: str) -> bytes:
    manifest = Manifest(name=f"fib_{runtime}", version=Version(1, 0, 0),
                        capabilities=parse_capabilities(["log", "random"]))
    return build_package(wasm, manifest).package.to_bytes()


# fib.ts's `run`: these log lines, then 75025; `check 0` traps with AssemblyScript's abort.
FIB_LOGS = ["trace: hello from AssemblyScript", "trace: fib 55, 6765", "trace: sorted 0, 5, 9"]
FIB_RUN = 75025
FIB_ABORT = "abort: x must be positive at fib.ts:25:3"
