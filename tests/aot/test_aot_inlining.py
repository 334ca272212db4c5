"""inlining.py: small internal functions called from a loop that recurses are always
inlined (slre's match_op in its matcher). Which functions qualify; that GCC inlines them
(no symbol of their own in the linked code); and a matcher of that shape against the
interpreter: traps at the memory's last byte and past it, addresses that wrap, stack
exhaustion through the recursion, fuel left and every suspension in small slices."""

from __future__ import annotations

import re
import subprocess

import pytest

from tests.aot.conftest import aot_package, filled_calls, in_slices, wat_to_wasm
from tests.harness.spec_driver import DriverProcess
from wasmote import posix_build
from wasmote.aot import callloops, inlining, stackcheck
from wasmote.aot.compile import compile_wasm
from wasmote.aot.targets import get_target
from wasmote.aot.translate import escaping_functions, translate
from wasmote.wasm.reader import read_module

# defined functions: 0 $op, called from $match's recursive loop (inlined); 1 $leaf (calls
# nothing: GCC's own choice); 2 $match (recursive, exported); 3 $looped (has a loop); 4
# $three (three call sites); 5 $plain (called from a function whose loop does not recurse);
# 6 $back (calls $rec, its caller); 7 $exp (exported); 8 $outer (its loop calls $plain);
# 12 $peek, called after memory.grow from $grow (no access of its own) and $grow2 (one):
# inlined, it takes the memory base and size from its caller
MATCH = """(module
  (memory 1)
  (func $op (param $p i32) (param $q i32) (param $f i32) (result i32)
    (if (result i32) (i32.eq (i32.load8_u (local.get $p)) (i32.const 46))
      (then (i32.const 1))
      (else (if (result i32) (i32.and (i32.load8_u offset=2000 (local.get $f)) (i32.const 1))
        (then (i32.eq (call $leaf (i32.load8_u (local.get $p)))
                      (call $leaf (i32.load8_u (local.get $q)))))
        (else (i32.eq (i32.load8_u (local.get $p)) (i32.load8_u (local.get $q))))))))
  (func $leaf (param $c i32) (result i32) (i32.or (local.get $c) (i32.const 32)))
  (func $match (export "match") (param $p i32) (param $q i32) (param $f i32) (result i32)
    (local $i i32) (local $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
        (if (i32.eq (i32.load8_u (i32.add (local.get $p) (local.get $i))) (i32.const 42))
          (then (local.set $n (i32.add (local.get $n)
            (call $match (i32.add (i32.add (local.get $p) (local.get $i)) (i32.const 1))
                         (i32.add (local.get $q) (local.get $i)) (local.get $f))))))
        (br_if $done (i32.eqz (call $op (i32.add (local.get $p) (local.get $i))
                                         (i32.add (local.get $q) (local.get $i))
                                         (local.get $f))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $n))
  (func $looped (param $p i32) (result i32) (local $i i32)
    (loop $l (br_if $l (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                                 (local.get $p))))
    (call $leaf (local.get $i)))
  (func $three (param $p i32) (result i32) (call $leaf (local.get $p)))
  (func $plain (param $p i32) (result i32) (call $leaf (local.get $p)))
  (func $back (param $p i32) (result i32) (call $rec (i32.sub (local.get $p) (i32.const 1))))
  (func $exp (export "exp") (param $p i32) (result i32) (call $leaf (local.get $p)))
  (func $outer (export "outer") (param $p i32) (result i32) (local $s i32)
    (loop $l (local.set $s (i32.add (local.get $s) (call $plain (local.get $p))))
      (br_if $l (local.tee $p (i32.sub (local.get $p) (i32.const 1)))))
    (local.get $s))
  (func $rec (export "rec") (param $n i32) (result i32) (local $s i32)
    (loop $l
      (if (local.get $n) (then
        (local.set $s (i32.add (call $looped (local.get $n)) (call $back (local.get $n))))
        (local.set $s (i32.add (local.get $s) (call $exp (local.get $n))))
        (local.set $s (i32.add (local.get $s) (call $three (local.get $n))))
        (local.set $s (i32.add (local.get $s) (call $three (local.get $n))))
        (local.set $s (i32.add (local.get $s) (call $three (local.get $n))))
        (local.set $s (i32.add (local.get $s) (call $rec (i32.sub (local.get $n) (i32.const 1)))))))
      (br_if $l (i32.const 0)))
    (local.get $s))
  (func (export "fill") (param $seed i32) (local $i i32)
    (loop $l
      (local.set $seed (i32.add (i32.mul (local.get $seed) (i32.const 1103515245))
                                (i32.const 12345)))
      (i32.store8 (local.get $i) (i32.add (i32.const 40)
        (i32.rem_u (i32.shr_u (local.get $seed) (i32.const 16)) (i32.const 8))))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (i32.const 65536)))))
  (func (export "stars") (param i32) (local $i i32)
    (loop $l
      (i32.store8 (local.get $i) (i32.const 42))
      (br_if $l (i32.ne (local.tee $i (i32.add (local.get $i) (i32.const 1)))
                        (i32.const 65535)))))
  (func $peek (param $p i32) (result i32)
    (i32.add (i32.load8_u (local.get $p)) (call $leaf (local.get $p))))
  (func $grow (export "grow") (param $p i32) (param $n i32) (param $d i32) (result i32)
    (local $s i32)
    (loop $l
      (if (local.get $d) (then (local.set $s (i32.add (local.get $s)
        (call $grow (local.get $p) (local.get $n) (i32.sub (local.get $d) (i32.const 1)))))))
      (drop (memory.grow (local.get $n)))
      (local.set $s (i32.add (local.get $s) (call $peek (local.get $p))))
      (br_if $l (i32.const 0)))
    (local.get $s))
  (func $grow2 (export "grow2") (param $p i32) (param $n i32) (param $d i32) (result i32)
    (local $s i32)
    (loop $l
      (local.set $s (i32.load8_u (i32.const 0)))
      (if (local.get $d) (then (local.set $s (i32.add (local.get $s)
        (call $grow2 (local.get $p) (local.get $n) (i32.sub (local.get $d) (i32.const 1)))))))
      (drop (memory.grow (local.get $n)))
      (local.set $s (i32.add (local.get $s) (call $peek (local.get $p))))
      (br_if $l (i32.const 0)))
    (local.get $s)))
"""
OP, MATCH_F, PEEK = 0, 2, 12


def test_only_small_loop_free_callees_of_recursive_loops_are_forced(tmp_path):
    mod = read_module(wat_to_wasm(tmp_path, "match", MATCH).read_bytes())
    calls = stackcheck.call_sites(mod)
    loops = callloops.calling_loops(mod, calls)
    assert MATCH_F in loops
    assert inlining.forced(mod, calls, escaping_functions(mod), loops) == {OP, PEEK}
    src = translate(mod).source
    inlined = re.findall(r"WM_INLINE static \w+ wf(\d+)\(", src)
    assert sorted(inlined) == sorted([str(OP), str(PEEK)] * 2)  # declaration, definition
    # the memory base and size come from the caller: its own, or read for the call
    assert src.count("uint8_t *const mb = mb_; wm_msz_t msz = msz_;") == 2
    assert re.search(rf"wf{PEEK}\(fl, c, s\di, c->mem, MSZ_LOAD\(\)\)", src)
    assert re.search(rf"wf{PEEK}\(fl, c, s\di, mb, msz\)", src)


def test_a_dispatcher_of_an_inlined_functions_type_compiles(tmp_path):
    """A call_indirect of $op's type: its dispatcher lists every defined function of that
    type, $op too (never in a table, so never called there), and that call passes the
    memory base and size $op takes inlined. Without them the C did not compile ("too few
    arguments to function"; the differential campaign's seed 13, module 1620)."""
    wat = MATCH.rstrip()[:-1] + """
  (table 1 funcref)
  (elem (i32.const 0) $match)
  (func (export "ind") (param i32 i32 i32) (result i32)
    (call_indirect (param i32 i32 i32) (result i32)
      (local.get 0) (local.get 1) (local.get 2) (i32.const 0))))
"""
    wasm = wat_to_wasm(tmp_path, "match_table", wat).read_bytes()
    mod = read_module(wasm)
    calls = stackcheck.call_sites(mod)
    assert OP in inlining.forced(mod, calls, escaping_functions(mod),
                                 callloops.calling_loops(mod, calls))
    src = translate(mod).source
    assert re.search(rf"case {OP}: .*wf{OP}\(fl, c, a0, a1, a2, c->mem, MSZ_LOAD\(\)\)", src)
    compile_wasm(wasm, get_target("host"), use_cache=False)


@pytest.mark.parametrize("target", ["cortex-m4", "rv32imac"])
def test_gcc_inlines_it(tmp_path, target):
    keep = tmp_path / "keep"
    compile_wasm(wat_to_wasm(tmp_path, "match", MATCH).read_bytes(), get_target(target),
                 keep_dir=keep, use_cache=False)
    nm = {"cortex-m4": "arm-none-eabi-nm", "rv32imac": "riscv64-unknown-elf-nm"}[target]
    syms = subprocess.run([nm, str(keep / "module-0.elf")], capture_output=True, text=True,
                          check=True).stdout
    names = {ln.split()[-1] for ln in syms.splitlines()}
    assert f"wf{MATCH_F}" in names
    assert not any(re.fullmatch(rf"wf({OP}|{PEEK})(\..*)?", n) for n in names), sorted(names)


def test_the_inlined_matcher_matches_the_interpreter(tmp_path, host_target):
    wasm = wat_to_wasm(tmp_path, "match", MATCH)
    pkg = aot_package(wasm, host_target)
    # (p, q, f): q's bytes at the memory's end, f + 2000 at its last byte and past it,
    # addresses that wrap past 2^32
    calls = [(0, 100, 0), (0, 100, 5), (10, 65500, 3), (0, 65530, 63535), (0, 65530, 63536),
             (65530, 0, 7), (0xFFFFFFF0, 0, 0), (0, 0, 0xFFFFF900), (200, 0xFFFFFFFF, 1)]
    driver = posix_build.build_program("wasmote-spec", "release")
    answers: dict[str, list[str]] = {}
    for module in (wasm, pkg):
        out: list[str] = []
        with DriverProcess(driver, ["--arena-mb", "64"]) as drv:
            out += filled_calls(drv, module, "match", calls)
            assert drv.command(f"module - {drv.module_source(module)}") == "ok"
            assert drv.command("invoke - fill i32:7").startswith("ok")
            out += in_slices(drv, "invoke - match i32:0 i32:0 i32:9", (5, 23))
            out.append(drv.command("invoke - rec i32:3"))
            out.append(drv.command("invoke - outer i32:5"))
            # the callee reads the memory its caller has just grown: at the old end
            for fn in ("grow", "grow2"):
                for p, n, d in ((65536, 1, 0), (65535, 0, 0), (65536, 0, 0), (131072, 1, 1),
                                (196608, 1, 1), (0xFFFFFFFF, 1, 0)):
                    assert drv.command(f"module - {drv.module_source(module)}") == "ok"
                    out.append(drv.command(f"invoke - {fn} i32:{p:x} i32:{n:x} i32:{d:x}"))
            # '*' all the way: each one recurses, until the stack runs out
            assert drv.command(f"module - {drv.module_source(module)}") == "ok"
            assert drv.command("invoke - stars i32:0").startswith("ok")
            out.append(drv.command("invoke - match i32:0 i32:0 i32:0"))
        answers[module.suffix] = out
    assert answers[".wmp"] == answers[".wasm"]
    got = answers[".wasm"]
    assert sum(a.startswith("trap") for a in got) >= 8, got
    assert sum(a.startswith("ok") for a in got) >= 8, got
    assert sum(a.startswith("outoffuel") for a in got) >= 10, got
    assert "exhausted" in got[-1], got[-1]
