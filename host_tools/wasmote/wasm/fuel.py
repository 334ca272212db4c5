"""Fuel: what each check point of a function charges, by the device's rule.

The runtime (firmware/src/core/runtime/fuel.c and validate.c) charges fuel at check points:
a function's entry (frame and locals), a loop entered from above and every branch back to
it, a call and a return. Each charges the most the code since the previous check point can
cost on any path: the sum of the instructions' weights (most weigh 1; branches, calls and
returns add one unit per `VALUES` values they carry). Bulk operations are charged by size
when they run. AOT code must charge exactly what the interpreter charges, so the compiler
computes the same numbers here (tests/runtime_unit compares the weight tables, the AOT
tests compare fuel left and suspensions of both engines). docs/supervisor.md, "Fuel".

Code with more than `REGION_MAX` between two check points, or a function whose locals cost
more than that to zero, is refused by the device: `check_module` says so on the host.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from wasmote.wasm.errors import ValidationError
from wasmote.wasm.module import BLOCK_EMPTY, FuncType, Module

# firmware/src/core/runtime/wm_fuel.h (tests/runtime_unit checks they agree)
REGION_MAX = 10000
ENTRY = 2
LOCALS = 8
RETURN = 1
VALUES = 8
BYTES = 8
ELEMS = 2
HOST = 80

_WEIGHTS: dict[int, int] = {
    0x10: 3, 0x11: 4, 0x40: 50,
    0x7F: 4, 0x80: 4, 0x81: 4, 0x82: 4,
    0x8D: 3, 0x8E: 3, 0x8F: 3, 0x90: 3, 0x91: 60,
    0x9B: 3, 0x9C: 3, 0x9D: 3, 0x9E: 3, 0x9F: 60,
    0xA0: 3, 0xA1: 3, 0xA2: 3, 0xA3: 20, 0xA4: 3, 0xA5: 3,
    0x61: 2, 0x62: 2, 0x63: 2, 0x64: 2, 0x65: 2, 0x66: 2,
    0xA8: 6, 0xA9: 6, 0xAA: 6, 0xAB: 6, 0xAE: 10, 0xAF: 10, 0xB0: 10, 0xB1: 10,
    0xB4: 2, 0xB5: 2, 0xB6: 2, 0xB7: 2, 0xB8: 2, 0xB9: 2, 0xBA: 2, 0xBB: 2,
}
_FC_WEIGHTS: dict[int, int] = {
    0: 6, 1: 6, 2: 6, 3: 6, 4: 10, 5: 10, 6: 10, 7: 10,
    10: 2, 11: 2, 16: 1,
}


def weight(op: int) -> int:
    """The weight of an instruction (`op` as Instr.op: 0xFC00 | n for 0xFC-prefixed ones),
    without the share of the values a branch, call or return carries."""
    if op >= 0xFC00:
        return _FC_WEIGHTS.get(op & 0xFF, 50)
    return _WEIGHTS.get(op, 1)


def i64_const(imm_bytes: int) -> int:
    """What an i64.const adds for an immediate of that many bytes (wm_fuel_i64_const)."""
    return max(0, imm_bytes - 2)


def _s64_len(v: int) -> int:
    n = 1
    while not (-64 <= v < 64):
        v >>= 7
        n += 1
    return n


class FuelLimitError(ValidationError):
    """The device refuses this code: one check point would charge more than REGION_MAX."""


@dataclass
class FuncFuel:
    """What the check points of one function charge (keys: instruction indices)."""

    entry: int                                        # at entry (frame, locals)
    ret: int                                          # at every return
    loop_in: dict[int, int] = field(default_factory=dict)    # a loop entered from above
    loop_back: dict[int, int] = field(default_factory=dict)  # a branch back to the loop
    call: dict[int, int] = field(default_factory=dict)       # a call or call_indirect


@dataclass
class _Label:
    kind: int              # 0 function, 2 block, 3 loop, 4 if, 5 else
    arity: int             # values a branch to it carries
    at: int = 0            # loop: its instruction index
    dbr: int | None = None  # the largest d of the forward branches to it
    dif: int | None = None  # if: d at the `if`


def _max(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def plan(mod: Module, j: int, func_types: list[FuncType] | None = None) -> FuncFuel:
    """The check points of defined function j of a valid module (`func_types`: every
    function's type, when the caller plans them all: built once, not once a function)."""
    f = mod.funcs[j]
    ft = mod.types[f.type_idx]
    if func_types is None:
        func_types = [mod.types[t] for t in mod.func_type_indices()]
    nlocals = sum(count for count, _t in f.locals)
    entry = ENTRY + nlocals // LOCALS
    if entry > REGION_MAX:
        raise FuelLimitError("too many locals (their zeroing costs too much fuel for one "
                             "check point)", f.body_offset, "code")
    out = FuncFuel(entry, 0)
    labels = [_Label(0, len(ft.results))]
    d: int | None = 0
    ret: int | None = None

    def add(w: int, offset: int) -> None:
        nonlocal d
        if d is None:
            return
        if w > REGION_MAX - d:
            raise FuelLimitError("too much code between fuel check points (a loop, call or "
                                 "return)", offset, "code")
        d += w

    def branch(depth: int) -> None:
        nonlocal ret
        if d is None:
            return
        lab = labels[-1 - depth]
        if lab.kind == 3:
            out.loop_back[lab.at] = max(out.loop_back[lab.at], d)
        elif lab.kind == 0:
            ret = _max(ret, d)
        else:
            lab.dbr = _max(lab.dbr, d)

    def call(i: int, op: int, t: FuncType, offset: int) -> None:
        nonlocal d
        add(weight(op) + (len(t.params) + len(t.results)) // VALUES, offset)
        out.call[i] = d if d is not None else 0
        if d is not None:
            d = 0

    for i, ins in enumerate(f.instrs):
        op = ins.op
        if op not in (0x0C, 0x0D, 0x0E, 0x10, 0x11):
            add(weight(op), ins.offset)
        if op == 0x42:  # its immediate as encoded (read from bytes), else as the writer would
            nxt = f.instrs[i + 1].offset
            size = nxt - ins.offset - 1 if ins.offset and nxt > ins.offset else \
                _s64_len(ins.imm[0])
            add(i64_const(size), ins.offset)
        if op in (0x02, 0x03, 0x04):
            params, results = _block_type(mod, ins.imm[0])
            if op == 0x03:
                out.loop_in[i] = d if d is not None else 0
                out.loop_back[i] = 0
                if d is not None:
                    d = 0
                labels.append(_Label(3, len(params), at=i))
            else:
                labels.append(_Label(op, len(results), dif=d if op == 0x04 else None))
        elif op == 0x05:
            lab = labels[-1]
            lab.dbr = _max(lab.dbr, d)
            d, lab.dif, lab.kind = lab.dif, None, 5
        elif op == 0x0B:
            lab = labels.pop()
            if lab.kind == 0:
                ret = _max(ret, d)
            else:
                d = _max(_max(d, lab.dbr), lab.dif)
        elif op in (0x0C, 0x0D):
            add(weight(op) + labels[-1 - ins.imm[0]].arity // VALUES, ins.offset)
            branch(ins.imm[0])
            if op == 0x0C:
                d = None
        elif op == 0x0E:
            add(weight(op) + labels[-1 - ins.imm[-1]].arity // VALUES, ins.offset)
            for depth in ins.imm:
                branch(depth)
            d = None
        elif op == 0x0F:
            ret = _max(ret, d)
            d = None
        elif op == 0x00:
            d = None
        elif op == 0x10:
            call(i, op, func_types[ins.imm[0]], ins.offset)
        elif op == 0x11:
            call(i, op, mod.types[ins.imm[0]], ins.offset)
    out.ret = RETURN + len(ft.results) // VALUES + (ret or 0)
    return out


def _block_type(mod: Module, bt: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    if bt == BLOCK_EMPTY:
        return (), ()
    if bt < 0:
        return (), (bt & 0x7F,)
    t = mod.types[bt]
    return t.params, t.results


def check_module(mod: Module) -> list[FuncFuel]:
    """Every defined function's check points; FuelLimitError (with the offset) if the
    device would refuse one."""
    func_types = [mod.types[t] for t in mod.func_type_indices()]
    return [plan(mod, j, func_types) for j in range(len(mod.funcs))]
