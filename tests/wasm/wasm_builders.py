"""Small helpers that build modules for the toolkit's tests (through the real writer)."""

from __future__ import annotations

from wasmote.wasm.module import Function, FuncType, Instr, Module
from wasmote.wasm.opcodes import NAME_TO_OP


def ins(name: str, *imm: int) -> Instr:
    return Instr(NAME_TO_OP[name], tuple(imm))


def func_module(params: tuple[int, ...], results: tuple[int, ...], body: list[Instr],
                locals_: list[tuple[int, int]] | None = None) -> Module:
    """A module with one function of the given type; `end` is appended to `body`."""
    mod = Module(types=[FuncType(params, results)])
    mod.funcs.append(Function(0, locals_ or [], [*body, ins("end")]))
    return mod
