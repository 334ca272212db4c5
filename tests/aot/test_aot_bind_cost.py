"""Binding an AOT section feeds the watchdog as it goes (core/aot/aot_bind.c).

At every load of a package with native code, the binder checks each function's type
against the section's (a hash of up to 128 parameters and 128 results) in one loop that
charged nothing to the install's work meter (core/base/wm_work.h): a signed package of
68 000 functions of the widest type held a Cortex-M4 ~80 M instructions (3 s at 25 MHz,
past the 2 s watchdog) without a kick, at its install and at every boot. The loop now
charges a unit a function and one per 8 values (c/aot_bind_cost.c counts the kicks).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from bench.install_worst import _WIDE, HEADER, _section, _vec
from tests.aot.test_aot_unit import CORE
from tests.harness import c_harness
from wasmote.paths import FIRMWARE_DIR

HERE = Path(__file__).resolve().parent
QUANTUM = 16384  # WM_WORK_KICK_UNITS


def _wide_functions(n: int) -> bytes:
    """`n` functions of type (128 x i32) -> (128 x i32), each `unreachable`."""
    return (HEADER + _section(1, _vec([_WIDE])) + _section(3, _vec([b"\x00"] * n))
            + _section(10, _vec([b"\x03\x00\x00\x0b"] * n)))


def test_binding_many_wide_functions_kicks_the_watchdog(tmp_path: Path) -> None:
    exe = tmp_path / "aot_bind_cost"
    sources = [*sorted((CORE / "base").glob("*.c")), *sorted((CORE / "runtime").glob("*.c")),
               *sorted((CORE / "aot").glob("*.c")), *sorted((CORE / "aot" / "arch").glob("*.S")),
               CORE / "crypto" / "sha256.c", HERE / "c" / "aot_bind_cost.c"]
    cmd = ["cc", "-O1", "-g", "-fsanitize=address,undefined", "-fno-sanitize-recover=all",
           "-std=c99", "-Wall", "-Wextra", "-Werror", f"-I{FIRMWARE_DIR / 'include'}",
           f"-I{CORE / 'base'}", f"-I{CORE / 'runtime'}", f"-I{CORE / 'aot'}",
           f"-I{CORE / 'aot' / 'arch'}", f"-I{CORE / 'crypto'}", f"-I{c_harness.INCLUDE_DIR}",
           *map(str, sources), "-o", str(exe)]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-4000:]
    module = tmp_path / "wide.wasm"
    n = 20_000
    module.write_bytes(_wide_functions(n))
    run = subprocess.run([str(exe), str(module)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0 and run.stdout.strip().endswith("ok"), (
        run.stdout[-2000:] + run.stderr[-4000:])
    m = re.search(r"functions (\d+) kicks (\d+)", run.stdout)
    assert m is not None and int(m.group(1)) == n, run.stdout
    # a unit a function and one per 8 of its 256 values
    assert int(m.group(2)) >= n * (1 + 256 // 8) // QUANTUM, run.stdout
