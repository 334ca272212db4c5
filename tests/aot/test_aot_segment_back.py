"""Without fuel, a combined-check segment (checks.py) that a loop's `br_if` back follows:
each of the segment's two copies ends with its own branch back (translate.py,
back_edge_at), so GCC compiles one compare and branch per copy instead of joining two 0/1
values and testing the join. The emitted C shows the shape (the fuel build, and a `br_if`
out of a block, keep one test after the copies); the AOT code with and without fuel gives
the interpreter's answers, traps and memory, at the memory's last byte and with addresses
that wrap at 2^32, and so do tests/aot/wat/redteam.wat's attacks without fuel (their
loops take this shape too; with fuel they are test_aot_redteam.py's)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.aot.conftest import aot_package, wat_to_wasm
from tests.aot.test_aot_optimizations import CHECKSUM, run
from wasmote import posix_build
from wasmote.aot.targets import Target
from wasmote.aot.translate import translate
from wasmote.wasm.reader import read_module

# "back": a call in the body (no fuel copy, no loops.py or guards.py copy), then a segment
# (the load and the store at $p + constants) that the exit test and the br_if back follow.
# "out": the same segment followed by a br_if out of a block: not a branch back. "down":
# the branch back on a counter stepped to 0 (not a 0/1 value: one test after the copies).
# "held": the compare's 0/1 value held in a local that the br_if reads (md5's shape).
WAT = f"""(module
  (memory 1)
  (func $id (param i32) (result i32) (local.get 0))
  (func (export "back") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (loop $l
      (local.set $acc (call $id (local.get $acc)))
      (local.set $acc (i32.add (local.get $acc) (i32.load offset=4 (local.get $p))))
      (i32.store8 offset=9 (local.get $p) (local.get $acc))
      (local.set $p (i32.add (local.get $p) (i32.const 3)))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (local.get $n))))
    (local.get $acc))
  (func (export "out") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $b
      (loop $l
        (local.set $acc (call $id (local.get $acc)))
        (local.set $acc (i32.add (local.get $acc) (i32.load offset=4 (local.get $p))))
        (i32.store8 offset=9 (local.get $p) (local.get $acc))
        (local.set $p (i32.add (local.get $p) (i32.const 3)))
        (br_if $b (i32.eq (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                          (local.get $n)))
        (br $l)))
    (local.get $acc))
  (func (export "down") (param $p i32) (param $n i32) (result i32)
    (local $acc i32)
    (loop $l
      (local.set $acc (call $id (local.get $acc)))
      (local.set $acc (i32.add (local.get $acc) (i32.load offset=4 (local.get $p))))
      (i32.store8 offset=9 (local.get $p) (local.get $acc))
      (local.set $p (i32.add (local.get $p) (i32.const 3)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))
    (local.get $acc))
  (func (export "held") (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $acc i32) (local $c i32)
    (loop $l
      (local.set $acc (call $id (local.get $acc)))
      (local.set $acc (i32.add (local.get $acc) (i32.load offset=4 (local.get $p))))
      (i32.store8 offset=9 (local.get $p) (local.get $acc))
      (local.set $c (i32.ne (local.get $i) (i32.sub (local.get $n) (i32.const 1))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (local.set $p (i32.add (local.get $p) (i32.const 3)))
      (br_if $l (local.get $c)))
    (local.get $acc)){CHECKSUM})
"""

# (p, n): in bounds, leaving the memory in iteration 10, the last byte stored at the
# memory's last byte and one past it, a p near 2^32 (p + 4 wraps: out of bounds)
CALLS = [(0, 64), (100, 1000), (65536 - 10 - 3 * 63, 64), (65536 - 9 - 3 * 63, 64),
         (0xFFFFFFF0, 8), (0xFFFFFFFC, 1), (65526, 1), (65527, 1)]


def _function(source: str, index: int) -> str:
    return next(f for f in source.split("\nstatic ") if re.match(rf"\w+ wf{index}\(", f)
                and "{" in f)


@pytest.mark.parametrize("fuel", [True, False])
def test_each_copy_takes_the_branch_back_itself(tmp_path: Path, fuel: bool) -> None:
    src = translate(read_module(wat_to_wasm(tmp_path, "back", WAT).read_bytes()),
                    fuel=fuel).source
    # "back": the segment's copies (GRP_OK's fast one, then the checked one), each ending
    # with the branch back, and nothing tested after them
    back = r"\n    if \(s0i\) \{ (?:CHARGE\(\d+\); )?goto L\d+; \}\n    \}"
    for f, fires in ((1, not fuel), (3, False), (4, not fuel)):
        seg = _function(src, f).split("if (WM_LIKELY(GRP_OK(", 1)[1]
        assert len(re.findall(back + r" else \{\n", seg)) == (1 if fires else 0), f
        # and no test after them: one branch back in each copy, or one after both
        assert len(re.findall(r"goto L\d+;", seg)) == (2 if fires else 1), f
    # "out": a br_if out of a block stays after the copies, tested once
    seg = _function(src, 2).split("if (WM_LIKELY(GRP_OK(", 1)[1]
    assert len(re.findall(r"goto B\d+;", seg)) == 1
    assert re.search(r"\n    \}\n    if \(s0i\) \{ goto B\d+; \}", seg)


@pytest.mark.parametrize("fuel", [True, False])
def test_the_copies_match_the_interpreter(tmp_path: Path, host_target: Target,
                                          fuel: bool) -> None:
    wasm = wat_to_wasm(tmp_path, "back", WAT)
    pkg = aot_package(wasm, host_target, fuel=fuel)
    driver = posix_build.build_program("wasmote-spec", "release")
    calls = [f"invoke - {f} i32:{p:x} i32:{n:x}" for f in ("back", "out", "down", "held")
             for p, n in CALLS]
    interp, native = run(driver, wasm, calls), run(driver, pkg, calls)
    assert native == interp
    assert sum(a.startswith("trap") for a in interp[::2]) == 4 * 4


def test_redteam_without_fuel_matches_the_interpreter(tmp_path: Path,
                                                     host_target: Target) -> None:
    """redteam.wat's attacks (those that end) without fuel, each in a fresh instance, its
    answer and the memory's checksum after it; the file reaches the shape."""
    wat = (Path(__file__).parent / "wat" / "redteam.wat").read_text()
    wasm = wat_to_wasm(tmp_path, "redteam", wat)
    data = wasm.read_bytes()
    src = translate(read_module(data), fuel=False).source
    assert re.search(r"\n    if \(s0i\) \{ goto L\d+; \}\n    \} else \{", src)
    pkg = aot_package(wasm, host_target, fuel=False)
    calls = []
    for line in (Path(__file__).parent / "wat" / "redteam.calls").read_text().splitlines():
        f = line.split()
        if f and not f[0].startswith("#") and "endless" not in f:
            calls.append(f"invoke - {f[0]} " + " ".join(f"i32:{int(a, 0) & 0xFFFFFFFF:x}"
                                                      for a in f[1:4]))
    driver = posix_build.build_program("wasmote-spec", "release")
    interp, native = (run(driver, m, calls, "invoke - checksum i32:0 i32:0 i32:0")
                      for m in (wasm, pkg))
    assert len(calls) > 100 and native == interp
