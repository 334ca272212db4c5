"""A load from a select of two addresses, emitted as two loads (aot/selectload.py): which
instruction runs it applies to, that only unchecked loads get it, and a tree walk built on
it against the interpreter (tables inside the memory, at its last byte and past it, bases
that wrap), so that swapped arms, a lost addend or offset, or a load that escaped its check
show up as a different answer or a missing trap."""

from __future__ import annotations

import re
from pathlib import Path

from tests.aot.conftest import FILL_FUNC, aot_package, filled_calls, wat_to_wasm
from tests.harness.spec_driver import DriverProcess
from wasmote import posix_build
from wasmote.aot.selectload import SelectLoad, plan_select_load
from wasmote.aot.translate import translate
from wasmote.wasm.module import Instr
from wasmote.wasm.reader import read_module

# xgboost's walk: node = (x[idx[node]] < val[node] ? left : right)[node], the two child
# tables 256 bytes apart, at most $k steps; "fill" writes a pseudo-random pattern, so the
# walk's path depends on every table
WALK = """(module
  (memory 1)
""" + FILL_FUNC + """\
  (func (export "walk") (param $x i32) (param $t i32) (param $k i32) (result i32)
    (local $n i32) (local $acc i32)
    (loop $l
      (local.set $n (i32.load8_s offset=3
        (i32.add (i32.add (select (i32.const 512) (i32.const 768)
            (i32.lt_u (i32.load8_u (i32.add (local.get $x)
                        (i32.load8_u (i32.add (local.get $t)
                          (local.tee $n (i32.and (local.get $n) (i32.const 255)))))))
                      (i32.load8_u offset=256 (i32.add (local.get $t) (local.get $n)))))
          (local.get $t)) (local.get $n))))
      (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 3)) (local.get $n)))
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (br_if $l (i32.and (i32.ge_s (local.get $n) (i32.const 0))
                         (i32.gt_s (local.get $k) (i32.const 0)))))
    (i32.add (local.get $acc) (local.get $n)))
  (func (export "checked") (param $a i32) (param $b i32) (param $c i32) (result i32)
    (i32.load (i32.add (select (local.get $a) (local.get $b) (local.get $c))
                       (i32.const 4)))))
"""
# the walk's tables end at t + 768 + 255 + 3 + 1 = t + 1027; x's at x + 255
T_FIT = 65536 - 1027
CALLS = [(0, 0, 50), (1000, 40000, 300), (65280, T_FIT, 200), (65281, T_FIT, 200),
         (100, T_FIT + 1, 200), (100, T_FIT + 1, 1), (0xFFFFFF00, 7, 100), (3, 0xFFFFFF00, 100),
         (0xFFFFFFFF, 1, 5), (2, 0xFFFFFC00, 40), (60000, 5000, 1000), (17, 17, 100000)]


def _instrs(tmp_path: Path, name: str) -> list[Instr]:
    mod = read_module(wat_to_wasm(tmp_path, "sl", WALK).read_bytes())
    exports = {e.name: e.index - mod.num_imported_funcs for e in mod.exports}
    return mod.funcs[exports[name]].instrs


def test_the_select_and_the_adds_before_a_load_are_found(tmp_path):
    instrs = _instrs(tmp_path, "walk")
    sel = next(i for i, ins in enumerate(instrs) if ins.op == 0x1B)
    load = next(i for i in range(sel, len(instrs)) if instrs[i].op == 0x2C)  # i32.load8_s
    assert plan_select_load(instrs, sel, frozenset({0, 1, 2, 3, 4})) == \
        SelectLoad(load, ("l1", "l3"))
    # an addend that is not an i32 local's local.get or a constant: none
    assert plan_select_load(instrs, sel, frozenset({0, 2, 3, 4})) is None
    # anything else between the select and the load: an i32.sub instead of the first add
    sub = [*instrs[:sel + 2], Instr(0x6B, (), 0), *instrs[sel + 3:]]
    assert plan_select_load(sub, sel, frozenset({0, 1, 2, 3, 4})) is None
    # the select's value not an address: an i32.mul after the adds
    mul = [*instrs[:load], Instr(0x6C, (), 0), *instrs[load:]]
    assert plan_select_load(mul, sel, frozenset({0, 1, 2, 3, 4})) is None


def test_only_the_guarded_copy_loads_in_two_arms(tmp_path):
    """The walk's guarded copy (guards.py: its loads unchecked) gets the two loads; its
    checked copy and a checked load elsewhere keep the select as a value."""
    wasm = wat_to_wasm(tmp_path, "sl", WALK)
    src = translate(read_module(wasm.read_bytes())).source
    two = re.findall(r"if \((s\d+i)\) (s\d+i) = \(u32\)\(s32\)\(int8_t\)wm_ld8\(EA\((s\d+i) "
                     r"\+ l1 \+ l3, 3u\)\); else \2 = \(u32\)\(s32\)\(int8_t\)wm_ld8\(EA\("
                     r"(s\d+i) \+ l1 \+ l3, 3u\)\);", src)
    assert len(two) == 1, src
    # the checked copy's select, and "checked"'s in both of its copies (a flat leaf's)
    assert src.count("if (!") == 3


def test_the_walk_matches_the_interpreter(tmp_path, host_target):
    wasm = wat_to_wasm(tmp_path, "sl", WALK)
    pkg = aot_package(wasm, host_target)
    driver = posix_build.build_program("wasmote-spec", "release")
    answers = {}
    for module in (wasm, pkg):
        out = []
        with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
            out += filled_calls(drv, module, "walk", CALLS)
        answers[module.suffix] = out
    assert answers[".wmp"] == answers[".wasm"]
    walks = answers[".wasm"]
    assert sum(a.startswith("trap") for a in walks) >= 6, walks
    assert sum(a.startswith("ok") for a in walks) >= 10, walks
