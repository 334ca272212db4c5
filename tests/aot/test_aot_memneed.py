"""The memory the entries guarantee, told to the C compiler (translate.py's WM_MEM_NEED, the
prelude's MSZ_LOAD): every entry from the runtime traps unless memory 0 has the bytes the
code relies on without a check (MEM_MIN), and memory never shrinks, so wherever the code
reads the size it is at least that. GCC, knowing it, drops the checks of accesses it can
bound itself below that size (loop counters with known trip counts, ranges of constants it
propagated into a specialised copy of a function), which the translator's own analyses do
not bound. Here: that the define matches the entries' test, that GCC does drop checks with
it, and that accesses right up to the last byte run and one word further trap after exactly
the interpreter's stores."""

from __future__ import annotations

import re

from tests.aot.conftest import aot_package, wat_to_wasm
from tests.harness.spec_driver import DriverProcess
from wasmote import posix_build
from wasmote.aot.link import build_image
from wasmote.aot.targets import compiler_for
from wasmote.aot.translate import translate
from wasmote.wasm.reader import read_module


def _fill(name: str, base: int) -> str:
    """Stores i + 1 at base + 4i for i = 0 .. (n & 15): at most 16 words, a count GCC
    bounds itself (ranges.py does not: the counter grows)."""
    return f"""
  (func (export "{name}") (param $n i32) (local $i i32) (local $m i32)
    (local.set $m (i32.add (i32.and (local.get $n) (i32.const 15)) (i32.const 1)))
    (loop $l
      (i32.store offset={base} (i32.shl (local.get $i) (i32.const 2))
                 (local.tee $i (i32.add (local.get $i) (i32.const 1))))
      (br_if $l (i32.ne (local.get $i) (local.get $m)))))"""


# 65532: the constant access that makes the entries guarantee the whole page; "fits" ends at
# the last byte (65472 + 15 * 4 + 4 = 65536), "past" one word later (its 16th store is out)
MODULE = f"""(module
  (memory 1)
  (func (export "last") (result i32) (i32.load (i32.const 65532)))
  {_fill("fits", 65472)}
  {_fill("past", 65476)}
  (func (export "sum") (result i32) (local $i i32) (local $h i32)
    (loop $l
      (local.set $h (i32.add (i32.mul (local.get $h) (i32.const 31))
                             (i32.load offset=65472 (local.get $i))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 4)))
                        (i32.const 64))))
    (local.get $h)))
"""


def test_the_code_assumes_what_the_entries_check(tmp_path):
    """The define is the number every entry tests; when that is only a few words (the
    checks' own offset + size) nothing is assumed."""
    source = translate(read_module(wat_to_wasm(tmp_path, "need", MODULE).read_bytes())).source
    assert "#define WM_MEM_NEED 65536u" in source
    entries = re.findall(r"WM_ENTRY void wm_e\d+\(.*", source)
    assert len(entries) == 4 and all("MEM_MIN(65536u);" in e for e in entries), entries
    checked = translate(read_module(wat_to_wasm(tmp_path, "checked", """(module (memory 1)
      (func (export "f") (param i32) (result i32) (i32.load offset=8 (local.get 0))))"""
                                                ).read_bytes())).source
    assert "#define WM_MEM_NEED 0u" in checked and "MEM_MIN(12u);" in checked


def test_the_compiler_drops_checks_with_it(tmp_path, host_target):
    """The same C with nothing assumed compiles to more code (the checks of "fits" and
    "sum", whose counters GCC bounds below 65536)."""
    tr = translate(read_module(wat_to_wasm(tmp_path, "need", MODULE).read_bytes()))
    compiler = compiler_for(host_target)
    with_need = build_image(tr.source, host_target, compiler, tr.entries)
    without = build_image(tr.source.replace("#define WM_MEM_NEED 65536u",
                                            "#define WM_MEM_NEED 0u"),
                          host_target, compiler, tr.entries)
    assert len(with_need.code) < len(without.code), (len(with_need.code), len(without.code))


def test_up_to_the_last_byte_and_past_it_as_the_interpreter(tmp_path, host_target):
    wasm = wat_to_wasm(tmp_path, "need", MODULE)
    pkg = aot_package(wasm, host_target)
    driver = posix_build.build_program("wasmote-spec", "release")
    calls = [f"{f} i32:{n:x}" for f in ("fits", "past") for n in (0, 1, 7, 14, 15, 31, 0xFFFF)]
    answers = {}
    for module in (wasm, pkg):
        got = []
        with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
            for call in calls:
                assert drv.command(f"module - {drv.module_source(module)}") == "ok"
                got.append((drv.command(f"invoke - {call}"), drv.command("invoke - sum")))
        answers[module.suffix] = got
    assert answers[".wmp"] == answers[".wasm"], list(zip(calls, *answers.values(), strict=True))
    outcomes = [a for a, _ in answers[".wasm"]]
    # "past" traps exactly when its 16th store runs (n & 15 == 15), "fits" never
    assert [o.startswith("trap") and "out of bounds" in o for o in outcomes] == \
        [False] * 7 + [False, False, False, False, True, True, True]
