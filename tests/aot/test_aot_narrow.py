"""i64.mul of values that fit 32 bits, done as a 32x32->64 multiplication (aot/narrow.py):
which multiplications it narrows and, as important, which it must not (a sum that may leave
the 32-bit range, a signed times an unsigned operand, a local, a block's result, a product
of products); then every one against the interpreter at the edges of the ranges."""

from __future__ import annotations

import re
from pathlib import Path

from tests.aot.conftest import wat_to_wasm
from tests.harness.spec_driver import DriverProcess
from wasmote import posix_build
from wasmote.aot import narrow
from wasmote.aot.compile import compile_wasm
from wasmote.aot.translate import translate
from wasmote.package.container import Package
from wasmote.package.manifest import Manifest, Version
from wasmote.wasm.reader import read_module

# Each function's comment says whether its last i64.mul must be narrow: N yes, W no.
# $a, $b: any i32; memory bytes 0..15 are set by "fill" to the extremes.
FUNCS = """(module
  (memory 1)
  (func (export "fill") (param $v i64)
    (i64.store (i32.const 0) (local.get $v))
    (i64.store (i32.const 8) (i64.xor (local.get $v) (i64.const -1))))
  (func (export "s8") (param $a i32) (param $b i32) (result i64)            ;; N
    (i64.mul (i64.add (i64.load8_s (local.get $a)) (i64.const 128))
             (i64.load8_s offset=1 (local.get $b))))
  (func (export "ss") (param $a i32) (param $b i32) (result i64)            ;; N
    (i64.mul (i64.extend_i32_s (local.get $a)) (i64.extend_i32_s (local.get $b))))
  (func (export "uu") (param $a i32) (param $b i32) (result i64)            ;; N
    (i64.mul (i64.extend_i32_u (local.get $a)) (i64.extend_i32_u (local.get $b))))
  (func (export "l32u") (param $a i32) (param $b i32) (result i64)          ;; N
    (i64.mul (i64.load32_u (local.get $a)) (i64.load32_u offset=4 (local.get $b))))
  (func (export "su") (param $a i32) (param $b i32) (result i64)            ;; W
    (i64.mul (i64.extend_i32_s (local.get $a)) (i64.extend_i32_u (local.get $b))))
  (func (export "sum") (param $a i32) (param $b i32) (result i64)           ;; W
    (i64.mul (i64.add (i64.extend_i32_s (local.get $a)) (i64.extend_i32_s (local.get $b)))
             (i64.extend_i32_s (local.get $b))))
  (func (export "diff16") (param $a i32) (param $b i32) (result i64)        ;; N
    (i64.mul (i64.sub (i64.extend16_s (i64.extend_i32_u (local.get $a)))
                      (i64.extend_i32_s (i32.load16_u (local.get $b))))
             (i64.extend_i32_s (local.get $b))))
  (func (export "const") (param $a i32) (param $b i32) (result i64)         ;; W
    (i64.mul (i64.const 0x80000000) (i64.extend_i32_s (local.get $a))))
  (func (export "local") (param $a i32) (param $b i32) (result i64)         ;; N
    (local $x i64) (local $r i64)
    (block $out
      (local.set $x (i64.extend_i32_s (local.get $a)))
      (br_if $out (i32.eqz (local.get $b)))
      (local.set $r (i64.mul (local.get $x) (i64.extend_i32_s (local.get $b)))))
    (local.get $r))
  (func (export "merged") (param $a i32) (param $b i32) (result i64) (local $x i64) ;; W
    (local.set $x (i64.extend_i32_s (local.get $a)))
    (if (local.get $b) (then (local.set $x (i64.shl (local.get $x) (i64.const 8)))))
    (i64.mul (local.get $x) (i64.extend_i32_s (local.get $b))))
  (func (export "looped") (param $a i32) (param $b i32) (result i64) (local $x i64) ;; W
    (local.set $x (i64.extend_i32_s (local.get $a)))
    (loop $l
      (local.set $x (i64.mul (local.get $x) (i64.const 3)))
      (br_if $l (local.tee $b (i32.shr_u (local.get $b) (i32.const 1)))))
    (i64.mul (local.get $x) (i64.extend_i32_s (local.get $a))))
  (func (export "halves") (param $a i32) (param $b i32) (result i64) (local $x i64) ;; N
    (local.set $x (i64.or (i64.shl (i64.extend_i32_u (local.get $a)) (i64.const 32))
                          (i64.extend_i32_u (local.get $b))))
    (i64.mul (i64.and (local.get $x) (i64.const 0xffffffff))
             (i64.shr_u (local.get $x) (i64.const 32))))
  (func (export "shr31") (param $a i32) (param $b i32) (result i64) (local $x i64) ;; W
    (local.set $x (i64.or (i64.shl (i64.extend_i32_u (local.get $a)) (i64.const 32))
                          (i64.extend_i32_u (local.get $b))))
    (i64.mul (i64.and (local.get $x) (i64.const 0xffffffff))
             (i64.shr_u (local.get $x) (i64.const 95))))
  (func (export "and32") (param $a i32) (param $b i32) (result i64)       ;; N
    (i64.mul (i64.extend_i32_s (i32.shr_u (local.get $a) (i32.const 1)))
             (i64.extend_i32_s (i32.and (local.get $b) (i32.const 0x7fffffff)))))
  (func (export "block") (param $a i32) (param $b i32) (result i64)         ;; W
    (i64.mul (block (result i64) (i64.extend_i32_s (local.get $a)))
             (i64.extend_i32_s (local.get $b))))
  (func (export "product") (param $a i32) (param $b i32) (result i64)       ;; W
    (i64.mul (i64.mul (i64.extend_i32_s (local.get $a)) (i64.extend_i32_s (local.get $a)))
             (i64.extend_i32_s (local.get $b))))
  (func (export "i32sum") (param $a i32) (param $b i32) (result i64)        ;; W
    (i64.mul (i64.extend_i32_u (i32.add (i32.load8_u (local.get $a)) (local.get $b)))
             (i64.extend_i32_s (local.get $b))))
  (func (export "i32u8") (param $a i32) (param $b i32) (result i64)         ;; N
    (i64.mul (i64.extend_i32_u (i32.sub (i32.load8_u (local.get $a)) (i32.const 200)))
             (i64.extend_i32_u (i32.mul (i32.load16_s (local.get $b)) (i32.const 3))))))
"""

EDGES = (0, 1, 0x7F, 0x80, 0xFF, 0x7FFF, 0x8000, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)
FILLS = (0, 0x8080808080808080, 0x7F7F7F7F7F7F7F7F, 0xFFFFFFFF80000000, 0x123456789ABCDEF0)


def _module(tmp_path: Path) -> tuple[Path, list[str], list[str]]:
    wasm = wat_to_wasm(tmp_path, "narrow", FUNCS)
    names = [ln.split('"')[1] for ln in FUNCS.splitlines() if ";; " in ln]
    marks = [ln.split(";;")[1].split()[0] for ln in FUNCS.splitlines() if ";; " in ln]
    return wasm, names, marks


def test_only_products_of_32_bit_values_are_narrowed(tmp_path):
    wasm, names, marks = _module(tmp_path)
    mod = read_module(wasm.read_bytes())
    types = [(len(t.params), len(t.results)) for t in mod.types]
    funcs = [types[f.type_idx] for f in mod.funcs]
    got = []
    for f in mod.funcs[1:]:  # after fill
        last = max(i for i, ins in enumerate(f.instrs) if ins.op == narrow.I64_MUL)
        got.append("N" if last in narrow.plan(f.instrs, funcs, types) else "W")
    assert got == marks, list(zip(names, marks, got, strict=True))
    # and the C says so: each narrowed product multiplies 32-bit values (product's first too)
    c = "".join(f for f in translate(read_module(wasm.read_bytes())).source.split("\nstatic ")
                if re.match(r"\w+ wf\d+\(", f) and "{" in f)  # (not the leaves' _q copies)
    narrowed = re.findall(r"\(s64\)\(s32\)s\d+l \* \(s64\)\(s32\)s\d+l|"
                          r"\(u64\)\(u32\)s\d+l \* \(u64\)\(u32\)s\d+l", c)
    assert len(narrowed) == marks.count("N") + 1


def test_narrowed_products_match_the_interpreter(tmp_path, host_target):
    wasm, names, _ = _module(tmp_path)
    data = wasm.read_bytes()
    pkg = tmp_path / "narrow.wmp"
    aot = compile_wasm(data, host_target, source=str(wasm), use_cache=False).aot
    pkg.write_bytes(Package(Manifest("narrow", Version(0, 0, 0)), data, (aot,)).to_bytes())
    driver = posix_build.build_program("wasmote-spec", "release")
    calls = [f"invoke - {name} i32:{a:x} i32:{b:x}" for name in names
             for a in EDGES for b in EDGES[::3]]
    answers: dict[Path, list[str]] = {}
    for module in (wasm, pkg):
        with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
            assert drv.command(f"module - {drv.module_source(module)}") == "ok"
            out = answers.setdefault(module, [])
            for fill in FILLS:
                assert drv.command(f"invoke - fill i64:{fill:x}").startswith("ok")
                # the loads read bytes 0..15 at small addresses, anything past the memory
                # traps in both engines
                out += [drv.command(call) for call in calls]
    diffs = [(c, i, n) for c, i, n in zip(calls * len(FILLS), answers[wasm], answers[pkg],
                                         strict=True) if i != n]
    assert not diffs, diffs[:10]
    assert sum(a.startswith("ok") for a in answers[wasm]) > 500
