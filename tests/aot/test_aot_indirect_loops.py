"""A call_indirect's table pointers (translate._indirect_loops): one in a loop reads them
from locals loaded at the entry of the innermost loop around it, every way in (a prepaid
entry's join too); one in no loop reads the context where it
calls. The emitted C shows where they are loaded, and the AOT code run against the
interpreter gives the same answers and traps (an index past the table, a null entry) with
and without fuel."""

from __future__ import annotations

import re

import pytest

from tests.aot.conftest import aot_package, wat_to_wasm
from tests.aot.test_aot_optimizations import run
from wasmote import posix_build
from wasmote.aot.translate import translate
from wasmote.wasm.reader import read_module

# "nest": an outer loop around a counted inner loop that calls through the table (the
# index $x may lie past the table or on its null entry) and stores at a stepping pointer
# (checked once before it, so its entry charge is prepaid: prepay.py), then a call in no
# loop; "walk": a list
# built by a counted loop, then walked with a call through the table each round
MODULE = """(module
  (memory 1)
  (type $t (func (param i32) (result i32)))
  (table 3 funcref)
  (elem (i32.const 0) $inc $dbl)
  (func $inc (type $t) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $t) (i32.shl (local.get 0) (i32.const 1)))
  (func (export "nest") (param $n i32) (param $m i32) (param $x i32) (result i32)
    (local $i i32) (local $q i32) (local $acc i32)
    (loop $outer
      (local.set $q (local.get $m))
      (loop $inner
        (local.set $acc (call_indirect (type $t) (local.get $acc)
                                       (i32.and (i32.shr_u (local.get $q) (i32.const 2))
                                                (local.get $x))))
        (i32.store (local.get $q) (local.get $acc))
        (br_if $inner (i32.ne (local.tee $q (i32.add (local.get $q) (i32.const 4)))
                              (i32.const 400))))
      (br_if $outer (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                              (local.get $n))))
    (call_indirect (type $t) (i32.load (i32.const 396))
                   (i32.shr_u (local.get $x) (i32.const 8))))
  (func (export "walk") (param $p i32) (param $x i32) (param $n i32) (result i32)
    (local $acc i32) (local $q i32)
    (local.set $q (local.get $p))
    (loop $fill
      (i32.store (local.get $q) (i32.add (local.get $q) (i32.const 8)))
      (local.set $q (i32.add (local.get $q) (i32.const 8)))
      (br_if $fill (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (i32.store (i32.sub (local.get $q) (i32.const 8)) (i32.const 0))
    (loop $l
      (local.set $acc (call_indirect (type $t) (local.get $acc) (local.get $x)))
      (local.set $p (i32.load (local.get $p)))
      (br_if $l (local.get $p)))
    (local.get $acc)))
"""


def _function(source: str, index: int) -> str:
    return next(f for f in source.split("\nstatic ") if re.match(rf"\w+ wf{index}\(", f)
                and "{" in f)


@pytest.mark.parametrize("fuel", [True, False])
def test_the_table_is_loaded_at_the_innermost_loop_around_the_call(tmp_path, fuel):
    mod = read_module(wat_to_wasm(tmp_path, "ind", MODULE).read_bytes())
    src = translate(mod, fuel=fuel).source
    nest, walk = _function(src, 2), _function(src, 3)
    load = "tl0e = c->tables[0].elems; tl0s = c->tables[0].size;"
    for body in (nest, walk):
        assert "te0 =" not in body and "uint64_t *tl0e; const u32 *tl0s;" in body
        # each load sits at an entry of the loop that calls: the loop's label follows it
        at = [m.end() for m in re.finditer(re.escape(load), body)]
        assert at and all(re.match(r"\s*[LP]\d+:;", body[k:]) for k in at)
    # nest: the inner loop's entry only, not the outer loop's; the call in no loop reads
    # the context
    outer = re.search(r"\nL\d+:;", nest)
    assert outer is not None and nest.index(load) > outer.start()
    assert nest.count("c->tables[0].elems[") == 1
    if fuel:
        assert "PREPAY" in nest and re.search(re.escape(load) + r"\s*P\d+:;", nest)


def test_calls_through_the_table_in_loops_match_the_interpreter(tmp_path, host_target):
    wasm = wat_to_wasm(tmp_path, "ind", MODULE)
    driver = posix_build.build_program("wasmote-spec", "release")
    # nest: both functions, the null entry (2) and past the table (3) inside the loop and
    # after it; walk: a list of 9 (or 40) nodes, both functions, then a null entry
    calls = [f"invoke - nest i32:{n:x} i32:{m:x} i32:{x:x}" for n, m, x in
             ((3, 5, 1), (1, 1, 0), (4, 7, 0x101), (2, 3, 2), (2, 3, 3), (1, 0, 0x300),
              (0, 0, 0x200))]
    calls += [f"invoke - walk i32:{p:x} i32:{x:x} i32:{n:x}" for p, x, n in
              ((40, 1, 9), (40, 0, 40), (64, 2, 3), (8, 5, 2))]
    interp = run(driver, wasm, calls)
    for fuel in (True, False):
        pkg = aot_package(wasm, host_target, fuel=fuel)
        assert run(driver, pkg, calls) == interp
    assert sum(a.startswith("trap") for a in interp[::2]) >= 4
