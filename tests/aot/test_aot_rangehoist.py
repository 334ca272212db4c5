"""rangehoist.py: which inner counted loops get loops.py's range test made once before the
loop around them, with what, and which must keep it at their entry (tests/aot/wat/
redteam.wat's r_* attacks run them against the interpreter, test_aot_unit.py's redteam case)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.aot.conftest import wat_to_wasm
from wasmote.aot import rangehoist
from wasmote.aot.translate import translate
from wasmote.wasm.reader import read_module

# an inner loop over [b, b + n) entered once per outer iteration, with `j = 0; q = b` before
# it; SETUP replaces that line in the variants
INNER = """
  (func (export "{name}") (param $b i32) (param $n i32) (param $m i32) (result i32)
    (local $j i32) (local $q i32) (local $s i32)
    (loop $outer
      {setup}
      (loop $inner
        (local.set $s (i32.add (local.get $s) (i32.load8_u (local.get $q))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br_if $inner (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1)))
                              (local.get $n))))
      {after}
      (br_if $outer (local.tee $m (i32.add (local.get $m) (i32.const -1)))))
    (local.get $s))"""
CASES = {
    # hoisted: constants and copies of locals the outer loop never assigns
    "plain": ("(local.set $j (i32.const 0)) (local.set $q (local.get $b))", ""),
    # kept: the base on one arm, in a block closed before the loop, moved by the outer
    # loop, the bound moved, the base copied from a local the outer loop moves
    "arm": ("(local.set $j (i32.const 0)) (if (local.get $m) (then (local.set $q (local.get $b))))",
            ""),
    "inblock": ("(local.set $j (i32.const 0)) (block (local.set $q (local.get $b)))", ""),
    "moved": ("(local.set $j (i32.const 0)) (local.set $q (local.get $b))",
              "(local.set $b (i32.add (local.get $b) (i32.const 1)))"),
    "bound": ("(local.set $j (i32.const 0)) (local.set $q (local.get $b))",
              "(local.set $n (i32.add (local.get $n) (i32.const 1)))"),
    "copy_moved": ("(local.set $j (i32.const 0)) (local.set $s (local.get $b)) "
                   "(local.set $q (local.get $s))", ""),
    # range test hoisted, fuel test not: a memory.grow (charged by the runtime) or a
    # second loop in the outer body
    "grows": ("(local.set $j (i32.const 0)) (local.set $q (local.get $b))",
              "(drop (memory.grow (i32.const 0)))"),
    "second": ("(local.set $j (i32.const 0)) (local.set $q (local.get $b))", "(loop $x)"),
}


@pytest.fixture(scope="module")
def bodies(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    funcs = "".join(INNER.format(name=n, setup=s, after=a) for n, (s, a) in CASES.items())
    wasm = wat_to_wasm(Path(tmp_path_factory.mktemp("rh")), "rh",
                       f"(module (memory 1){funcs})")
    mod = read_module(wasm.read_bytes())
    names = {e.index: e.name for e in mod.exports if e.kind == 0}
    out = {}
    for f in translate(mod).source.split("\nstatic "):
        m = re.match(r"\S+ wf(\d+)\(", f)
        if m and "{" in f and int(m.group(1)) in names:
            out[names[int(m.group(1))]] = f
    return out


def test_the_invariant_setups_get_the_test_before_the_outer_loop(bodies: dict[str, str]) -> None:
    line = next(x for x in bodies["plain"].splitlines() if rangehoist.MARK in x)
    # the test reads b (l0) and n (l1) with j = 0, never q (l4) or j (l3)
    assert "(u32)l0" in line and "(u32)l1" in line, line
    assert "l4" not in line and "l3" not in line, line
    # and the inner loop's copy behind it leaves it out (the other copy keeps it)
    assert bodies["plain"].count("RANGE_OK") == 2


def test_the_moving_or_partial_setups_keep_the_test_at_the_inner_entry(
        bodies: dict[str, str]) -> None:
    kept = {name: rangehoist.MARK in bodies[name] for name in ("arm", "inblock", "moved",
                                                               "bound", "copy_moved")}
    assert not any(kept.values()), kept
    assert all("RANGE_OK" in bodies[name] for name in kept)


def test_the_inner_fuel_test_is_made_before_the_outer_loop_too(bodies: dict[str, str]) -> None:
    """With fuel, the outer loop's runs counted (m, l2) and the inner trip count with
    j = 0: one test before it, held in a flag; the inner copy behind it tests the flag
    first and its own FUEL_COVERS only when the flag is 0."""
    flag = re.search(r"const int (fu\d+_) = (.*);", bodies["plain"])
    assert flag and rangehoist.FUEL_MARK in bodies["plain"]
    assert "(u32)l2" in flag[2] and "l4" not in flag[2] and "l3" not in flag[2], flag[2]
    assert f"({flag[1]} || ({{ u64 n_" in bodies["plain"]
    # a grow or a second loop in the outer body: the range test moves, the fuel test stays
    for name in ("grows", "second"):
        assert rangehoist.MARK in bodies[name], name
        assert rangehoist.FUEL_MARK not in bodies[name], name
        assert "const int fu" not in bodies[name], name
