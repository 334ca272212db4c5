"""Hostile module shapes against the AOT compiler's running time (docs/aot.md, "Limits").

The translator's passes must do work proportional to the module: each test translates a
shape at two sizes and compares the work done, counted as the lines of wasmote's own code
that run (deterministic, no clock). Doubling a module must about double the work; the
passes these tests hold were quadratic or cubic before (a 150 KB module of 12 500 loops,
10 000 loops nested in one another, a chain of 10 000 calls: minutes each). Beyond what
GCC compiles in bounded time, sizecap.py refuses with where and why.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

import pytest

import wasmote
from tests.cli_invoke import assert_one_error_line, run_cli
from wasmote.aot import paramfacts, sizecap
from wasmote.aot.compile import AotCompileError, compile_wasm
from wasmote.aot.translate import translate
from wasmote.wasm.module import (
    BLOCK_EMPTY,
    Export,
    Function,
    FuncType,
    Instr,
    Limits,
    MemType,
    Module,
)
from wasmote.wasm.opcodes import NAME_TO_OP
from wasmote.wasm.reader import read_module
from wasmote.wasm.writer import write_module

I32 = 0x7F

_ROOT = str(Path(wasmote.__file__).parent)


def ins(name: str, *imm: int) -> Instr:
    return Instr(NAME_TO_OP[name], tuple(imm))


def _module(types: list[FuncType], funcs: list[Function], memory: bool = False) -> bytes:
    mod = Module(types=types, funcs=funcs, exports=[Export("f", 0, 0)])
    if memory:
        mod.mems.append(MemType(Limits(1)))
    return write_module(mod)


def flat_loops(n: int) -> bytes:
    """n loops one after another, each counting a local down."""
    loop = [ins("loop", BLOCK_EMPTY), ins("local.get", 0), ins("i32.const", 1), ins("i32.sub"),
            ins("local.tee", 0), ins("br_if", 0), ins("end")]
    return _module([FuncType((), ())], [Function(0, [(1, I32)], loop * n + [ins("end")])])


def nested_loops(n: int) -> bytes:
    """n loops nested in one another, each copying a word."""
    head = [ins("loop", BLOCK_EMPTY), ins("local.get", 0), ins("local.get", 0),
            ins("i32.load", 2, 0), ins("i32.store", 2, 0)]
    tail = [ins("local.get", 0), ins("br_if", 0), ins("end")]
    return _module([FuncType((), ())],
                   [Function(0, [(1, I32)], head * n + tail * n + [ins("end")])], memory=True)


def call_chain(n: int) -> bytes:
    """Function i calls function i + 1."""
    funcs = [Function(0, [], [ins("call", i + 1), ins("end")]) for i in range(n - 1)]
    return _module([FuncType((), ())], [*funcs, Function(0, [], [ins("end")])])


def pointer_ring(n: int) -> bytes:
    """Function i loads through its parameter and passes it on to function i + 1 (mod n):
    paramfacts' facts come down the ring one function a round."""
    funcs = [Function(0, [], [ins("local.get", 0), ins("i32.load", 2, 0), ins("drop"),
                              ins("local.get", 0), ins("call", (i + 1) % n), ins("end")])
             for i in range(n)]
    return _module([FuncType((I32,), ())], funcs, memory=True)


def work(wasm: bytes) -> int:
    """Lines of wasmote's code that translating `wasm` runs."""
    mod = read_module(wasm)
    n = 0

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        nonlocal n
        n += 1
        return local

    def calls(frame: FrameType, event: str, arg: Any) -> Any:
        return local if frame.f_code.co_filename.startswith(_ROOT) else None

    sys.settrace(calls)
    try:
        translate(mod)
    finally:
        sys.settrace(None)
    return n


@pytest.mark.parametrize("shape,size", [
    (flat_loops, 200),     # walkfuel: each loop scanned the function from its start
    (nested_loops, 100),   # loops.matching_end: each loop's end found by a scan
    (call_chain, 150),     # callloops: a search per function over every function's
                           # callees; fuel.plan: every function's type listed per function
])
def test_twice_the_module_is_about_twice_the_work(shape, size):
    once, twice = work(shape(size)), work(shape(2 * size))
    assert twice / once < 2.5, (once, twice)


def test_paramfacts_gives_up_after_a_bounded_amount_of_work(monkeypatch):
    # a ring needs a round per function for its facts to settle: past the budget every
    # fact is dropped (the accesses keep their checks)
    monkeypatch.setattr(paramfacts, "_WORK_MAX", 20_000)
    once, twice = work(pointer_ring(200)), work(pointer_ring(400))
    assert twice / once < 2.5, (once, twice)


def many_calls(n: int, functions: int = 1) -> bytes:
    body = [ins("call", functions)] * n + [ins("end")]
    return _module([FuncType((), ())],
                   [Function(0, [], body) for _ in range(functions)]
                   + [Function(0, [], [ins("end")])])


def test_a_function_at_the_cap_translates():
    translate(read_module(many_calls(sizecap.MAX_FUNC_SITES)))


def test_a_function_past_the_cap_is_refused_where_it_passes_it():
    wasm = many_calls(sizecap.MAX_FUNC_SITES + 1)
    mod = read_module(wasm)
    with pytest.raises(sizecap.AotSizeError) as e:
        translate(mod)
    assert e.value.offset == mod.funcs[0].instrs[sizecap.MAX_FUNC_SITES].offset
    assert "function 0 has more than 1024 loops and calls" in str(e.value)
    assert "interpreted" in str(e.value)


def test_a_module_past_the_cap_is_refused():
    per = sizecap.MAX_FUNC_SITES
    functions = sizecap.MAX_MODULE_SITES // per + 1
    with pytest.raises(sizecap.AotSizeError, match="the module has more than 16384"):
        translate(read_module(many_calls(per, functions)))


def test_wasmote_compile_refuses_in_one_line(tmp_path):
    src = tmp_path / "big.wasm"
    src.write_bytes(many_calls(sizecap.MAX_FUNC_SITES + 1))
    r = run_cli("compile", "-t", "host", str(src), "-o", str(tmp_path / "big.wmp"))
    assert_one_error_line(r, "too many to compile ahead of time")
    assert r.output.startswith(f"error: {src}:0x")
    assert not (tmp_path / "big.wmp").exists()


def test_the_compile_entry_names_the_file(host_target):
    with pytest.raises(AotCompileError, match=r"^x\.wasm:0x[0-9a-f]+: function 0 has more"):
        compile_wasm(many_calls(sizecap.MAX_FUNC_SITES + 1), host_target, source="x.wasm",
                     use_cache=False)
