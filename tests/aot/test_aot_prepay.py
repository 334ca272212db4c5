"""prepay.py: which branches back pay an inner loop's entry charge with their own. The code
between the outer loop's header and the inner loop's entry must not branch, call or spend
fuel in pieces, or the inner entry is not reached on every path (a suspension point would
move). That the hot path and the short one charge what the interpreter does, suspend where
it does and report its fuel at a trap in between is tests/aot/c/aot_unit.c's redteam case
(wat/redteam.wat's p_trap, in every fuel slice)."""

from __future__ import annotations

import re
from pathlib import Path

from tests.aot.conftest import wat_to_wasm
from wasmote.aot import prepay
from wasmote.aot.translate import translate
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module

# the inner loop is one guards.py takes (an invariant base, a masked index); between the
# outer loop's header and it: f0 plain code and a block opening; f1 a call; f2 a br_if;
# f3 memory.grow; f4 memory.fill
WALK = """(loop $w
          (local.set $k (i32.load8_u
            (i32.add (local.get $t) (i32.and (local.get $k) (i32.const 255)))))
          (br_if $w (local.get $k)))"""
BETWEEN = ["(local.set $k (i32.load (local.get $n))) (block $b",
           "(call $f) (block $b",
           "(block $b (br_if $b (local.get $n))",
           "(drop (memory.grow (i32.const 0))) (block $b",
           "(memory.fill (i32.const 0) (i32.const 0) (local.get $n)) (block $b"]
MODULE = "(module (memory 1) (func $f)\n" + "\n".join(f"""
  (func (param $t i32) (param $n i32) (local $k i32)
    (loop $o
      {b}
        {WALK})
      (br_if $o (local.tee $n (i32.add (local.get $n) (i32.const -1))))))""" for b in BETWEEN) + ")"


def _module(tmp_path: Path) -> Module:
    return read_module(wat_to_wasm(tmp_path, "prepay", MODULE).read_bytes())


def test_only_plain_code_before_the_inner_entry_lets_the_branch_back_pay_it(tmp_path):
    mod = _module(tmp_path)
    got = []
    for f in mod.funcs[1:]:
        loops = [i for i, ins in enumerate(f.instrs) if ins.op == 0x03]
        back = dict.fromkeys(loops, 5)
        plans = prepay.plan(f.instrs, dict.fromkeys(loops, 3), back, set(), {loops[1]})
        got.append(plans)
        # an inner loop without an entry test of its own is never the target
        assert prepay.plan(f.instrs, dict.fromkeys(loops, 3), back, set(), set()) == {}
        # nor a loop that has a copy of its own
        assert prepay.plan(f.instrs, dict.fromkeys(loops, 3), back, {loops[0]},
                           {loops[1]}) == {}
    first = [i for i, ins in enumerate(mod.funcs[1].instrs) if ins.op == 0x03]
    assert got[0] == {first[0]: prepay.Prepay(first[1], 5, 3)}
    assert got[1:] == [{}] * (len(BETWEEN) - 1)


def test_the_translation_pays_both_in_one_charge_and_copies_the_code_between(tmp_path):
    src = translate(_module(tmp_path)).source
    funcs = {m.group(1): f for f in src.split("\nstatic ")
             if (m := re.match(r"\S+ wf(\d+)\(.*\{", f))}
    assert [j for j, f in sorted(funcs.items()) if "PREPAY(" in f] == ["1"]
    # twice: guardhoist.py runs the outer loop twice (its walk's base never changes)
    f1 = funcs["1"]
    assert f1.count("PREPAY(") == f1.count("PREPAY_SHORT(") == 2
    # the copy's traps report the entry's charge as not yet paid
    assert f1.count("#define FL ((uintptr_t)(fl + (intptr_t)") == 2
    # without fuel there is nothing to pay
    assert "PREPAY" not in translate(_module(tmp_path), fuel=False).source
