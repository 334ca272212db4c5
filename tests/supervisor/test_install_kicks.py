"""The install's long loops feed the watchdog as they go (core/base/wm_work.h).

Each module is shaped so that one loop of the install does nearly all its work (the
package hash, the validator's instructions, its function headers, a br_table's targets,
a function type's parameters, the exports); installed into the sandbox harness (posix
release build), the work meter must have kicked at least once per WM_WORK_KICK_UNITS of
the work that loop charges: a loop whose charge is removed drops the count far below
(only the package hash's ~64 kicks per MB would remain). The instructions between kicks
on the Cortex-M4 are measured by `python -m bench.install_worst` (docs/reliability.md).
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from bench import install_worst as shapes
from tests.sandbox.sandbox_support import build_harness, package
from wasmote.paths import FIRMWARE_DIR
from wasmote.wasm.leb128 import decode_unsigned
from wasmote.wasm.leb128 import encode_unsigned as uleb
from wasmote.wasm.validator import MAX_EXPORTS, MAX_IMPORTS, MAX_TYPE_VALUES

WORK_H = FIRMWARE_DIR / "src" / "core" / "base" / "wm_work.h"
QUANTUM = int(re.search(r"#define WM_WORK_KICK_UNITS (\d+)u", WORK_H.read_text())
              .group(1))  # type: ignore[union-attr]
OP_UNITS = 4  # an instruction's charge (validate.c, WM_WORK_OP_UNITS)
SIZE = 128 * 1024  # fits the harness's 512 KiB arena with its side tables


def _steps(size: int) -> int:
    return (size - 64) // 10


def _funcs(size: int) -> int:
    return min((size - 64) // 4, shapes.MANY_FUNCTIONS)


# shape, its module, and the units the loader must charge for it (at least)
CASES: dict[str, tuple[Callable[[int], bytes], Callable[[int], int]]] = {
    # five instructions a step (loop, local.get, local.get, i32.add, local.set; end)
    "dense_code": (shapes.dense_code, lambda n: _steps(n) * 6 * OP_UNITS),
    # each function: its entry and its `end`
    "many_functions": (lambda n: shapes.many_functions(n // 4),
                       lambda n: _funcs(n // 4) * 2 * OP_UNITS),
    # each target checked, then given its side-table entry (one each: an eighth fits)
    "br_table": (lambda n: shapes.br_table(n // 8), lambda n: (n // 8 - 64) * 2 * OP_UNITS),
    # each parameter and result read (a type of 128 + 128 is 261 bytes)
    "wide_types": (shapes.wide_types, lambda n: (n - 64) // 261 * 2 * MAX_TYPE_VALUES),
    # each call: its 128 values popped and 128 pushed (two bytes; a call has a side-table
    # entry: an eighth fits)
    "wide_calls": (lambda n: shapes.wide_calls(n // 8),
                   lambda n: (n // 8 - 64) // 2 * 2 * MAX_TYPE_VALUES),
    # each export and its name check: 8 units a byte, 6 bytes an export
    "exports": (lambda n: shapes.exports(MAX_EXPORTS),
                lambda n: MAX_EXPORTS * 6 * 8),
    # empty custom sections (3 bytes each): 4 units a header in the loader and one in each
    # of the link's two walks (before, none: ~144 M4 instructions a section in the loader)
    "custom_sections": (lambda n: shapes.custom_sections(n), lambda n: (n - 64) // 3 * 6),
    # tables (3 bytes), globals (5) and empty element segments (3): WM_WORK_ITEM_UNITS (8)
    # each at load (before: the tables and segments none, a global its 3 init bytes), and
    # their instances again where the harness's arena holds them (an eighth of the tables
    # and segments fits it)
    "tables": (lambda n: shapes.many_tables(n // 8), lambda n: (n // 8 - 64) // 3 * 8),
    "globals": (shapes.many_globals, lambda n: (n - 64) // 5 * 8),
    "elems": (lambda n: shapes.many_elems(n // 8), lambda n: (n // 8 - 64) // 3 * 8),
    # an active segment of 20 000 references filling a table of as many slots: 2 units an
    # item at load, 2 again as instantiation writes it (before: 1, and 0)
    "table_init": (lambda n: shapes.table_init(20_000), lambda n: 20_000 * 4),
}


@pytest.fixture(scope="module")
def harness() -> Path:
    return build_harness("release")


def _install_kicks(exe: Path, tmp: Path, wasm: bytes) -> tuple[str, int, int]:
    pkg = package(wasm, "kicks", [], memory=0)
    path = tmp / "m.wmp"
    path.write_bytes(pkg)
    out = subprocess.run([str(exe)], input=f"install 0 {path}\nkicks\n", capture_output=True,
                         text=True, timeout=120, check=True).stdout.splitlines()
    return out[0], int(out[-1]), len(pkg)


@pytest.mark.parametrize("name", list(CASES))
def test_every_long_install_loop_kicks_per_quantum_of_its_work(harness: Path, tmp_path: Path,
                                                               name: str) -> None:
    make, units = CASES[name]
    wasm = make(SIZE)
    answer, kicks, pkg_bytes = _install_kicks(harness, tmp_path, wasm)
    # loaded (8000 functions' instances may not fit the harness's arena: that is after)
    assert answer.startswith("ok") or "instantiate: out of memory" in answer, answer
    hashed = pkg_bytes // QUANTUM  # the package's content hash
    loop = units(SIZE) // QUANTUM
    per_mb = kicks * (1 << 20) // pkg_bytes
    assert kicks >= hashed + loop, (f"{kicks} kicks ({per_mb} per MB of package); the hash "
                                    f"alone gives {hashed}, the loop must add {loop}")


@pytest.mark.parametrize(("what", "make", "cap", "section"), [
    ("exports", shapes.exports, MAX_EXPORTS, 7),
    ("imports", shapes.imports, MAX_IMPORTS, 2),
])
def test_one_past_a_count_cap_is_refused_at_the_count(harness: Path, tmp_path: Path, what: str,
                                                      make: Callable[[int], bytes], cap: int,
                                                      section: int) -> None:
    wasm = make(cap + 1)
    answer, _, _ = _install_kicks(harness, tmp_path, wasm)
    m = re.match(rf"refused \d+ 0x([0-9a-f]+) too many {what} \(the limit is (\d+)\)", answer)
    assert m is not None, answer
    assert int(m.group(2)) == cap
    pos, at = 8, None  # the count: right after the section's id and size
    while pos < len(wasm):
        sid = wasm[pos]
        size, body = decode_unsigned(wasm, pos + 1, 32)
        if sid == section:
            at = body
        pos = body + size
    pkg = package(wasm, "kicks", [], memory=0)
    assert at is not None and int(m.group(1), 16) == pkg.index(wasm) + at, (answer, at)
    if what == "exports":  # and the cap itself loads (the kick test installs it too)
        assert _install_kicks(harness, tmp_path, make(cap))[0].startswith("ok")


def _one_type(params: int, results: int) -> bytes:
    t = b"\x60" + uleb(params) + b"\x7f" * params + uleb(results) + b"\x7f" * results
    return shapes.HEADER + shapes._section(1, shapes._vec([t]))


@pytest.mark.parametrize(("params", "results", "what"), [
    (MAX_TYPE_VALUES + 1, 0, "parameters"), (0, MAX_TYPE_VALUES + 1, "results")])
def test_a_type_one_value_too_wide_is_refused(harness: Path, tmp_path: Path, params: int,
                                              results: int, what: str) -> None:
    answer, _, _ = _install_kicks(harness, tmp_path, _one_type(params, results))
    assert re.match(rf"refused \d+ 0x[0-9a-f]+ too many {what} in a type \(the limit is "
                    rf"{MAX_TYPE_VALUES}\)", answer), answer
    ok, _, _ = _install_kicks(harness, tmp_path, _one_type(params - 1 if params else 0,
                                                           results - 1 if results else 0))
    assert ok.startswith("ok"), ok


def test_zeroing_the_initial_memory_kicks(harness: Path, tmp_path: Path) -> None:
    """Instantiation zeroes the module's initial memory (all its limit may allow), a unit a
    16 bytes charged as it goes: 2.5 MiB were 2.6 M Cortex-M4 instructions without a kick
    (bench.install_worst's big_memory); 6 pages here, the harness's arena permitting."""
    pages = 6
    pkg = package(shapes.big_memory(pages), "kicks", [], memory=pages * 65536)
    path = tmp_path / "m.wmp"
    path.write_bytes(pkg)
    out = subprocess.run([str(harness)], input=f"install 0 {path}\nkicks\n",
                         capture_output=True, text=True, timeout=120,
                         check=True).stdout.splitlines()
    assert out[0].startswith("ok"), out
    assert int(out[-1]) >= pages * 65536 // 16 // QUANTUM, out
