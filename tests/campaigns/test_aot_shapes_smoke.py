"""A short run of the AOT shapes campaign (the long run: `python -m
tests.campaigns.aot_shapes`, docs/reliability.md): modules shaped like compiled C, aimed at
the AOT translator's proofs, on the interpreter, the AOT code, and both sliced by fuel;
a check that the generated modules reach the proofs; and one that the fuel-capped
comparison sees AOT code that meters fuel differently."""

from __future__ import annotations

import random
import shutil
from collections import Counter
from pathlib import Path

import pytest

from tests.campaigns import aot_shapes as s
from tests.campaigns import differential as d
from wasmote import posix_build

pytestmark = pytest.mark.skipif(shutil.which("wat2wasm") is None,
                                reason="wabt's wat2wasm assembles the modules")

# proofs the fixed seed's modules must reach, in at least this many modules each
REACHED = {"RANGE_OK": 3, "FUEL_COVERS": 3, "wm_backs": 3, "EAF": 10, "CHARGE_AHEAD": 3,
           "GRP_OK": 10, "CHKL": 10, "cmpbound": 3, "returnfacts": 2, "paramfacts": 2,
           "guardhoist": 1, "outerloops": 1, "rangehoist": 1, "WM_REMAT": 2}


def test_generated_modules_reach_the_proofs(tmp_path: Path) -> None:
    rng = random.Random(7)
    holding: Counter[str] = Counter()
    for i in range(60):
        wasm = s.assemble(s.make_shape(rng).wat, tmp_path, f"m{i}")
        holding.update(k for k, v in s.proofs_of(wasm.read_bytes()).items() if v)
    short = {k: holding[k] for k, n in REACHED.items() if holding[k] < n}
    assert not short, f"the generator no longer reaches {short} (all: {dict(holding)})"


@pytest.mark.skipif(d.aot_available() is not None, reason="no AOT target on this host")
def test_shapes_agree_on_every_engine() -> None:
    r = s.campaign(30, s.default_engines(), seed=7, keep=None)
    assert r.refused == [] and r.mismatches == [] and r.engine_reports == [], \
        "\n".join(r.refused + r.mismatches + r.engine_reports)
    assert r.modules == 30 and r.aot_native == 30 and r.calls > 250
    # calls cut by the cap, traps, and calls the sliced engines resumed: all compared
    assert r.outoffuel > 5 and r.traps.get("aot", 0) > 20 and r.resumes > 1000
    assert r.hashed_cuts > 500 and r.nofuel_calls > 50


@pytest.mark.skipif(d.aot_available() is not None, reason="no AOT target on this host")
def test_a_fuel_difference_is_reported(tmp_path: Path) -> None:
    """AOT code compiled without fuel against the interpreter, compared as if it metered
    fuel (not as the campaign's aot-nofuel engine, which drops out at the first cut): a
    call the cap cuts on one runs to its end on the other, and the campaign must say so."""
    shape = s.Shape('(module (memory 1) (func (export "f0") (param i32 i32 i32) (result i32)'
                    ' (local $i i32) (loop $l (i32.store (i32.const 0x8000) (local.get $i))'
                    ' (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))'
                    ' (i32.const 100000)))) (local.get $i))' + d.MEMHASH_WAT + ")", 1,
                    [("f0", 3)])
    wasm = s.assemble(shape.wat, tmp_path, "loop")
    exe = posix_build.build_program("wasmote-spec", "release")
    interp = d.DriverEngine("interp", exe)
    free = d.aot_engine("unmetered", fuel=False)
    engines: list[d.Engine] = [interp, free]
    res = s.ShapesResult([e.name for e in engines])
    try:
        s.run_shape(engines, shape, wasm, random.Random(1), res, None)
    finally:
        for e in engines:
            e.close()
    assert res.modules == 1
    assert len(res.mismatches) == 1 and "outoffuel" in res.mismatches[0], res.mismatches
