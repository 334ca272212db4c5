"""Loops that leave in the middle (aot/loops.py): a counted loop whose body also has a
`br_if` out of it keeps the counter's bound on its iterations, so the range check before
it covers every iteration the loop can run, however early it leaves. What the plan holds
exactly; tests/aot/c/aot_unit.c's "exits" case runs wat/exits.wat against the interpreter
(traps in the first, a middle and the last iteration, the same fuel left)."""

from __future__ import annotations

from pathlib import Path

from tests.aot.conftest import wat_to_wasm
from wasmote.aot.checks import LOAD_SIZE, STORE_SIZE
from wasmote.aot.loops import BaseRange, Lin, LoopPlan, plan_loop
from wasmote.aot.translate import translate
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module

HERE = Path(__file__).resolve().parent

# a `br_if 0` in the middle (a continue: the counter may not have moved) and a `br` out (the
# rest of the body unreachable): neither is a loop left in the middle
OTHERS = """(module
  (memory 1)
  (func (param $p i32) (param $i i32)
    (loop $l
      (br_if $l (i32.load8_u (local.get $p)))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const -1))))))
  (func (param $p i32) (param $i i32)
    (block $out
      (loop $l
        (drop (i32.load8_u (local.get $p)))
        (br $out)
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $l (local.tee $i (i32.add (local.get $i) (i32.const -1))))))))
"""


def _plan(mod: Module, f: int) -> tuple[LoopPlan | None, list[int]]:
    instrs = mod.funcs[f].instrs
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[fn.type_idx] for fn in mod.funcs]
    loop = next(i for i, ins in enumerate(instrs) if ins.op == 0x03)
    accesses = [i for i, ins in enumerate(instrs) if ins.op in LOAD_SIZE or ins.op in STORE_SIZE]
    return plan_loop(instrs, loop, funcs, types), accesses


def test_a_loop_left_in_the_middle_is_checked_once_for_every_iteration(tmp_path):
    wat = (HERE / "wat" / "exits.wat").read_text()
    mod = read_module(wat_to_wasm(tmp_path, "exits", wat).read_bytes())
    plan, accesses = _plan(mod, 1)
    assert plan is not None and plan.exits
    # $i (local 2) counts down to -1: D = $i at entry, -1 an iteration
    assert plan.counter == Lin(((2, 1),), 0, -1)
    # $p (4) moves by -4: the word load at p and store at p + 4; $v (5), assigned twice,
    # holds $b + $i (its second value) at the byte load and store: $b + $i - iteration
    assert set(plan.bases) == {BaseRange(4, Lin(((4, 1),), 0, -4), 0, 8),
                               BaseRange(5, Lin(((1, 1), (2, 1)), 0, -1), 0, 2)}
    assert sorted(plan.fast) == accesses
    # the copy behind the check (up to its closing brace) has none left; the other keeps them
    source = translate(mod).source
    shift = next(f for f in source.split("\nstatic ")  # (the fuel slice by value: wm_rf)
                 if f.startswith(("u32 wf1(", "wm_rf wf1(")) and "{" in f)
    fast, checked = shift.split("wm_trips(", 1)[1].split("\n    }\n", 1)
    assert fast.count("EAF(") == 4 and "CHK" not in fast
    assert checked.count("CHKM(") >= 2


def test_a_branch_back_or_out_in_the_middle_is_not_a_counted_loop(tmp_path):
    mod = read_module(wat_to_wasm(tmp_path, "others", OTHERS).read_bytes())
    assert _plan(mod, 0)[0] is None
    assert _plan(mod, 1)[0] is None
