"""Signed division and remainder: the divisors 0 and -1 are tested with one unsigned compare,
(u)(b + 1) <= 1, and told apart behind it (translate.py's op_div). Here: that the emitted C
has the one test, and that AOT answers as the interpreter does for the edge values on both
sides of it (0, -1, 1, -2, the extremes), in 32 and 64 bits: quotients, remainders and
the two traps with their messages."""

from __future__ import annotations

import itertools

from tests.aot.conftest import aot_package, wat_to_wasm
from tests.harness.spec_driver import DriverProcess
from wasmote import posix_build
from wasmote.aot.translate import translate
from wasmote.wasm.reader import read_module

MODULE = """(module
  (func (export "div32") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))
  (func (export "rem32") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))
  (func (export "div64") (param i64 i64) (result i64) (i64.div_s (local.get 0) (local.get 1)))
  (func (export "rem64") (param i64 i64) (result i64) (i64.rem_s (local.get 0) (local.get 1))))
"""


def _edges(bits: int) -> list[int]:
    mask = (1 << bits) - 1
    top = 1 << (bits - 1)
    return [v & mask for v in (0, 1, -1, 2, -2, 7, -7, top - 1, top, top + 1)]


def test_one_test_for_both_divisors(tmp_path):
    source = translate(read_module(wat_to_wasm(tmp_path, "div", MODULE).read_bytes())).source
    divisions = [ln for ln in source.splitlines() if "((s32)" in ln or "((s64)" in ln]
    assert len(divisions) >= 4, source
    assert all("(u32)(s1i + 1u) <= 1u" in ln or "(u64)(s1l + 1u) <= 1u" in ln
               for ln in divisions), divisions
    assert "0xffffffffu)" not in source


def test_edge_values_as_the_interpreter(tmp_path, host_target):
    wasm = wat_to_wasm(tmp_path, "div", MODULE)
    pkg = aot_package(wasm, host_target)
    driver = posix_build.build_program("wasmote-spec", "release")
    calls = [f"{op}{bits} i{bits}:{a:x} i{bits}:{b:x}"
             for bits in (32, 64) for op in ("div", "rem")
             for a, b in itertools.product(_edges(bits), repeat=2)]
    answers = {}
    for module in (wasm, pkg):
        with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
            assert drv.command(f"module - {drv.module_source(module)}") == "ok"
            answers[module.suffix] = [drv.command(f"invoke - {call}") for call in calls]
    assert answers[".wmp"] == answers[".wasm"], [
        (c, w, a) for c, w, a in zip(calls, answers[".wasm"], answers[".wmp"], strict=True)
        if w != a]
    outcomes = dict(zip(calls, answers[".wasm"], strict=True))
    # the interpreter's own answers at the edges the one test separates
    assert "divide by zero" in outcomes["div32 i32:7 i32:0"]
    assert "overflow" in outcomes["div32 i32:80000000 i32:ffffffff"]
    assert "trap" not in outcomes["rem32 i32:80000000 i32:ffffffff"]
    assert "trap" not in outcomes["div32 i32:80000000 i32:1"]
