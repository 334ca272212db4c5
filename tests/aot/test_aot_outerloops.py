"""outerloops.py: which counted loops with inner loops get their top-level accesses tested
once, and which must not (tests/aot/wat/redteam.wat's o_* attacks run them against the
interpreter, test_aot_unit.py's redteam case)."""

from __future__ import annotations

from pathlib import Path

from tests.aot.conftest import wat_to_wasm
from wasmote.aot import guardhoist, outerloops
from wasmote.aot.checks import LOAD_SIZE, STORE_SIZE
from wasmote.aot.translate import translate
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module

# the tree loop's shape: a counter p to n, a load and a store at p at the top level, an
# inner loop between them; variants that branch back from the inner code, move the counter
# there, give an inner block a result, have no inner loop, call, or nest two such loops
WAT = """
(module
  (memory 1)
  (func (export "walk") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32) (local $s i32)
    (loop $outer
      (local.set $k (i32.or (i32.load8_u offset=1 (local.get $p)) (local.get $x)))
      (loop $inner
        (local.set $s (i32.add (local.get $s) (local.get $k)))
        (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1)))))
      (i32.store8 (local.get $p) (local.get $s))
      (br_if $outer (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                            (local.get $n))))
    (local.get $s))
  (func (export "back") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32)
    (loop $outer
      (local.set $k (i32.load8_u (local.get $p)))
      (block $b
        (loop $inner
          (br_if $outer (i32.eq (local.get $k) (local.get $x)))
          (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1))))))
      (br_if $outer (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                            (local.get $n))))
    (local.get $k))
  (func (export "moved") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32)
    (loop $outer
      (local.set $k (i32.load8_u (local.get $p)))
      (loop $inner
        (local.set $p (i32.add (local.get $p) (i32.and (local.get $k) (i32.const 1))))
        (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1)))))
      (br_if $outer (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                            (local.get $n))))
    (local.get $k))
  (func (export "typed") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32)
    (loop $outer
      (local.set $k (i32.load8_u (local.get $p)))
      (local.set $k (block (result i32)
        (loop $inner
          (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1)))))
        (local.get $x)))
      (br_if $outer (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                            (local.get $n))))
    (local.get $k))
  (func (export "noinner") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32)
    (loop $outer
      (local.set $k (i32.load8_u (local.get $p)))
      (if (local.get $x) (then (local.set $k (i32.const 1))))
      (br_if $outer (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                            (local.get $n))))
    (local.get $k))
  (func $f (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (export "calls") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $k i32)
    (loop $outer
      (local.set $k (call $f (i32.load8_u (local.get $p))))
      (loop $inner
        (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1)))))
      (br_if $outer (i32.ne (local.tee $p (i32.add (local.get $p) (i32.const 1)))
                            (local.get $n))))
    (local.get $k))
  (func (export "nested") (param $p i32) (param $n i32) (param $x i32) (result i32)
    (local $q i32) (local $k i32)
    (loop $rows
      (local.set $q (i32.const 0))
      (i32.store (local.get $n) (local.get $x))
      (loop $cols
        (local.set $k (i32.load8_u (local.get $q)))
        (loop $inner
          (br_if $inner (local.tee $k (i32.shr_u (local.get $k) (i32.const 1)))))
        (br_if $cols (i32.ne (local.tee $q (i32.add (local.get $q) (i32.const 1)))
                             (i32.const 16))))
      (br_if $rows (i32.ne (local.tee $n (i32.add (local.get $n) (i32.const 4)))
                           (local.get $p))))
    (local.get $k))
)
"""


def _module(tmp_path: Path) -> Module:
    return read_module(wat_to_wasm(tmp_path, "o", WAT).read_bytes())


def _plans(mod: Module, name: str) -> tuple[dict[int, outerloops.OuterPlan], list[int],
                                            list[int]]:
    """The function's plans, its accesses, its loops."""
    f = next(e.index for e in mod.exports if e.name == name)
    instrs = mod.funcs[f].instrs
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[fn.type_idx] for fn in mod.funcs]
    accesses = [i for i, ins in enumerate(instrs) if ins.op in LOAD_SIZE or ins.op in STORE_SIZE]
    loops = [i for i, ins in enumerate(instrs) if ins.op == 0x03]
    return outerloops.plan(instrs, funcs, types, set()), accesses, loops


def test_the_tree_loops_top_level_accesses_are_tested_once(tmp_path):
    plans, accesses, loops = _plans(_module(tmp_path), "walk")
    assert list(plans) == [loops[0]]
    p = plans[loops[0]]
    assert p.unchecked == frozenset(accesses)  # the load at p + 1 and the store at p
    base = p.plan.bases[0]
    assert (base.start.step, base.c_min, base.end) == (1, 0, 2)
    # and the test is emitted: the loop runs twice, behind it and as it is
    source = translate(_module(tmp_path)).source
    assert source.count(outerloops.MARK) == 2  # walk and nested


def test_inner_code_that_branches_back_or_moves_the_counter_keeps_the_checks(tmp_path):
    """(and a loop that calls: not worth its copy, outerloops.py)"""
    mod = _module(tmp_path)
    for name in ("back", "moved", "typed", "noinner", "calls"):
        assert _plans(mod, name)[0] == {}, name


def test_of_nested_candidates_the_innermost_is_versioned(tmp_path):
    plans, accesses, loops = _plans(_module(tmp_path), "nested")
    # $rows counts $n by 4 to $p, its store at $n; $cols counts $q to 16 around $inner
    assert list(plans) == [loops[1]]
    assert plans[loops[1]].unchecked == frozenset({accesses[1]})


def test_a_loop_guardhoist_also_versions_gets_one_test_for_both(tmp_path):
    """(a walk whose base $t the loop never moves, and a load at the counter $n: two copies,
    behind one test, not four)"""
    wat = """(module (memory 1)
      (func (export "f") (param $t i32) (param $n i32) (local $k i32)
        (loop $o
          (local.set $k (i32.load (local.get $n)))
          (loop $w
            (local.set $k (i32.load8_u
              (i32.add (local.get $t) (i32.and (local.get $k) (i32.const 255)))))
            (br_if $w (local.get $k)))
          (br_if $o (local.tee $n (i32.add (local.get $n) (i32.const -1)))))))"""
    source = translate(read_module(wat_to_wasm(tmp_path, "both", wat).read_bytes())).source
    tests = [line for line in source.splitlines() if outerloops.MARK in line]
    assert len(tests) == 1 and guardhoist.MARK in tests[0]
    assert source.count("wm_ld8(") == 4  # the walk's load: guarded and not, in two copies


# loops.py's counters kept through a copy (LLVM's rotated `$j = $i; ...; $i = $j + 1`, the
# local reused in between: ud's j loops): counted only when the local's last assignment is
# its value at the iteration's start plus a constant
ROTATED = """
(module
  (memory 1)
  (func (export "rot") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    (loop $l
      (local.set $i (i32.add (i32.shl (local.tee $j (local.get $i)) (i32.const 2))
                             (local.get $p)))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $i))))
      (local.set $i (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.ne (local.get $j) (local.get $n))))
    (local.get $s))
  (func (export "late") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    (loop $l
      (local.set $i (i32.add (i32.shl (local.get $i) (i32.const 2)) (local.get $p)))
      (local.set $j (local.get $i))
      (local.set $s (i32.add (local.get $s) (i32.load (local.get $i))))
      (local.set $i (i32.add (local.get $j) (i32.const 1)))
      (br_if $l (i32.ne (local.get $j) (local.get $n))))
    (local.get $s))
  (func (export "last") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $j i32) (local $s i32)
    (loop $l
      (local.set $j (local.get $i))
      (local.set $i (i32.add (local.get $j) (i32.const 1)))
      (local.set $s (i32.add (local.get $s) (i32.load (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $i (i32.shl (local.get $i) (i32.const 1)))
      (br_if $l (i32.ne (local.get $j) (local.get $n))))
    (local.get $s)))
"""


def test_a_counter_kept_through_a_copy_counts_only_when_it_ends_the_iteration(tmp_path):
    from wasmote.aot import loops
    mod = read_module(wat_to_wasm(tmp_path, "rot", ROTATED).read_bytes())
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[f.type_idx] for f in mod.funcs]
    plans = {}
    for e in mod.exports:
        instrs = mod.funcs[e.index].instrs
        at = next(k for k, ins in enumerate(instrs) if ins.op == 0x03)
        plans[e.name] = loops.plan_loop(instrs, at, funcs, types)
    rot = plans["rot"]
    assert rot is not None and rot.counter == loops.Lin(((1, -1), (2, 1)), 0, 1)
    assert [(b.local, b.start) for b in rot.bases] == \
        [(2, loops.Lin(((0, 1), (2, 4)), 0, 4))]
    # the copy made after the local moved, the last assignment not a step: not counted
    assert plans["late"] is None and plans["last"] is None
