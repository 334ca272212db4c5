"""Modules in the shapes other toolchains emit, on every engine against wasmtime: reference
types with several tables (what Rust, Emscripten and binaryen emit: `call_indirect` on table
1, `table.get/set/grow/fill/copy/init`, passive and declarative element segments, externref
tables, funcref globals, typed `select`), bulk memory before and after `data.drop`, a start
function, multi-value functions and blocks; C from clang at -O0 (padded 5-byte LEBs, as
unoptimised Rust) and -Oz, through binaryen's `--asyncify` (TinyGo's shape), `--flatten` and
`-O4`; and a C `switch` of 1000 cases (LLVM nests one block a case). Calls run in a fixed
order (the tables' and memory's state carries from one to the next), and every outcome,
trap kind included, must be the same on each engine."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from tests.campaigns import differential as d
from wasmote.runtime.values import Value

pytestmark = pytest.mark.skipif(shutil.which("wat2wasm") is None,
                                reason="wabt's wat2wasm assembles the modules")
pytest.importorskip("wasmtime", reason="wasmtime (PyPI, the dev extras) is the reference")

REFTABLES = """
(module
  (type $ii (func (param i32) (result i32)))
  (type $v2 (func (result i32 i64)))
  (table $t0 4 funcref)
  (table $t1 2 10 funcref)
  (table $ext 3 externref)
  (memory 1 65536)
  (global $g (mut i32) (i32.const 0))
  (global $fr (mut funcref) (ref.null func))
  (elem $t0 (i32.const 0) $inc $dbl)
  (elem $p funcref (ref.func $neg) (ref.null func) (ref.func $dbl))
  (elem declare func $sq)
  (elem (table $t1) (i32.const 0) func $sq)
  (data $d "\\01\\02\\03\\04\\05\\06\\07\\08")
  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))
  (func $dbl (type $ii) (i32.mul (local.get 0) (i32.const 2)))
  (func $neg (type $ii) (i32.sub (i32.const 0) (local.get 0)))
  (func $sq (type $ii) (i32.mul (local.get 0) (local.get 0)))
  (func $start (global.set $g (i32.const 77)))
  (start $start)
  (func (export "g") (result i32) (global.get $g))
  (func (export "call0") (param i32 i32) (result i32)
    (call_indirect $t0 (type $ii) (local.get 1) (local.get 0)))
  (func (export "call1") (param i32 i32) (result i32)
    (call_indirect $t1 (type $ii) (local.get 1) (local.get 0)))
  (func (export "grow1") (param i32) (result i32)
    (table.grow $t1 (ref.func $inc) (local.get 0)))
  (func (export "size1") (result i32) (table.size $t1))
  (func (export "fill1") (param i32 i32) (result i32)
    (table.fill $t1 (local.get 0) (ref.func $neg) (local.get 1)) (table.size $t1))
  (func (export "init1") (param i32 i32 i32)
    (table.init $t1 $p (local.get 0) (local.get 1) (local.get 2)))
  (func (export "dropp") (elem.drop $p))
  (func (export "copy10") (param i32 i32 i32)
    (table.copy $t1 $t0 (local.get 0) (local.get 1) (local.get 2)))
  (func (export "isnull1") (param i32) (result i32)
    (ref.is_null (table.get $t1 (local.get 0))))
  (func (export "set1null") (param i32) (table.set $t1 (local.get 0) (ref.null func)))
  (func (export "setg") (param i32) (global.set $fr (table.get $t0 (local.get 0))))
  (func (export "gnull") (result i32) (ref.is_null (global.get $fr)))
  (func (export "ext") (param i32) (result i32)
    (table.set $ext (local.get 0) (ref.null extern))
    (i32.add (ref.is_null (table.get $ext (local.get 0))) (table.size $ext)))
  (func (export "extgrow") (param i32) (result i32)
    (table.grow $ext (ref.null extern) (local.get 0)))
  (func (export "sel") (param i32) (result i32)
    (ref.is_null (select (result funcref) (ref.func $sq) (ref.null func) (local.get 0))))
  (func (export "minit") (param i32 i32 i32) (result i64)
    (memory.init $d (local.get 0) (local.get 1) (local.get 2)) (i64.load (local.get 0)))
  (func (export "ddrop") (data.drop $d))
  (func $two (type $v2) (i32.const 7) (i64.const -9))
  (func (export "multi") (param i32) (result i64 i32 f64) (local $a i64)
    (call $two) (local.set $a) (local.get 0) (i32.add) (i64.extend_i32_s) (local.get $a)
    (i64.add) (i32.const 3) (f64.const -0.5))
  (func (export "blockmv") (param i32) (result i32)
    (i32.const 5) (local.get 0)
    (block (param i32 i32) (result i32) (i32.sub))
    (loop (param i32) (result i32) (i32.const 1) (i32.add)))
)
"""
# (export, params, results, args), in order
REFTABLES_CALLS = [
    ("g", "", "i", ()),
    ("call0", "ii", "i", (0, 5)), ("call0", "ii", "i", (1, 5)), ("call0", "ii", "i", (2, 5)),
    ("call0", "ii", "i", (9, 5)), ("call1", "ii", "i", (0, 6)), ("call1", "ii", "i", (1, 6)),
    ("size1", "", "i", ()), ("grow1", "i", "i", (3,)), ("size1", "", "i", ()),
    ("call1", "ii", "i", (4, 6)), ("grow1", "i", "i", (100,)),
    ("grow1", "i", "i", (0xFFFFFFFF,)), ("grow1", "i", "i", (0,)),
    ("fill1", "ii", "i", (1, 2)), ("call1", "ii", "i", (2, 6)), ("fill1", "ii", "i", (4, 2)),
    ("fill1", "ii", "i", (5, 0)), ("fill1", "ii", "i", (6, 0)),
    ("init1", "iii", "", (0, 0, 3)), ("isnull1", "i", "i", (1,)),
    ("call1", "ii", "i", (1, 6)), ("call1", "ii", "i", (2, 6)),
    ("init1", "iii", "", (3, 1, 3)), ("init1", "iii", "", (0, 0, 0)), ("dropp", "", "", ()),
    ("init1", "iii", "", (0, 0, 1)), ("init1", "iii", "", (0, 0, 0)),
    ("init1", "iii", "", (0, 3, 0)),
    ("copy10", "iii", "", (0, 0, 4)), ("call1", "ii", "i", (3, 6)),
    ("copy10", "iii", "", (3, 2, 3)), ("copy10", "iii", "", (2, 4, 0)),
    ("copy10", "iii", "", (2, 5, 0)), ("isnull1", "i", "i", (2,)),
    ("set1null", "i", "", (2,)), ("isnull1", "i", "i", (2,)), ("call1", "ii", "i", (2, 6)),
    ("isnull1", "i", "i", (99,)), ("setg", "i", "", (3,)), ("gnull", "", "i", ()),
    ("setg", "i", "", (1,)), ("gnull", "", "i", ()), ("ext", "i", "i", (2,)),
    ("ext", "i", "i", (3,)), ("extgrow", "i", "i", (5,)), ("ext", "i", "i", (7,)),
    ("sel", "i", "i", (0,)), ("sel", "i", "i", (1,)),
    ("minit", "iii", "I", (100, 0, 8)), ("minit", "iii", "I", (200, 4, 4)),
    ("minit", "iii", "I", (65530, 0, 8)), ("minit", "iii", "I", (0, 8, 0)),
    ("minit", "iii", "I", (0, 9, 0)), ("ddrop", "", "", ()), ("minit", "iii", "I", (0, 0, 0)),
    ("minit", "iii", "I", (0, 0, 1)), ("ddrop", "", "", ()),
    ("multi", "i", "IiF", (5,)), ("blockmv", "i", "i", (2,)),
]

# Multi-value control flow (what Rust's and binaryen's outputs carry across branches): a
# br_table taking two values to blocks and a loop, blocks and ifs with parameters, a call's
# three results into a block, br_if with values, and pending reads of a local written
# before they are consumed (the pre-decoder's pending operands).
MULTI_VALUE = """(module
  (type $pp (func (param i32 i32) (result i32 i32)))
  (func $swap (type $pp) (local.get 1) (local.get 0))
  (func $three (param i64) (result i64 i32 f32)
    (local.get 0) (i32.wrap_i64 (local.get 0)) (f32.convert_i64_s (local.get 0)))
  ;; br_table carrying two values to blocks and a loop
  (func (export "bt") (param $x i32) (param $n i32) (result i32) (local $acc i32)
    (i32.const 1) (i32.const 2)
    (loop $l (param i32 i32) (result i32 i32)
      (block $b2 (param i32 i32) (result i32 i32)
        (block $b1 (param i32 i32) (result i32 i32)
          (block $b0 (param i32 i32) (result i32 i32)
            (local.set $n (i32.sub (local.get $n) (i32.const 1)))
            (br_if $b2 (i32.eqz (local.get $n)))
            (br_table $b0 $b1 $l $b2 (i32.rem_u (local.get $x) (i32.const 5))))
          ;; b0: swap and add
          (call $swap) (local.set $acc (i32.add (local.get $acc) (i32.const 3)))
          (local.set $x (i32.add (local.get $x) (i32.const 7)))
          (br $l))
        ;; b1
        (local.set $acc (i32.xor (local.get $acc) (i32.const 0x55)))
        (local.set $x (i32.mul (local.get $x) (i32.const 3)))
        (i32.add (local.get $acc)) (local.get $acc)
        (br $l)))
    (i32.add) (local.get $acc) (i32.mul (i32.const 31)) (i32.add))
  ;; pending reads of a local, then a write to it (the pre-decoder's pending operands)
  (func (export "pend") (param $a i32) (param $b i32) (result i32)
    (local.get $a) (local.get $a) (local.set $a (i32.const 100)) (local.get $a)
    (i32.add) (i32.sub)
    (local.get $b) (local.tee $b (i32.add (local.get $b) (i32.const 1))) (i32.mul)
    (i32.add)
    (local.get $a)
    (block (param i32) (result i32) (local.set $a (i32.const 5)) (i32.add (local.get $a)))
    (i32.xor))
  (func (export "sel") (param $a i32) (param $c i32) (result i32)
    (local.get $a) (local.tee $a (i32.const 9)) (local.get $c) (select)
    (local.get $a) (i32.add))
  (func (export "ifmv") (param $c i32) (param $v i64) (result i64 i32)
    (local.get $v) (i32.const 4)
    (if (param i64 i32) (result i64 i32) (local.get $c)
      (then (local.set $c) (i64.const 1) (i64.add) (local.get $c))
      (else (drop) (i64.const -1) (i64.mul) (i32.const 77))))
  (func (export "callmv") (param i64) (result f32) (local $f f32)
    (call $three (local.get 0))
    (block (param i64 i32 f32) (result f32)
      (local.set $f) (f32.convert_i32_u) (local.get $f) (f32.add) (local.set $f)
      (f32.convert_i64_u) (local.get $f) (f32.add)))
  (func (export "loopcount") (param $n i32) (result i32 i32)
    (i32.const 0) (local.get $n)
    (loop $l (param i32 i32) (result i32 i32)
      (local.set $n) (i32.add (local.get $n)) (local.get $n)
      (i32.sub (i32.const 1)) (local.tee $n)
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0))))
    )
  (func (export "deep") (param $x i32) (result i32)
    (block $out (result i32)
      (block $a (result i32)
        (block $b (result i32)
          (i32.const 10)
          (br_table $a $b $out (local.get $x)))
        (i32.add (i32.const 1))
        (br $out))
      (i32.mul (i32.const 2))))
  (func (export "brifmv") (param $x i32) (result i32 i32)
    (block $b (result i32 i32)
      (i32.const 1) (i32.const 2) (local.get $x) (br_if $b)
      (drop) (drop) (i32.const 3) (local.get $x)))
)
"""
MULTI_VALUE_CALLS = [
    *(("bt", "ii", "i", (x, n)) for x in (0, 1, 2, 3, 4, 7, 12, 99, 0xFFFFFFFF)
      for n in (1, 2, 5, 17)),
    *(call for a, b in ((1, 2), (0, 0), (0xFFFFFFFF, 7), (100, 100))
      for call in (("pend", "ii", "i", (a, b)), ("sel", "ii", "i", (a, b)))),
    ("ifmv", "iI", "Ii", (0, 41)), ("ifmv", "iI", "Ii", (1, 41)),
    ("callmv", "I", "f", (5,)), ("callmv", "I", "f", (0xFFFFFFFFFFFFFFFF,)),
    ("loopcount", "i", "ii", (10,)), ("loopcount", "i", "ii", (0,)),
    *(("deep", "i", "i", (x,)) for x in (0, 1, 2, 9)),
    ("brifmv", "i", "ii", (0,)), ("brifmv", "i", "ii", (5,)),
]

C_PROGRAM = r"""
typedef unsigned int u32;
typedef unsigned long long u64;
static u32 table_data[4096] = {1, 2, 3};
static const char msg[] = "the quick brown fox jumps over the lazy dog 0123456789";
typedef u32 (*op_fn)(u32, u32);
static u32 op_add(u32 a, u32 b) { return a + b; }
static u32 op_sub(u32 a, u32 b) { return a - b; }
static u32 op_mul(u32 a, u32 b) { return a * b; }
static u32 op_div(u32 a, u32 b) { return b ? a / b : 0; }
static u32 op_xor(u32 a, u32 b) { return a ^ b; }
static op_fn ops[] = {op_add, op_sub, op_mul, op_div, op_xor};
__attribute__((noinline)) static u32 fib(u32 n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
__attribute__((export_name("fib"))) u32 efib(u32 n) { return fib(n % 25); }
__attribute__((export_name("calc"))) u32 calc(u32 seed, u32 n) {
    u32 acc = seed;
    for (u32 i = 0; i < n % 1000; i++) acc = ops[(acc >> 3) % 5](acc, i * 2654435761u);
    return acc;
}
__attribute__((export_name("sw"))) u32 sw(u32 x) {
    u32 r = 0;
    for (int k = 0; k < 8; k++) {
        switch ((x >> (k * 4)) & 15) {
        case 0: r += 3; break; case 1: r ^= 0x55; break; case 2: r *= 7; break;
        case 3: r -= 11; break; case 4: r = r << 1; break; case 5: r = r >> 1; break;
        case 6: r += msg[k]; break; case 7: r |= 0x100; break; case 8: r &= 0xFF0F; break;
        case 9: r += 99; break; case 10: r = ~r; break; case 11: r += k; break;
        default: r += 1;
        }
    }
    return r;
}
__attribute__((export_name("mem"))) u64 mem(u32 n) {
    u64 h = 1469598103934665603ull;
    for (u32 i = 0; i < 4096; i++) table_data[i] = table_data[i] * 31 + i + n;
    for (u32 i = 0; i < 4096; i++) h = (h ^ table_data[i]) * 1099511628211ull;
    for (u32 i = 0; i < sizeof msg; i++) h = (h ^ (unsigned char)msg[i]) * 1099511628211ull;
    return h;
}
__attribute__((export_name("fl"))) double fl(double x, float y) {
    double s = 0;
    for (int i = 1; i < 50; i++) s += x / i - (double)(y * (float)i);
    return s;
}
__attribute__((export_name("grow"))) int grow(int pages) {
    return __builtin_wasm_memory_grow(0, pages);
}
"""
C_CALLS = [
    ("fib", "i", "i", (20,)), ("calc", "ii", "i", (7, 500)),
    ("calc", "ii", "i", (0xFFFFFFFF, 999)), ("sw", "i", "i", (0x12345678,)),
    ("sw", "i", "i", (0xFEDCBA98,)), ("mem", "i", "I", (3,)), ("mem", "i", "I", (5,)),
    ("fl", "Ff", "F", (0x3FF8000000000000, 0x40200000)), ("grow", "i", "i", (1,)),
    ("grow", "i", "i", (70000,)), ("mem", "i", "I", (9,)), ("grow", "i", "i", (0,)),
]

_WIDTH = {"i": ("i32", 32), "I": ("i64", 64), "f": ("f32", 32), "F": ("f64", 64)}


Script = Sequence[tuple[str, str, str, tuple[int, ...]]]


def _calls(script: Script) -> list[d.Call]:
    return [d.Call(name, ps, rs, tuple(Value(_WIDTH[x][0], a & ((1 << _WIDTH[x][1]) - 1))
                                       for x, a in zip(ps, args, strict=True)))
            for name, ps, rs, args in script]


def _engines() -> list[str]:
    return ["interp", "sliced", "pd", "wasmtime"] + (
        [] if d.aot_available() else ["aot", "aot-sliced"])


def _compare(engines: Sequence[d.Engine], path: Path, script: Script) -> tuple[list[str], int]:
    """One module on `engines`, the calls in order: what differed or was refused, and how
    many calls all engines agreed on."""
    bad: list[str] = []
    if d.load_everywhere(engines, path, bad) is None:
        return bad, 0
    agreed = 0
    for call in _calls(script):
        outs = [e.call(call) for e in engines]
        if any(o != outs[0] for o in outs[1:]):
            bad.append(f"{path.name} {call.name}{tuple(a.bits for a in call.args)}: "
                       + ", ".join(f"{e.name} {o}" for e, o in zip(engines, outs, strict=True)))
        else:
            agreed += 1
    return bad, agreed


def disagreements(paths: list[Path], script: Script, names: list[str]) -> tuple[list[str], int]:
    """Each module on every engine named (_compare); every AOT engine ran each natively."""
    engines = d.make_engines(names)
    bad: list[str] = []
    agreed = 0
    try:
        for path in paths:
            more, n = _compare(engines, path, script)
            bad += more
            agreed += n
        for e in engines:
            if isinstance(e, d.DriverEngine) and e.native_modules() is not None:
                assert e.native_modules() == len(paths), f"{e.name} ran some as wasm"
    finally:
        bad += [f"{e.name}: {r}" for e in engines if (r := e.close())]
    return bad, agreed


def _wat(tmp: Path, name: str, text: str) -> Path:
    (tmp / f"{name}.wat").write_text(text)
    subprocess.run(["wat2wasm", str(tmp / f"{name}.wat"), "-o", str(tmp / f"{name}.wasm")],
                   check=True)
    return tmp / f"{name}.wasm"


def test_reference_types_and_several_tables_agree(tmp_path: Path) -> None:
    wasm = _wat(tmp_path, "reftables", REFTABLES)
    bad, agreed = disagreements([wasm], REFTABLES_CALLS, _engines())
    assert bad == [] and agreed == len(REFTABLES_CALLS), "\n".join(bad)


def test_multi_value_control_flow_agrees(tmp_path: Path) -> None:
    wasm = _wat(tmp_path, "multivalue", MULTI_VALUE)
    bad, agreed = disagreements([wasm], MULTI_VALUE_CALLS, _engines())
    assert bad == [] and agreed == len(MULTI_VALUE_CALLS), "\n".join(bad)


@pytest.mark.skipif(shutil.which("clang") is None or shutil.which("wasm-opt") is None,
                    reason="clang (wasm32) and binaryen make the modules")
def test_clang_and_binaryen_shapes_agree(tmp_path: Path) -> None:
    src = tmp_path / "prog.c"
    src.write_text(C_PROGRAM)
    paths = []
    for opt in ("-O0", "-Oz"):
        out = tmp_path / f"prog{opt}.wasm"
        subprocess.run(["clang", "--target=wasm32", "-nostdlib", opt, "-Wl,--no-entry",
                        "-Wl,--export-dynamic", "-o", str(out), str(src)], check=True)
        paths.append(out)
    for passes in (["--asyncify"], ["--asyncify", "-O"], ["--flatten", "--dfo", "-O4"]):
        out = tmp_path / f"prog{'_'.join(passes)}.wasm"
        subprocess.run(["wasm-opt", str(paths[0]), *passes, "-o", str(out)], check=True)
        paths.append(out)
    bad, agreed = disagreements(paths, C_CALLS, _engines())
    assert bad == [] and agreed == len(C_CALLS) * len(paths), "\n".join(bad)


def switch_of(cases: int) -> str:
    """A C switch as LLVM emits it: a block a case around one br_table."""
    inner = "(br_table " + " ".join(map(str, range(cases))) + " (local.get 0))"
    body = "(block " * cases + inner
    for k in range(cases):  # case k's code follows its block's end
        body += f") (local.set 1 (i32.add (i32.mul (local.get 1) (i32.const {k | 1})) " \
                f"(i32.const {k}))) (br {cases - 1 - k})"
    return ('(module (func (export "f") (param i32) (result i32) (local i32) '
            f"(block {body}) (local.get 1)))")


def test_a_switch_of_a_thousand_cases_runs(tmp_path: Path) -> None:
    """The validator's scratch held ~580 nested blocks (its control frames had a fixed third
    of it): a C switch of 600 cases was refused at install, "blocks nested too deeply"."""
    wasm = _wat(tmp_path, "switch", switch_of(1000))
    script = [("f", "i", "i", (k,)) for k in (0, 1, 500, 998, 999, 1000, 0xFFFFFFFF)]
    names = ["interp", "wasmtime"] + ([] if d.aot_available() else ["aot"])
    bad, agreed = disagreements([wasm], script, names)
    assert bad == [] and agreed == len(script), "\n".join(bad)
    # past the cap (~1 500 levels on a 64-bit host) a refusal that says it is a limit
    deeper = _wat(tmp_path, "switch3000", switch_of(3000))
    interp = d.make_engines(["interp"])[0]
    try:
        said = interp.load(deeper)
    finally:
        interp.close()
    assert isinstance(said, str) and said.startswith("error limit ") and said.endswith(
        "blocks nested too deeply for this device's validator (a limit, not an error in the "
        "module)"), said


class _UartEngine(d.DriverEngine):
    """The spec-test image's driver on a board's UART (modules as hex, or as AOT packages
    through `transport`), in the campaign's engine shape."""

    def __init__(self, name: str, transport: Any, inner: Any) -> None:  # no process of its own
        self.name, self.transport, self.proc = name, transport, inner
        self.predecode = self.sliced = False

    def close(self) -> str:
        return ""


@pytest.mark.qemu
@pytest.mark.slow
@pytest.mark.parametrize("board", ["mps2-an386", "mps2-an385", "riscv32-virt", "xtensa-lx106"])
def test_shapes_agree_on_a_board_interpreted_and_native(board: str, tmp_path: Path) -> None:
    """The reference-type and multi-value modules on the spec-test image under QEMU, in
    place and AOT-compiled, each against wasmtime: mps2-an386 (Cortex-M4F) and mps2-an385
    (Cortex-M3) run native code isolated by the MPU, table and bulk operations through the
    SVC gate; riscv32-virt and xtensa-lx106 call the runtime directly."""
    from tests.firmware.conftest import spectest_image
    from tests.harness.aot_spec_transport import AotTransport
    from tests.harness.spec_driver import StreamTransport
    from wasmote.aot.targets import target_for_board

    cases = [(_wat(tmp_path, "reftables", REFTABLES), REFTABLES_CALLS),
             (_wat(tmp_path, "multivalue", MULTI_VALUE), MULTI_VALUE_CALLS)]
    with spectest_image(board, answer_timeout=120) as (ser, _banner):
        uart = StreamTransport(ser)
        aot = AotTransport(uart, target_for_board(board))
        for engine in (_UartEngine("interp", uart, uart), _UartEngine("aot", aot, uart)):
            for path, script in cases:
                bad, agreed = _compare([engine, d.WasmtimeEngine()], path, script)
                assert bad == [] and agreed == len(script), "\n".join(bad)
        assert aot.compiled == len(cases)


def test_package_notes_a_nesting_a_small_device_refuses(tmp_path: Path) -> None:
    """`wasmote package` accepts a deep switch (it is valid) and says what a device needs."""
    from tests.cli_invoke import run_cli

    (tmp_path / "m.toml").write_text('name = "sw"\nversion = "1.0.0"\n')
    for cases, says in ((400, None), (1000, "a device validates it only with about 188 KiB"),
                        (2500, "more than a device validates (about 2000)")):
        wasm = _wat(tmp_path, f"sw{cases}", switch_of(cases))
        r = run_cli("package", str(wasm), "-m", str(tmp_path / "m.toml"), "-o",
                    str(tmp_path / f"sw{cases}.wmp"))
        assert r.exit_code == 0, r.output
        notes = [ln for ln in r.output.splitlines() if ln.startswith("note: function 0 nests")]
        if says is None:
            assert notes == [], r.output
        else:
            assert len(notes) == 1 and says in notes[0] and \
                f"nests blocks {cases + 1} deep" in notes[0], r.output


def test_padded_table_indexes_agree(tmp_path: Path) -> None:
    """LLVM with reference types (its default since LLVM 19) writes call_indirect's table
    index as a relocation, a 5-byte LEB unless the link compresses it: `call_indirect` with a
    padded type and table index, `table.get` and `table.size` with a padded table index, raw
    and as `wasmote strip` (which re-encodes them short) leaves them."""
    from wasmote.wasm.leb128 import encode_unsigned as u
    from wasmote.wasm.strip import strip_bytes

    def sec(i: int, body: bytes) -> bytes:
        return bytes([i]) + u(len(body)) + body

    def vec(items: list[bytes]) -> bytes:
        return u(len(items)) + b"".join(items)

    def body(code: bytes) -> bytes:
        b = b"\x00" + code + b"\x0b"
        return u(len(b)) + b

    p0 = b"\x80\x80\x80\x80\x00"
    wasm = (b"\0asm\1\0\0\0" + sec(1, vec([b"\x60\x01\x7f\x01\x7f", b"\x60\x02\x7f\x7f\x01\x7f"]))
            + sec(3, vec([b"\x00", b"\x01", b"\x01"])) + sec(4, vec([b"\x70\x00\x02"]))
            + sec(7, vec([b"\x02ci\x00\x01", b"\x02tg\x00\x02"]))
            + sec(9, vec([b"\x00\x41\x00\x0b" + vec([b"\x00"])]))
            + sec(10, vec([body(b"\x20\x00\x41\x01\x6a"),
                           body(b"\x20\x01\x20\x00\x11" + p0 + p0),
                           body(b"\x20\x00\x25" + p0 + b"\xd1\xfc\x10" + p0 + b"\x6a")])))
    raw, short = tmp_path / "padded.wasm", tmp_path / "short.wasm"
    raw.write_bytes(wasm)
    short.write_bytes(bytes(strip_bytes(wasm)[0]))
    assert len(short.read_bytes()) < len(wasm)
    script = [("ci", "ii", "i", (k, 5)) for k in range(3)] + \
        [("tg", "ii", "i", (k, 0)) for k in range(3)]
    bad, agreed = disagreements([raw, short], script, _engines())
    assert bad == [] and agreed == 2 * len(script), "\n".join(bad)
