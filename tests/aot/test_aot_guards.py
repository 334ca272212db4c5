"""The guards of loops whose bases do not change (aot/guards.py): exactly which addresses
one test at the loop's entry covers, and with which bounds. An interval one byte too
narrow lets the unchecked copy read past the memory, where the host's own mapping often
hides it; tests/aot/test_aot_optimizations.py runs such loops against the interpreter."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.aot.conftest import wat_to_wasm
from wasmote.aot import guardhoist
from wasmote.aot.checks import LOAD_SIZE, STORE_SIZE
from wasmote.aot.guardhoist import Hoist
from wasmote.aot.guards import Guard, GuardPlan, plan_guards
from wasmote.aot.ranges import Interval
from wasmote.aot.translate import translate
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module

# $p, $q, $r: never assigned in the loop; $k: assigned; $t: assigned, between 0 and 9
# whenever read (ranges.py's interval, given below). The accesses are numbered in the
# order they execute; U: the guard covers it, C: it keeps its check.
LOOP = """(module
  (memory 1)
  (func (param $p i32) (param $q i32) (param $r i32) (local $k i32) (local $t i32)
    (loop $l
      (drop (i32.load8_u offset=3 (i32.add (local.get $p)
        (local.tee $k (i32.and (local.get $k) (i32.const 255))))))  ;; 1 U p + [0, 255] + 3
      (drop (i32.load16_u (i32.add (local.get $q)                   ;; 3 U q + [-128, 127]
        (i32.load8_s (local.get $k)))))                             ;; 2 U [0, 255]
      (drop (i32.load (i32.add (local.get $q)                       ;; 4 U q + [-8, 100]
        (select (i32.const -8) (i32.const 100) (local.get $k)))))
      (drop (i32.load8_u (i32.add (local.get $r)                    ;; 6 U r + [-32768, 32767]
        (i32.load16_s (local.get $p)))))                            ;; 5 U p
      (i32.store16 offset=2 (i32.add (local.get $q)                 ;; 7 U q + [0, 36] + 2
        (i32.shl (local.get $t) (i32.const 2))) (i32.const 0))
      (drop (i32.load8_u (i32.add (local.get $p)                    ;; 8 U p + [0, 6]
        (i32.rem_u (local.get $k) (i32.const 7)))))
      (drop (i32.load (i32.sub (local.get $p) (local.get $q))))     ;; 9 C
      (drop (i32.load (i32.add (local.get $p) (local.get $q))))     ;; 10 C
      (drop (i32.load (i32.add (local.get $p)                       ;; 12 C
        (i32.load (local.get $q)))))                                ;; 11 U q
      (drop (i32.load8_u (i32.and (local.get $k) (i32.const 255)))) ;; 13 U [0, 255]
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br_if $l (local.get $k))))
  (func (param $p i32) (local $k i32)
    (loop $l
      (drop (i32.load8_u (i32.add (local.get $p) (local.get $k))))
      (if (local.get $k) (then (local.set $p (i32.const 0))))
      (br_if $l (local.get $k))))
  (func (param $p i32) (local $k i32)
    (loop $l
      (drop (i32.load8_u (i32.add (local.get $p) (i32.and (local.get $k) (i32.const 3)))))
      (local.set $p (i32.add (local.get $p) (local.get $k)))
      (br_if $l (local.get $k))))
  (func (param $p i32) (param $q i32) (param $r i32)
    (local $k i32) (local $a i32) (local $b i32) (local $c i32)
    (local.set $a (i32.add (local.get $p) (i32.const 100)))   ;; p + 100
    (local.set $b (i32.add (i32.const -4) (local.get $a)))    ;; p + 96
    (local.set $c (i32.add (local.get $q) (i32.const 8)))
    (local.set $q (i32.const 0))                              ;; c is no longer q + 8
    (i32.add (local.get $r) (i32.const 1))
    (local.set $r (local.get $r))                             ;; r assigned while r + 1 waits
    (local.set $k)                                            ;; k is not r + 1
    (loop $l
      (drop (i32.load8_u (i32.add (local.get $a) (i32.and (local.get $k) (i32.const 15)))))
      (drop (i32.load8_u (i32.add (local.get $b) (i32.and (local.get $k) (i32.const 3)))))
      (drop (i32.load8_u (i32.add (local.get $c) (i32.and (local.get $k) (i32.const 3)))))
      (drop (i32.load8_u (local.get $k)))
      (br_if $l (local.get $k)))))
"""
UNCHECKED = [True] * 8 + [False, False, True, False, True]
GUARDS = {Guard(0, 0, 259), Guard(1, -128, 129), Guard(2, -32768, 32768), Guard(None, 0, 256)}


def _module(tmp_path: Path) -> Module:
    wasm = wat_to_wasm(tmp_path, "g", LOOP)
    return read_module(wasm.read_bytes())


def _plan(mod: Module, f: int, **kw: Any) -> tuple[GuardPlan | None, list[int]]:
    instrs = mod.funcs[f].instrs
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[fn.type_idx] for fn in mod.funcs]
    loop = next(i for i, ins in enumerate(instrs) if ins.op == 0x03)
    accesses = [i for i, ins in enumerate(instrs) if ins.op in LOAD_SIZE or ins.op in STORE_SIZE]
    return plan_guards(instrs, loop, funcs, types, **kw), accesses


def test_the_guards_cover_exactly_the_bounded_addresses(tmp_path):
    mod = _module(tmp_path)
    plan, accesses = _plan(mod, 0, local_ranges=(None, None, None, None, Interval(0, 9)))
    assert plan is not None
    assert set(plan.guards) == GUARDS
    assert [a in plan.unchecked for a in accesses] == UNCHECKED
    # without ranges.py's interval of $t the store keeps its check
    plan2, _ = _plan(mod, 0)
    assert plan2 is not None and set(plan2.guards) == GUARDS
    assert [a in plan2.unchecked for a in accesses] == [*UNCHECKED[:6], False, *UNCHECKED[7:]]
    # an access that needs no check already (ranges.py, dominated.py) takes no part
    plan3, _ = _plan(mod, 0, skip=frozenset(accesses[:1]))
    assert plan3 is not None and Guard(0, 0, 7) in plan3.guards


def test_a_loop_with_control_flow_or_an_assigned_base_has_none(tmp_path):
    mod = _module(tmp_path)
    assert _plan(mod, 1)[0] is None
    plan, _ = _plan(mod, 2)  # only the masked index is known: no base, no guard
    assert plan is None


def test_locals_set_from_a_base_before_the_loop_share_its_guard(tmp_path):
    """a = p + 100 and b = a - 4 before the loop: their tables are guarded as p's; c was
    q + 8 until q changed, k was read off r before r was assigned: each keeps its own."""
    plan, accesses = _plan(_module(tmp_path), 3)
    assert plan is not None
    assert set(plan.guards) == {Guard(0, 96, 116), Guard(6, 0, 4), Guard(3, 0, 1)}
    assert [a in plan.unchecked for a in accesses] == [True] * 4


# guardhoist.py: walks (guarded loops) inside loops that do or do not assign their bases.
# f0: $t never assigned: tested once before the outermost loop. f1: the middle loop moves
# $t: tested before the inner loop around the walk only. f2: the loop around the walk
# moves $t: no hoist.
NESTS = """(module
  (memory 1)
  (func (param $t i32) (param $n i32) (local $k i32) (local $m i32)
    (loop $a
      (loop $b
        (loop $w
          (local.set $k (i32.load8_u
            (i32.add (local.get $t) (i32.and (local.get $k) (i32.const 255)))))
          (br_if $w (local.get $k)))
        (br_if $b (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
      (br_if $a (local.tee $n (i32.add (local.get $n) (i32.const -1))))))
  (func (param $t i32) (param $n i32) (local $k i32) (local $m i32)
    (loop $a
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (loop $b
        (loop $w
          (local.set $k (i32.load8_u
            (i32.add (local.get $t) (i32.and (local.get $k) (i32.const 255)))))
          (br_if $w (local.get $k)))
        (br_if $b (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
      (br_if $a (local.tee $n (i32.add (local.get $n) (i32.const -1))))))
  (func (param $t i32) (param $n i32) (local $k i32)
    (loop $b
      (loop $w
        (local.set $k (i32.load8_u
            (i32.add (local.get $t) (i32.and (local.get $k) (i32.const 255)))))
        (br_if $w (local.get $k)))
      (local.set $t (i32.add (local.get $t) (local.get $n)))
      (br_if $b (local.tee $n (i32.add (local.get $n) (i32.const -1)))))))
"""


def _hoists(mod: Module, f: int, max_loop: int | None = None) -> list[tuple[int, Hoist]]:
    instrs = mod.funcs[f].instrs
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[fn.type_idx] for fn in mod.funcs]
    gp = {i: p for i, ins in enumerate(instrs) if ins.op == 0x03
          and (p := plan_guards(instrs, i, funcs, types)) is not None}
    assert len(gp) == 1  # the walk
    old = guardhoist.MAX_LOOP
    guardhoist.MAX_LOOP = old if max_loop is None else max_loop
    try:
        return sorted(guardhoist.plan(instrs, gp, set()).items())
    finally:
        guardhoist.MAX_LOOP = old


def test_a_walks_invariant_base_is_tested_before_the_outermost_loop_that_keeps_it(tmp_path):
    mod = read_module(wat_to_wasm(tmp_path, "nests", NESTS).read_bytes())
    loops = [[i for i, ins in enumerate(f.instrs) if ins.op == 0x03] for f in mod.funcs]
    walk = Guard(0, 0, 256)
    assert [(s, h.terms) for s, h in _hoists(mod, 0)] == [(loops[0][0], (walk,))]
    assert [(s, h.terms) for s, h in _hoists(mod, 1)] == [(loops[1][1], (walk,))]
    assert _hoists(mod, 2) == []
    # a loop longer than MAX_LOOP does not run twice: the one inside it does
    outer_len = _hoists(mod, 0)[0][1].end - loops[0][0]
    assert [s for s, _ in _hoists(mod, 0, max_loop=outer_len - 1)] == [loops[0][1]]


def test_the_hoisted_copy_leaves_the_term_out_and_the_other_keeps_it(tmp_path):
    """Both copies in the C: the test before the loop, the walk's guard without the term in
    the first copy ("1": nothing left to test) and with it in the second."""
    mod = read_module(wat_to_wasm(tmp_path, "nests", NESTS).read_bytes())
    src = translate(mod).source
    f0 = next(f for f in src.split("\nstatic ") if re.match(r"\S+ wf0\(.*\{", f))
    assert f0.count(guardhoist.MARK) == 1
    # before the loop, and in the second copy's walk
    assert len(re.findall(r"GRP_OKM?\(l0, 0, 256\)", f0)) == 2
    assert "if (WM_LIKELY(1))" in f0
