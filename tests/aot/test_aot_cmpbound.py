"""Accesses bounded by the program's own compares (aot/cmpbound.py): exactly which accesses
one test at the loop's entry covers, with which bounds, and which it must not (an index a
signed compare cannot bound, a compare of another local, an index assigned again after its
compare or on one arm of an if, the loop's own compare on a value the access recomputes).
tests/aot/wat/redteam.wat's c_* attacks run such loops against the interpreter at their
edges (test_aot_unit.py's redteam case, and on the M4 in test_aot_redteam.py)."""

from __future__ import annotations

from pathlib import Path

from tests.aot.conftest import wat_to_wasm
from wasmote.aot import cmpbound
from wasmote.aot.checks import LOAD_SIZE, STORE_SIZE
from wasmote.aot.cmpbound import Bound, plan
from wasmote.aot.translate import translate
from wasmote.wasm.module import I32, Module
from wasmote.wasm.reader import read_module

# sglib's heap sift-down as clang emits it: $c = 2i + 1 compared with $n before the loop
# is entered again, the right child behind its own `r >=s n` exit; $a = base + 672
HEAP = """(module
  (memory 1)
  (func (param $base i32) (param $n i32) (param $v i32)
    (local $i i32) (local $c i32) (local $r i32) (local $m i32) (local $t i32)
    (local.set $i (i32.const 0))
    (local.set $c (i32.const 1))
    (local.set $r (i32.const 2))
    (loop $l
      (local.set $m (select (local.get $c) (local.get $i)
        (i32.lt_s (local.get $v) (i32.load offset=672 (i32.add (local.get $base)  ;; U
          (i32.shl (local.get $c) (i32.const 2)))))))
      (block $no_r
        (br_if $no_r (i32.ge_s (local.get $r) (local.get $n)))
        (local.set $m (select (local.get $r) (local.get $m)
          (i32.lt_s
            (i32.load offset=672 (i32.add (local.get $base)                        ;; U
              (i32.shl (local.get $m) (i32.const 2))))
            (i32.load offset=672 (i32.add (local.get $base)                        ;; U
              (i32.shl (local.get $r) (i32.const 2))))))))
      (if (i32.eq (local.get $m) (local.get $i)) (then (return)))
      (i32.store offset=672 (i32.add (local.get $base)                             ;; U
        (i32.shl (local.get $i) (i32.const 2)))
        (i32.load offset=672 (i32.add (local.get $base)                            ;; U
          (i32.shl (local.get $m) (i32.const 2)))))
      (i32.store offset=672 (i32.add (local.get $base)                             ;; U
        (i32.shl (local.get $m) (i32.const 2))) (local.get $v))
      (local.set $r (i32.add (local.tee $t (i32.shl (local.get $m) (i32.const 1)))
                             (i32.const 2)))
      (local.set $i (local.get $m))
      (br_if $l (i32.lt_s (local.tee $c (i32.or (local.get $t) (i32.const 1)))
                          (local.get $n)))))
  ;; unsigned: whatever $i is, below $n after the compare; then assigned again on one arm
  (func (param $b i32) (param $n i32) (param $x i32) (local $i i32) (local $k i32)
    (loop $l
      (if (i32.lt_u (local.tee $i (i32.sub (local.get $x) (local.get $k))) (local.get $n))
        (then
          (drop (i32.load16_u offset=6 (i32.add (local.get $b) (i32.shl (local.get $i)  ;; U
            (i32.const 3)))))
          (if (local.get $k) (then (local.set $i (local.get $x))))
          (drop (i32.load (i32.add (local.get $b) (local.get $i))))))            ;; C
      (drop (i32.load (i32.add (local.get $b) (local.get $i))))                  ;; C
      (br_if $l (local.tee $k (i32.add (local.get $k) (i32.const 1))))))
  ;; signed compares of an index that may be negative, of another local, of i + 1
  (func (param $b i32) (param $n i32) (param $x i32) (local $i i32) (local $j i32)
    (loop $l
      (local.set $i (i32.load (i32.add (local.get $x) (local.get $j))))          ;; C
      (if (i32.lt_s (local.get $i) (local.get $n))
        (then (drop (i32.load (i32.add (local.get $b) (local.get $i))))))        ;; C
      (if (i32.lt_u (local.get $j) (local.get $n))
        (then (drop (i32.load (i32.add (local.get $b) (local.get $i))))))        ;; C
      (if (i32.lt_u (i32.add (local.get $j) (i32.const 1)) (local.get $n))
        (then (drop (i32.load (i32.add (local.get $b) (local.get $j))))))        ;; C
      (br_if $l (local.tee $j (i32.add (local.get $j) (i32.const 1))))))
)
"""


def _module(tmp_path: Path) -> Module:
    return read_module(wat_to_wasm(tmp_path, "cmpbound", HEAP).read_bytes())


def _plans(mod: Module, f: int) -> tuple[list[int], cmpbound.CmpPlan | None]:
    """The accesses of function f in order, and the plan of its one loop."""
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[fn.type_idx] for fn in mod.funcs]
    fn = mod.funcs[f]
    instrs = fn.instrs
    kinds = list(mod.types[fn.type_idx].params) + fn.local_types()
    i32 = frozenset(k for k, t in enumerate(kinds) if t == I32)
    accesses = [k for k, ins in enumerate(instrs) if ins.op in LOAD_SIZE or ins.op in STORE_SIZE]
    loop = next(k for k, ins in enumerate(instrs) if ins.op == 0x03)
    return accesses, plan(instrs, loop, funcs, types, i32)


def test_a_heaps_sift_down_is_bounded_by_its_compares(tmp_path):
    """Every index is below n + 2 (the first child is read before any compare: 1, or an
    earlier 2i + 1 < n), so base + 672 + 4 (n + 1) + 4 bounds all six."""
    accesses, p = _plans(_module(tmp_path), 0)
    assert p is not None
    assert p.n == 1 and p.bounds == (Bound(0, 4, 672 + 4 + 4),)
    assert p.unchecked == frozenset(accesses)


def test_an_unsigned_compare_bounds_any_index_until_it_is_assigned_again(tmp_path):
    accesses, p = _plans(_module(tmp_path), 1)
    assert p is not None
    assert p.unchecked == frozenset(accesses[:1])
    # b + 8 (n - 1) + 6 + 2
    assert p.n == 1 and p.bounds == (Bound(0, 8, 0),)


def test_what_the_compares_do_not_bound_keeps_its_checks(tmp_path):
    _, p = _plans(_module(tmp_path), 2)
    assert p is None


def test_the_copy_is_emitted_behind_its_test(tmp_path):
    source = translate(_module(tmp_path)).source
    heads = [line for line in source.splitlines() if cmpbound.MARK in line]
    assert len(heads) == 2
    assert "(u32)l1 <= 16777216u" in heads[0]
    assert "(wm_msz_t)(u32)(4u * (u32)l1 + 680u) <= msz - (wm_msz_t)(u32)l0" in heads[0]


def test_the_bound_keeps_below_2_31_for_every_n_it_admits():
    """A value computed from n (at most NMAX in the copy) that could pass 2^31 would read
    differently signed and unsigned: such a value is unknown, not bounded."""
    v = cmpbound.Val(None, 0, 1, -1)  # n - 1
    assert cmpbound._binary(0x74, v, cmpbound.Val(None, 6, 0, 6)) is not None  # 64 (n - 1)
    assert cmpbound._binary(0x74, v, cmpbound.Val(None, 7, 0, 7)) is None      # 128 n
    assert cmpbound._binary(0x6B, cmpbound.Val(None, 0, 1, 0),
                            cmpbound.Val(None, 1, 0, 1)) is None  # n - 1 may wrap (n = 0)
