"""loopcost.py: a loop whose trip count is known small where it is entered gets no second
copy (neither loops.py's checked-once copy nor loopfuel.py's charge-free one) and its branch
back tells the C compiler how likely it is; the same loop over a longer count keeps both.
What they compute, trap and charge in every fuel slice is tests/aot/c/aot_unit.c's
"loopcost" case (tests/aot/wat/loopcost.wat) against the interpreter."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from wasmote.aot import loopfuel
from wasmote.aot.loopcost import LoopCosts
from wasmote.aot.loops import plan_loop
from wasmote.aot.translate import translate
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module

WAT = Path(__file__).resolve().parent / "wat" / "loopcost.wat"
# the exports, in order: function index -> (name, most trips)
FUNCS = [("short", 3), ("long", 63), ("short_up", 3), ("short_lt", 3), ("long_lt", 255)]


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Module:
    wasm = tmp_path_factory.mktemp("loopcost") / "loopcost.wasm"
    subprocess.run(["wat2wasm", str(WAT), "-o", str(wasm)], check=True)
    return read_module(wasm.read_bytes())


def _fn(source: str, k: int) -> str:
    """The C body of function k (whatever its return type)."""
    return next(f for f in source.split("\nstatic ")
                if re.match(rf"[\w ]+ wf{k}\(", f) and ") {" in f)


def test_short_loops_get_no_second_copy_long_ones_keep_them(module: Module) -> None:
    fuel = translate(module).source
    nofuel = translate(module, fuel=False).source
    copies = [("wm_trips(" in _fn(fuel, k), "FUEL_COVERS" in _fn(fuel, k),
               "wm_trips(" in _fn(nofuel, k), "WM_BACK(" in _fn(nofuel, k))
              for k in range(len(FUNCS))]
    assert copies == [
        (False, False, False, True),   # short: at most 3 trips x 2 accesses
        (True, True, True, False),     # long: 63
        (False, False, False, True),   # short_up
        (False, False, False, False),  # short_lt: no fuel copy (loops.py: not straight)
        (False, True, False, False),   # long_lt: 255 trips, its fuel copy (wm_backs_ltu)
    ]
    assert "WM_BACK(s0i, 0.67)" in _fn(fuel, 0)  # 3 trips: 2 branches back of 3 tests


def test_most_trips_from_the_values_at_the_loop_entry(module: Module) -> None:
    arity = ([(len(module.types[t].params), len(module.types[t].results))
              for t in module.func_type_indices()],
             [(len(t.params), len(t.results)) for t in module.types])
    for k, (name, most) in enumerate(FUNCS):
        instrs = module.funcs[k].instrs
        costs = LoopCosts(instrs, *arity, ())
        i = next(j for j, ins in enumerate(instrs) if ins.op == 0x03)
        counted = plan_loop(instrs, i, *arity, accesses=False)
        if counted is not None:  # while counter != 0 (n & mask = 0 skips the loop)
            assert costs.most_trips(i, counted.counter) == most, name
        else:  # while i < n & mask, i = 0 before the loop
            fl = loopfuel.plan(instrs, i, *arity, 1, 1)
            assert fl is not None and fl.bound is not None, name
            assert costs.most_trips_lt(i, fl.counter, fl.bound, False) == most, name
