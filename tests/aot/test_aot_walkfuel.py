"""walkfuel.py: which loops run as a round of copies charged ahead and which do not.
Pointer walks (a local loaded through an address computed from what it held at the loop's
head, a branch back or out on a loaded value) and scans as a function's outermost loop get
them; scans inside another loop, a loaded value that decides only a branch within the body,
masked counters, a local reused within an iteration and loops that call do not. What the
copies compute, trap and charge in every fuel slice is tests/aot/c/aot_unit.c's "redteam"
case (walk, walk_out, states in tests/aot/wat/redteam.wat) against the interpreter."""

from __future__ import annotations

import re
import subprocess

import pytest

from wasmote.aot import walkfuel
from wasmote.aot.translate import translate
from wasmote.wasm import fuel as fuel_rule
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module

WAT = """(module
  (memory 1)
  (func $f (param i32) (result i32) (local.get 0))
  ;; p = p->next while p->value != x: a walk
  (func (export "chase") (param $p i32) (param $x i32) (result i32)
    (block $found
      (loop $l
        (br_if $found (i32.eq (i32.load offset=4 (local.get $p)) (local.get $x)))
        (local.set $p (i32.load (local.get $p)))
        (br_if $l (local.get $p))))
    (local.get $p))
  ;; t = t->child[key & 1]: a tree walk through a computed field
  (func (export "tree") (param $t i32) (param $k i32) (result i32)
    (loop $l
      (local.set $t (i32.load (i32.add (local.get $t)
        (i32.shl (i32.and (local.get $k) (i32.const 1)) (i32.const 2)))))
      (local.set $k (i32.shr_u (local.get $k) (i32.const 1)))
      (br_if $l (local.get $t)))
    (local.get $k))
  ;; while (a[i] < x) i++ inside another loop: an index scan of a sort's partition
  ;; (entered every outer iteration, a few trips an entry)
  (func (export "scan") (param $i i32) (param $x i32) (result i32)
    (loop $outer
      (loop $l
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (i32.lt_s (i32.load (i32.shl (local.get $i) (i32.const 2)))
                            (local.get $x))))
      (br_if $outer (i32.lt_s (local.get $i) (local.get $x))))
    (local.get $i))
  ;; the same scan as the function's outermost loop: entered once a call
  (func (export "scan_top") (param $i i32) (param $x i32) (result i32)
    (loop $l
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $l (i32.lt_s (i32.load (i32.shl (local.get $i) (i32.const 2)))
                          (local.get $x))))
    (local.get $i))
  ;; for (; p < end; p += 4) if (*p != 44) *p ^= 1: the loaded byte decides a branch
  ;; within the body, not where the loop goes
  (func (export "skip") (param $p i32) (param $end i32) (result i32)
    (local $c i32)
    (loop $l
      (block $keep
        (br_if $keep (i32.eq (local.tee $c (i32.load8_u (local.get $p))) (i32.const 44)))
        (i32.store8 (local.get $p) (i32.xor (local.get $c) (i32.const 1))))
      (br_if $l (i32.lt_u (local.tee $p (i32.add (local.get $p) (i32.const 4)))
                          (local.get $end))))
    (local.get $p))
  ;; a masked counter: counted in all but name
  (func (export "masked") (param $c i32) (param $p i32) (result i32)
    (loop $l
      (i32.store8 (local.get $p) (local.get $c))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (br_if $l (i32.and (local.tee $c (i32.add (local.get $c) (i32.const -1)))
                         (i32.const 255))))
    (local.get $p))
  ;; a local reused within an iteration (q = s + i, then q = mem[q]; i steps), inside
  ;; another loop: a scan, not a chase
  (func (export "reuse") (param $s i32) (param $i i32) (result i32)
    (local $q i32)
    (loop $outer
      (loop $l
        (local.set $q (i32.add (local.get $s) (local.get $i)))
        (local.set $q (i32.load8_u (local.get $q)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br_if $l (local.get $q)))
      (br_if $outer (local.tee $s (i32.add (local.get $s) (i32.const -1)))))
    (local.get $i))
  ;; a walk that calls: the call is a check point of its own
  (func (export "calls") (param $p i32) (param $x i32) (result i32)
    (loop $l
      (local.set $p (call $f (i32.load (local.get $p))))
      (br_if $l (local.get $p)))
    (local.get $p))
)
"""
# export -> the copies after B (0: the loop is left as it is)
COPIES = {"chase": 3, "tree": 3, "scan": 0, "scan_top": 3, "skip": 0, "masked": 0,
          "reuse": 0, "calls": 0}


@pytest.fixture(scope="module")
def module(tmp_path_factory: pytest.TempPathFactory) -> Module:
    d = tmp_path_factory.mktemp("walkfuel")
    (d / "w.wat").write_text(WAT)
    subprocess.run(["wat2wasm", str(d / "w.wat"), "-o", str(d / "w.wasm")], check=True)
    return read_module((d / "w.wasm").read_bytes())


def test_only_pointer_walks_get_the_copies(module: Module) -> None:
    arity = ([(len(module.types[t].params), len(module.types[t].results))
              for t in module.func_type_indices()],
             [(len(t.params), len(t.results)) for t in module.types])
    names = {e.index: e.name for e in module.exports if e.kind == 0}
    got = {}
    for k, name in names.items():
        instrs = module.funcs[k].instrs
        # the innermost loop
        i = max(j for j, ins in enumerate(instrs) if ins.op == 0x03)
        wl = walkfuel.plan(instrs, i, 10, *arity)
        got[name] = wl.unroll - 1 if wl else 0
    assert got == COPIES


def test_a_walk_charges_a_round_ahead_and_refunds_where_it_leaves(module: Module) -> None:
    source = translate(module).source
    names = {e.name: e.index for e in module.exports if e.kind == 0}
    body = next(f for f in source.split("\nstatic ")
                if re.match(rf"[\w ]+ wf{names['chase']}\(", f) and ") {" in f)
    assert body.count("CHARGE_AHEAD(") == 1
    instrs = module.funcs[names["chase"]].instrs
    k = fuel_rule.plan(module, names["chase"]).loop_back[
        next(j for j, ins in enumerate(instrs) if ins.op == 0x03)]
    assert f"CHARGE_AHEAD({4 * k}, {k})" in body
    # copies A1..A3 report the round's untaken branch backs in FL and give them back
    # when they leave (by the branch out and by falling out)
    for j in (1, 2, 3):
        assert body.count(f"#define FL ((uintptr_t)(fl + {(4 - j) * k}))") == 1
        assert body.count(f"fl += {(4 - j) * k};") == 2
    # without fuel nothing changes
    assert "CHARGE_AHEAD" not in translate(module, fuel=False).source


def test_the_charge_picks_the_copies() -> None:
    """Four a round up to a charge of 24, two up to 72, none above (a charge is a smaller
    share of a longer body, and each copy adds the body's code again)."""
    assert [next((u for n, u in walkfuel._UNROLL if k <= n), 0) for k in (5, 24, 25, 72, 73)] \
        == [4, 4, 2, 2, 0]
