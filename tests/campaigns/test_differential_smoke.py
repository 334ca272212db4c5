"""A short version of the differential campaign (the long run: `python -m
tests.campaigns.differential`, docs/reliability.md): random valid modules from binaryen on
every engine available here (our interpreter, the same sliced by fuel, wasmtime, and our AOT
compiler), plus a check that the comparison does see a difference."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.campaigns import differential as d
from wasmote import posix_build

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("wasm-opt", "wasm2wat", "wat2wasm")),
    reason="binaryen and wabt make the modules (scripts/bootstrap.sh installs them)")
pytest.importorskip("wasmtime", reason="wasmtime (PyPI) is in the dev extras")


def test_random_modules_agree_on_every_engine() -> None:
    names = d.default_engines()
    r = d.campaign(12, names, seed=11)
    assert r.refused == [] and r.mismatches == [] and r.engine_reports == [], \
        "\n".join(r.refused + r.mismatches + r.engine_reports)
    assert r.modules_compared >= 8 and r.calls_compared > 40 and r.memories_compared >= 4
    if "aot" in names:
        assert r.aot_native is not None and r.aot_native >= r.modules_compared


def test_reference_type_modules_agree_on_every_engine() -> None:
    """binaryen with reference types: the modules it makes within 2.0 (about 1 in 7 with
    binaryen 108; the rest use GC's anyref and are skipped) on every engine, exports
    with reference parameters or results counted, not called."""
    names = [*d.default_engines(), "pd"]
    r = d.campaign(60, names, seed=7, reftypes=True)
    assert r.refused == [] and r.mismatches == [] and r.engine_reports == [], \
        "\n".join(r.refused + r.mismatches + r.engine_reports)
    assert r.modules_compared >= 4 and r.calls_compared > 20 and r.ref_exports >= 1, r


def test_a_difference_is_reported(tmp_path: Path) -> None:
    """Our interpreter capped at 4 KiB of memory against wasmtime: a module that stores at
    64 KiB - 8 traps on one and not the other, and the campaign must say so."""
    wat = tmp_path / "far.wat"
    wat.write_text('(module (memory 1) (func (export "far") (result i32)'
                   ' (i64.store (i32.const 65528) (i64.const 7)) (i32.const 1)))')
    wasm = tmp_path / "far.wasm"
    subprocess.run(["wat2wasm", str(wat), "-o", str(wasm)], check=True)
    exe = posix_build.build_program("wasmote-spec", "release")
    capped = d.DriverEngine("capped", exe, setup=["limit memcap 4096"])
    engines: list[d.Engine] = [capped, d.WasmtimeEngine()]
    res = d.DiffResult([e.name for e in engines])
    try:
        d.run_module(engines, wasm, random.Random(1), res)
    finally:
        capped.close()
    assert res.modules_compared == 1
    assert len(res.mismatches) == 1 and "out of bounds memory" in res.mismatches[0]
