"""callloops.py: a function whose loop recurses or calls an import is declared
WM_CALL_LOOPS (GCC hoists less out of it). Which functions get it; that GCC still applies
the command line's options under the attribute (sibling calls off: a recursion must use
the stack and trap "call stack exhausted" where the interpreter does; a signalling NaN
times 1.0 quieted); and a recursive matcher of slre's shape (a loop over bytes that calls
itself) against the interpreter: traps at the memory's last byte and past it, addresses
that wrap, stack exhaustion, fuel left and every suspension in small slices."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from tests.aot.conftest import FILL_FUNC, aot_package, filled_calls, in_slices, wat_to_wasm
from tests.harness.spec_driver import DriverProcess
from wasmote import posix_build
from wasmote.aot import callloops, stackcheck
from wasmote.aot.compile import compile_wasm
from wasmote.aot.targets import get_target
from wasmote.aot.translate import translate
from wasmote.wasm.reader import read_module

# defined functions: 0 a leaf; 1 a loop calling only it; 2 a loop calling itself; 3 a call
# of 2 before a loop; 4 call_indirect in a loop; 5 an import's call in a loop inside a
# block; 6 a call after a loop; 7 a loop calling 3 (which calls, but never back to 7); 8 a
# loop calling 9, which calls 8 back
MARKS = """(module
  (import "env" "tick" (func $tick))
  (table 1 funcref)
  (type $v (func))
  (func $leaf (param i32) (result i32) (i32.add (local.get 0) (i32.const 1)))
  (func (param $n i32)
    (loop $l (drop (call $leaf (local.get $n)))
      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1))))))
  (func $rec (param $n i32)
    (loop $l (if (local.get $n) (then (call $rec (i32.sub (local.get $n) (i32.const 1)))))))
  (func $before (param $n i32) (block (call $rec (local.get $n))) (loop $l))
  (func (loop $l (call_indirect (type $v) (i32.const 0))))
  (func (block (loop $l (call $tick) (br_if 1 (i32.const 1)))))
  (func (param $n i32) (loop $l) (call $rec (local.get $n)))
  (func (param $n i32) (loop $l (call $before (local.get $n))))
  (func $ping (param $n i32)
    (loop $l (if (local.get $n) (then (call $pong (i32.sub (local.get $n) (i32.const 1)))))))
  (func $pong (param $n i32) (call $ping (local.get $n))))
"""

# $walk: a loop over n bytes at p reading p + i and p + i + 1600 (limits GCC would hoist)
# and storing at p + i + 3200, calling itself on the rest of the bytes at some of them;
# $deep: a call in tail position inside a loop that never ends (a sibling call would make
# it a jump, and it would run out of fuel instead of stack); $quiet: x * 1.0 in a loop that
# calls, which must quiet a signalling NaN
MATCH = """(module
  (memory 1)
""" + FILL_FUNC + """\
  (func $walk (export "walk") (param $p i32) (param $n i32) (param $d i32) (result i32)
    (local $i i32) (local $acc i32) (local $b i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $b (i32.load8_u (i32.add (local.get $p) (local.get $i))))
        (local.set $acc (i32.add (i32.mul (local.get $acc) (i32.const 31))
          (i32.load8_u offset=1600 (i32.add (local.get $p) (local.get $i)))))
        (if (i32.and (i32.ne (i32.and (local.get $b) (i32.const 3)) (i32.const 0))
                     (i32.ne (local.get $d) (i32.const 0)))
          (then (local.set $acc (i32.xor (local.get $acc)
            (call $walk (i32.add (i32.add (local.get $p) (local.get $i)) (i32.const 1))
                        (i32.shr_u (i32.sub (local.get $n) (local.get $i)) (i32.const 1))
                        (i32.sub (local.get $d) (i32.const 1)))))))
        (i32.store16 offset=3200 (i32.add (local.get $p) (local.get $i)) (local.get $acc))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $acc))
  (func $deep (export "deep") (param $n i32) (result i32)
    (loop $l
      (br_if $l (i32.eqz (local.get $n)))
      (return (call $deep (i32.add (local.get $n) (i32.const 1)))))
    (i32.const 0))
  (func $quiet (export "quiet") (param $x i32) (param $n i32) (result i32)
    (loop $l
      (if (local.get $n) (then
        (local.set $x (call $quiet (local.get $x) (i32.sub (local.get $n) (i32.const 1))))))
      (br_if $l (i32.const 0)))
    (i32.reinterpret_f32 (f32.mul (f32.reinterpret_i32 (local.get $x)) (f32.const 1)))))
"""
WALK, DEEP, QUIET = 1, 2, 3  # defined indices
# the deepest address $walk touches is p + n - 1 + 3201 (its recursion stays inside p..p+n)
N = 24
LAST = 65536 - 3201 - N  # the largest p whose every access fits


def _mod(tmp: Path, name: str, wat: str):
    return read_module(wat_to_wasm(tmp, name, wat).read_bytes())


def test_only_loops_that_recurse_or_call_an_import_are_marked(tmp_path):
    mod = _mod(tmp_path, "marks", MARKS)
    assert callloops.calling_loops(mod, stackcheck.call_sites(mod)) == {2, 5, 8}
    src = translate(mod).source
    marked = {int(m) for m in re.findall(r"WM_CALL_LOOPS static \w+ wf(\d+)\(", src)}
    assert marked == {2, 5, 8}
    assert src.count("WM_CALL_LOOPS") == 6  # each one's declaration and definition
    match = _mod(tmp_path, "match", MATCH)
    assert callloops.calling_loops(match, stackcheck.call_sites(match)) == {WALK, DEEP, QUIET}


@pytest.mark.parametrize("target", ["cortex-m4", "rv32imac"])
def test_the_command_line_still_applies_under_the_attribute(tmp_path, target):
    """GCC 12 adds the attribute's options to the command line's; an older GCC reset them
    to its defaults, and sibling calls (-O2's) would turn $deep into a loop."""
    keep = tmp_path / "keep"
    compile_wasm(wat_to_wasm(tmp_path, "match", MATCH).read_bytes(), get_target(target),
                 keep_dir=keep, use_cache=False)
    tools = {"cortex-m4": "arm-none-eabi-objdump", "rv32imac": "riscv64-unknown-elf-objdump"}
    dis = subprocess.run([tools[target], "-d", "--no-show-raw-insn", str(keep / "module-0.elf")],
                         capture_output=True, text=True, check=True).stdout
    # each function up to the next symbol that is not a local label
    bodies = dict(re.findall(r"^[0-9a-f]+ <(wf\d+)>:\n(.*?)(?=^[0-9a-f]+ <(?!\.L)|\Z)", dis,
                             re.S | re.M))
    call = r"\bbl\b" if target == "cortex-m4" else r"\bjalr\s+-?\d+\(ra\)"  # a call links
    assert re.search(rf"{call}.*<wf{DEEP}>", bodies[f"wf{DEEP}"]), bodies[f"wf{DEEP}"]
    mul = r"vmul\.f32" if target == "cortex-m4" else r"__mulsf3"
    assert re.search(mul, bodies[f"wf{QUIET}"]), bodies[f"wf{QUIET}"]


def test_a_recursive_matcher_matches_the_interpreter(tmp_path, host_target):
    wasm = wat_to_wasm(tmp_path, "match", MATCH)
    pkg = aot_package(wasm, host_target)
    calls = [(0, N, 4), (1000, N, 4), (LAST, N, 4), (LAST + 1, N, 4), (LAST + 1, N, 0),
             (65535, 1, 3), (0xFFFFFFF0, N, 4), (0xFFFFF9C0, N, 2), (30000, 1, 4),
             (30000, 0, 4)]
    driver = posix_build.build_program("wasmote-spec", "release")
    answers: dict[str, list[str]] = {}
    for module in (wasm, pkg):
        out: list[str] = []
        with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
            out += filled_calls(drv, module, "walk", calls)
            # in slices: where it suspends, and the fuel each resumption leaves
            assert drv.command(f"module - {drv.module_source(module)}") == "ok"
            assert drv.command("invoke - fill i32:7").startswith("ok")
            out += in_slices(drv, f"invoke - walk i32:3e8 i32:{N:x} i32:4", (37, 200))
            assert drv.command(f"module - {drv.module_source(module)}") == "ok"
            out.append(drv.command("invoke - deep i32:1"))
            out.append(drv.command("invoke - quiet i32:7fa00001 i32:3"))
        answers[module.suffix] = out
    assert answers[".wmp"] == answers[".wasm"]
    got = answers[".wasm"]
    assert sum(a.startswith("trap") for a in got) >= 8, got
    assert sum(a.startswith("ok") for a in got) >= 10, got
    assert sum(a.startswith("outoffuel") for a in got) >= 10, got
    assert "exhausted" in got[-2], got[-2]
    assert got[-1] == "ok i32:7fe00001", got[-1]  # quieted
