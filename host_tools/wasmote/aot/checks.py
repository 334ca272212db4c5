"""Combined bounds checks for straight-line code (an optimisation of translate.py).

Compilers emit wasm like `local.get $p; i32.const 576; i32.add; i32.load`: each address is a
local plus a constant, wrapping at 2^32, so every access needs its own check and its own
32-bit address computation. Within a *segment* - a run of instructions without control
flow - accesses based on the same local (not assigned in between) form a group. One check
at the segment's start,

    L + c_min >= 0  and  L + max(c + offset + size) <= memory size      (exact integers)

proves that none of them wraps and all are in bounds. The segment is then emitted twice: a
fast copy whose grouped accesses have no checks and address `mem + L + c + offset` directly
(the C compiler folds the constant into the addressing mode), and the original, fully
checked copy for when the combined check fails (an access that traps, or one that relies on
wrap-around). Both copies assign the same C variables, so the code after them does not care
which ran; traps, stores and calls happen in the same order in both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from wasmote.wasm.module import BLOCK_EMPTY, Instr
from wasmote.wasm.opcodes import OPS

# instructions that end a segment (control flow; `unreachable` too)
SEGMENT_BREAK = frozenset({0x00, 0x02, 0x03, 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F})

LOAD_SIZE = {0x28: 4, 0x29: 8, 0x2A: 4, 0x2B: 8, 0x2C: 1, 0x2D: 1, 0x2E: 2, 0x2F: 2,
             0x30: 1, 0x31: 1, 0x32: 2, 0x33: 2, 0x34: 4, 0x35: 4}
STORE_SIZE = {0x36: 4, 0x37: 8, 0x38: 4, 0x39: 8, 0x3A: 1, 0x3B: 2, 0x3C: 1, 0x3D: 2, 0x3E: 4}
_MAX_CONST = 1 << 30  # |constant| bound the 32-bit combined check relies on


@dataclass(frozen=True)
class Group:
    local: int
    c_min: int       # smallest constant added to the local
    end: int         # largest constant + offset + access size


@dataclass(frozen=True)
class Segment:
    start: int                             # first instruction of the versioned region
    end: int                               # index after the segment's last instruction
    groups: tuple[Group, ...]
    fast: dict[int, tuple[int, int]]       # instruction index -> (local, constant)


@dataclass(frozen=True)
class _Local:
    """A stack value known to be (local at version) + constant, wrapping at 2^32."""

    local: int
    version: int
    c: int


@dataclass(frozen=True)
class _Const:
    value: int


_Sym = _Local | _Const | None


def grp_ok(local: str, c_min: int, end: int, mem_min: int) -> str:
    """The C test that local + [c_min, end) lies in the memory (exact integers): the
    prelude's one-compare form when the span is within the memory every entry guarantees
    (MEM_MIN) and 2^30, the general one otherwise. Used for a loop's guards (once per entry);
    the segments' own tests keep GRP_OK: with GRP_OKM, GCC keeps each span's
    `min(msz, 2^30) - span` in a register across the function, the segments in the checked
    copies of loops included (ud's ludcmp +3 % instructions on the M4)."""
    m = "M" if end - c_min <= min(mem_min, 1 << 30) else ""
    return f"GRP_OK{m}({local}, {c_min}, {end})"


def block_arity(bt: int, type_arity: list[tuple[int, int]]) -> tuple[int, int]:
    """(params, results) of a block type: empty, one value type, or a type index."""
    if bt == BLOCK_EMPTY:
        return 0, 0
    if bt < 0:
        return 0, 1
    return type_arity[bt]


class _Effects:
    """Stack effect of the instructions whose arity OPS does not give."""

    def __init__(self, func_arity: list[tuple[int, int]],
                 type_arity: list[tuple[int, int]]) -> None:
        self.func_arity = func_arity
        self.type_arity = type_arity

    def arity(self, ins: Instr) -> tuple[int, int] | None:
        op = ins.op
        info = OPS.get(op)
        if info is not None and info.pops is not None and info.pushes is not None:
            return len(info.pops), len(info.pushes)
        if op == 0x10:
            return self.func_arity[ins.imm[0]]
        if op == 0x11:
            p, r = self.type_arity[ins.imm[0]]
            return p + 1, r
        # br_if: on the fall-through path it only consumes its condition (the analyses
        # that meet one model only that path: a loop left in the middle, loops.py)
        fixed = {0x0D: (1, 0), 0x1A: (1, 0), 0x1B: (3, 1), 0x1C: (3, 1), 0x23: (0, 1), 0x24: (1, 0),
                 0x25: (1, 1), 0x26: (2, 0), 0xD0: (0, 1), 0xD1: (1, 1), 0xD2: (0, 1),
                 0xFC0C: (3, 0), 0xFC0D: (0, 0), 0xFC0E: (3, 0), 0xFC0F: (2, 1),
                 0xFC10: (0, 1), 0xFC11: (3, 0)}
        return fixed.get(op)

    def unmodelled(self, ins: Instr, stack: list[Any], unknown: Callable[[], Any],
                   floor: int = 0) -> bool:
        """An instruction an analysis does not model: its inputs popped (as many as the
        stack holds above `floor`, the current block's base), its results pushed as
        `unknown()`. False when its stack effect is not known either (the analysis then
        gives up in its own way)."""
        ar = self.arity(ins)
        if ar is None:
            return False
        del stack[max(floor, len(stack) - ar[0]):]
        stack.extend(unknown() for _ in range(ar[1]))
        return True


def plan(instrs: list[Instr], func_arity: list[tuple[int, int]],
         type_arity: list[tuple[int, int]], skip: frozenset[int] = frozenset()
         ) -> dict[int, Segment]:
    """Segment start index -> plan, for the segments worth versioning (accesses in `skip`
    need no check and take no part)."""
    effects = _Effects(func_arity, type_arity)
    out: dict[int, Segment] = {}
    i, n = 0, len(instrs)
    while i < n:
        if instrs[i].op in SEGMENT_BREAK:
            i += 1
            continue
        j = i
        while j < n and instrs[j].op not in SEGMENT_BREAK:
            j += 1
        seg = _analyse(instrs, i, j, effects, skip)
        if seg is not None:
            out[seg.start] = seg
        i = j
    return out


Access = tuple[int, int, int, int, int]  # index, local, version, constant, extent


def scan(instrs: list[Instr], start: int, end: int, effects: _Effects,
         skip: frozenset[int] = frozenset()
         ) -> tuple[list[Access], dict[tuple[int, int], list[int]]] | None:
    """The accesses of instrs[start:end] whose address is a local plus a constant (but not
    those in `skip`), and where each version of each local is alive: (local, version) ->
    [first, end)."""
    stack: list[_Sym] = []
    version: dict[int, int] = {}
    alive: dict[tuple[int, int], list[int]] = {}
    accesses: list[Access] = []

    def pop() -> _Sym:
        return stack.pop() if stack else None

    def assign(k: int, idx: int) -> int:
        old = version.get(k, 0)
        alive.setdefault((k, old), [start, end])[1] = idx
        version[k] = old + 1
        alive[(k, old + 1)] = [idx + 1, end]
        return old + 1

    for idx in range(start, end):
        ins = instrs[idx]
        op = ins.op
        if op == 0x20:
            k = ins.imm[0]
            stack.append(_Local(k, version.get(k, 0), 0))
        elif op == 0x41:
            stack.append(_Const(ins.imm[0]))
        elif op in (0x6A, 0x6B):
            b, a = pop(), pop()
            stack.append(_add(a, b, op == 0x6B))
        elif op == 0x21:
            pop()
            assign(ins.imm[0], idx)
        elif op == 0x22:
            pop()
            k = ins.imm[0]
            stack.append(_Local(k, assign(k, idx), 0))
        elif op in LOAD_SIZE or op in STORE_SIZE:
            if op in STORE_SIZE:
                pop()
            addr = pop()
            size = LOAD_SIZE.get(op) or STORE_SIZE[op]
            # the C local must still hold the value the address was computed from
            if (isinstance(addr, _Local) and addr.version == version.get(addr.local, 0)
                    and addr.c + ins.imm[1] + size < _MAX_CONST and idx not in skip):
                accesses.append((idx, addr.local, addr.version, addr.c,
                                 addr.c + ins.imm[1] + size))
            if op in LOAD_SIZE:
                stack.append(None)
        elif not effects.unmodelled(ins, stack, lambda: None):
            return None  # nor its stack effect: leave it alone
    return accesses, alive


def _analyse(instrs: list[Instr], start: int, end: int, effects: _Effects,
             skip: frozenset[int]) -> Segment | None:
    scanned = scan(instrs, start, end, effects, skip)
    if scanned is None:
        return None
    accesses, alive = scanned

    # One versioned region per segment, from index r to the end: the groups whose local
    # holds its grouped value at r, and their accesses at or after r. Pick the best r.
    def span(key: tuple[int, int]) -> list[int]:
        return alive.get(key, [start, end])

    best: tuple[int, int] = (0, start)
    for r in sorted({start, *(span((a[1], a[2]))[0] for a in accesses)}):
        n = sum(1 for a in accesses if a[0] >= r and span((a[1], a[2]))[0] <= r)
        if n > best[0]:
            best = (n, r)
    count, region = best
    if count < 2:
        return None
    groups: dict[tuple[int, int], list[tuple[int, int, int, int, int]]] = {}
    for acc in accesses:
        if acc[0] >= region and span((acc[1], acc[2]))[0] <= region:
            groups.setdefault((acc[1], acc[2]), []).append(acc)
    fast = {a[0]: (a[1], a[3]) for accs in groups.values() for a in accs}
    if len(fast) < 2 * len(groups):
        return None  # the combined check would cost about what it saves
    return Segment(region, end, tuple(
        Group(k[0], min(a[3] for a in accs), max(a[4] for a in accs))
        for k, accs in sorted(groups.items())), fast)


def _add(a: _Sym, b: _Sym, sub: bool) -> _Sym:
    if isinstance(a, _Local) and isinstance(b, _Const):
        base, c = a, (a.c - b.value if sub else a.c + b.value)
    elif not sub and isinstance(a, _Const) and isinstance(b, _Local):
        base, c = b, b.c + a.value
    else:
        return None
    return _Local(base.local, base.version, c) if abs(c) < _MAX_CONST else None
