"""Without fuel, a loop that the fuel build runs as loopfuel.py's charge-free copy takes that
copy's shape (loopfuel.unversioned): its body has no combined-check segments (checks.py),
each access keeps its own check. The emitted C shows the shape, and the no-fuel AOT code
run against the interpreter gives the same answers, traps and memory: the loops leave the
memory in a middle iteration and after wrapping around 2^32."""

from __future__ import annotations

import re

from tests.aot.conftest import aot_package, wat_to_wasm
from tests.aot.test_aot_optimizations import CHECKSUM, run
from wasmote import posix_build
from wasmote.aot.translate import translate
from wasmote.wasm.reader import read_module

# "tail": md5's round loop in small: ifs, then accesses at $p + constants (one combined
# check) ending in the exit test; its only branch back is the final br_if on a counter
# stepped once (loopfuel._branching), and $p moves, so neither loops.py nor guards.py copies
# it. "calls": the same with a call in the body: no fuel copy, its segment stays.
SHAPE = f"""(module
  (memory 1)
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "tail") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (if (i32.lt_u (local.get $i) (i32.const 8))
        (then (local.set $acc (i32.xor (local.get $acc) (local.get $i))))
        (else (local.set $acc (i32.add (local.get $acc) (i32.const 3)))))
      (local.set $acc (i32.add (local.get $acc) (i32.load offset=4 (local.get $p))))
      (i32.store offset=8 (local.get $p) (local.get $acc))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (local.get $n))))
    (local.get $acc))
  (func (export "calls") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (call $id (local.get $acc)))
      (local.set $acc (i32.add (local.get $acc) (i32.load offset=4 (local.get $p))))
      (i32.store offset=8 (local.get $p) (local.get $acc))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (local.get $n))))
    (local.get $acc)){CHECKSUM})
"""

# (p, n): in bounds, leaving the memory in iteration 10, a p near 2^32 (p + 4 does not wrap:
# out of bounds at once), one iteration at the memory's end, one a byte past it
CALLS = [(0, 64), (100, 1000), (65536 - 12 - 40, 64), (0xFFFFFFF0, 8), (65524, 1), (65525, 1)]


def _function(source: str, index: int) -> str:
    return next(f for f in source.split("\nstatic ") if re.match(rf"\w+ wf{index}\(", f)
                and "{" in f)


def test_the_no_fuel_build_gives_the_copied_loop_the_copys_shape(tmp_path):
    mod = read_module(wat_to_wasm(tmp_path, "shape", SHAPE).read_bytes())
    fuel, nofuel = translate(mod).source, translate(mod, fuel=False).source
    # the fuel build: a charge-free copy of "tail" without segments, the ordinary loop with
    copy = _function(fuel, 1).split('#pragma push_macro("FL")')[1].split("#pragma pop")[0]
    assert "GRP_OK" not in copy and "GRP_OK" in _function(fuel, 1)
    # without fuel: one loop, as the copy; "calls" (no copy in either build) keeps its segment
    assert "GRP_OK" not in _function(nofuel, 1)
    assert "GRP_OK" in _function(nofuel, 2) and "GRP_OK" in _function(fuel, 2)


def test_the_shape_without_fuel_matches_the_interpreter(tmp_path, host_target):
    wasm = wat_to_wasm(tmp_path, "shape", SHAPE)
    pkg = aot_package(wasm, host_target, fuel=False)
    driver = posix_build.build_program("wasmote-spec", "release")
    calls = [f"invoke - {f} i32:{p:x} i32:{n:x}" for f in ("tail", "calls") for p, n in CALLS]
    interp, native = run(driver, wasm, calls), run(driver, pkg, calls)
    assert native == interp
    assert sum(a.startswith("trap") for a in interp[::2]) == 6  # 3 of each function trap
