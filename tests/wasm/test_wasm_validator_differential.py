"""Differential validation: our validator and wasmtime's must agree on random bodies.

Hypothesis builds function bodies from the opcode table (WebAssembly 2.0 instructions
with small, sometimes out-of-range immediates) inside a fixed module context; wasmtime,
with the post-2.0 proposals switched off, is the reference validator.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.wasm.wasmtime_oracle import wasmtime_accepts
from wasmote.wasm.errors import ValidationError
from wasmote.wasm.module import (
    BLOCK_EMPTY,
    EXTERNREF,
    F32,
    F64,
    FUNCREF,
    I32,
    I64,
    KIND_FUNC,
    KIND_GLOBAL,
    VALUE_TYPES,
    DataSegment,
    ElemSegment,
    Export,
    Function,
    FuncType,
    Global,
    GlobalType,
    Import,
    Instr,
    Limits,
    MemType,
    Module,
    TableType,
)
from wasmote.wasm.opcodes import OPS
from wasmote.wasm.reader import read_module
from wasmote.wasm.validator import validate_module
from wasmote.wasm.writer import write_module

TYPES = [FuncType((), ()), FuncType((I32,), (I32,)), FuncType((I32, I32), (I32, I64)),
         FuncType((), (F64, F32))]
OPCODES = sorted(OPS)
# Pushing instructions are drawn more often so that more bodies get past the first step.
PUSHERS = [0x41, 0x42, 0x43, 0x44, 0x20, 0x23, 0xD0]


def _imm(draw: st.DrawFn, kind: str) -> tuple[int, ...]:
    small = st.integers(0, 4)
    if kind == "":
        return ()
    if kind == "blocktype":
        return (draw(st.sampled_from([BLOCK_EMPTY, I32 - 0x80, I64 - 0x80, F64 - 0x80,
                                      FUNCREF - 0x80, 0, 1, 2, 3, 9])),)
    if kind == "br_table":
        return tuple(draw(st.lists(small, min_size=1, max_size=4)))
    if kind in ("call_indirect", "elem_table", "table_table"):
        return (draw(small), draw(st.integers(0, 2)))
    if kind == "memarg":
        return (draw(st.integers(0, 4)), draw(st.integers(0, 100)))
    if kind == "zero":
        return (0,)
    if kind == "zero2":
        return (0, 0)
    if kind == "data_zero":
        return (draw(st.integers(0, 1)), 0)
    if kind in ("data", "elem"):
        return (draw(st.integers(0, 1)),)
    if kind in ("i32", "i64"):
        return (draw(st.integers(-5, 5)),)
    if kind in ("f32", "f64"):
        return (0,)
    if kind == "reftype":
        return (draw(st.sampled_from([FUNCREF, EXTERNREF])),)
    if kind == "select_t":
        return tuple(draw(st.lists(st.sampled_from(VALUE_TYPES), max_size=2)))
    return (draw(small),)  # one index


@st.composite
def bodies(draw: st.DrawFn) -> tuple[int, list[Instr]]:
    type_idx = draw(st.integers(0, len(TYPES) - 1))
    out: list[Instr] = []
    depth = 0
    for _ in range(draw(st.integers(0, 12))):
        op = draw(st.one_of(st.sampled_from(OPCODES), st.sampled_from(PUSHERS)))
        if op == 0x0B and depth == 0:
            continue  # keep the function's own end last
        depth += op in (0x02, 0x03, 0x04)
        depth -= op == 0x0B
        out.append(Instr(op, _imm(draw, OPS[op].imm)))
    out.extend(Instr(0x0B) for _ in range(depth + 1))
    return type_idx, out


FIXED = [op for op, info in OPS.items() if info.pops is not None and op not in (0x01,)]
LOCALS = [I32, F64, FUNCREF]  # the body function's declared locals (after its params)
CONSTS = {I32: 0x41, I64: 0x42, F32: 0x43, F64: 0x44}


@st.composite
def typed_bodies(draw: st.DrawFn) -> tuple[int, list[Instr]]:
    """Mostly well-typed bodies (tracking the operand stack), with occasional random
    instructions and off-by-one immediates: near misses are where validators differ."""
    type_idx = draw(st.integers(0, len(TYPES) - 1))
    ft = TYPES[type_idx]
    locals_ = list(ft.params) + LOCALS
    out: list[Instr] = []
    stacks: list[list[int]] = [[]]
    for _ in range(draw(st.integers(0, 25))):
        stack = stacks[-1]
        choice = draw(st.integers(0, 99))
        if choice < 4:  # anything at all
            op = draw(st.sampled_from(OPCODES))
            if op in (0x02, 0x03, 0x04, 0x05, 0x0B):
                continue
            out.append(Instr(op, _imm(draw, OPS[op].imm)))
            stack.clear()  # tracking is lost; later steps may misfire, which is fine
        elif choice < 30:  # push something
            kind = draw(st.integers(0, 3))
            if kind == 0:
                t = draw(st.sampled_from(list(CONSTS)))
                v = draw(st.integers(-3, 3))
                out.append(Instr(CONSTS[t], (v if t in (I32, I64) else abs(v),)))
            elif kind == 1:
                x = draw(st.integers(0, len(locals_) - 1))
                out.append(Instr(0x20, (x,)))
                t = locals_[x]
            elif kind == 2:
                t = draw(st.sampled_from([FUNCREF, EXTERNREF]))
                out.append(Instr(0xD0, (t,)))
            else:
                x = draw(st.integers(0, 1))
                out.append(Instr(0x23, (x,)))
                t = (I32, I64)[x]
            stack.append(t)
        elif choice < 40 and len(stacks) < 4:  # open a block
            op = draw(st.sampled_from([0x02, 0x03, 0x04]))
            if op == 0x04:
                if not stack or stack[-1] != I32:
                    continue
                stack.pop()
            out.append(Instr(op, (BLOCK_EMPTY,)))
            stacks.append([])
        elif choice < 46 and len(stacks) > 1:  # close a block, maybe branching out of it
            out.extend(Instr(0x1A) for _ in stack)
            if draw(st.booleans()):
                out.append(Instr(0x0C, (draw(st.integers(0, len(stacks) - 1)),)))
            out.append(Instr(0x0B))
            stacks.pop()
        elif choice < 52 and stack:  # consume with a special instruction
            t = stack[-1]
            if t in (FUNCREF, EXTERNREF):
                out.append(Instr(0xD1))
                stack[-1] = I32
            elif len(stack) >= 3 and stack[-1] == I32 and stack[-2] == stack[-3]:
                typed = draw(st.booleans())
                out.append(Instr(0x1C, (stack[-2],)) if typed else Instr(0x1B))
                del stack[-2:]
            elif t in locals_ and draw(st.booleans()):
                out.append(Instr(0x22, (locals_.index(t),)))
            else:
                out.append(Instr(0x1A))
                stack.pop()
        else:  # an instruction with a fixed signature that fits the stack
            fits = [op for op in FIXED
                    if (p := OPS[op].pops) is not None and tuple(stack[-len(p):] if p else ())
                    == p]
            if not fits:
                continue
            op = draw(st.sampled_from(fits))
            info = OPS[op]
            imm = _imm(draw, info.imm)
            if info.align is not None:
                imm = (min(imm[0], info.align + draw(st.sampled_from([0, 0, 0, 1]))), imm[1])
            out.append(Instr(op, imm))
            assert info.pops is not None and info.pushes is not None
            if info.pops:
                del stack[-len(info.pops):]
            stack.extend(info.pushes)
    while len(stacks) > 1:
        out.extend(Instr(0x1A) for _ in stacks.pop())
        out.append(Instr(0x0B))
    out.extend(Instr(0x1A) for _ in stacks[0])
    out.extend(Instr(CONSTS[t], (0,)) for t in ft.results)
    out.append(Instr(0x0B))
    return type_idx, out


def _module(type_idx: int, body: list[Instr]) -> Module:
    mod = Module(types=list(TYPES))
    mod.imports = [Import("env", "f", KIND_FUNC, 1),
                   Import("env", "g", KIND_GLOBAL, GlobalType(I32, False))]
    mod.tables = [TableType(FUNCREF, Limits(2)), TableType(EXTERNREF, Limits(1))]
    mod.mems = [MemType(Limits(1))]
    mod.globals = [Global(GlobalType(I64, True), [Instr(0x42, (0,)), Instr(0x0B)])]
    mod.funcs = [Function(type_idx, [(1, I32), (1, F64), (1, FUNCREF)], body),
                 Function(0, [], [Instr(0x0B)])]
    mod.exports = [Export("t", KIND_FUNC, 1)]
    mod.elems = [ElemSegment("passive", FUNCREF, [[Instr(0xD2, (0,)), Instr(0x0B)]], flags=1)]
    mod.datas = [DataSegment("passive", b"x", flags=1)]
    mod.data_count = 1
    return mod


def _ours(raw: bytes) -> str | None:
    try:
        validate_module(read_module(raw))
    except ValidationError as e:
        return e.message
    return None


@settings(max_examples=3000, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          database=None)
@given(st.one_of(bodies(), typed_bodies()))
def test_validator_agrees_with_wasmtime(case: tuple[int, list[Instr]]) -> None:
    raw = write_module(_module(*case))
    ours = _ours(raw)
    assert (ours is None) == wasmtime_accepts(raw), (
        f"ours: {ours or 'valid'}; wasmtime disagrees on {raw.hex()}")


def test_oracle_rejects_post_2_0_features() -> None:
    # return_call (tail calls) must be refused, or the oracle would judge a newer language.
    assert not wasmtime_accepts(bytes.fromhex("0061736d01000000010401600000030201000a06"
                                              "01040012000b"))
    assert wasmtime_accepts(bytes.fromhex("0061736d01000000010401600000030201000a0401"
                                          "02000b"))
