"""Value ranges of i32 values, for bounds checks the translator can drop (translate.py).

Memory never shrinks, so an access whose whole address range lies below a size the memory
is known to have needs no check. The addresses that qualify are the ones compilers make of
a constant and a small value: a global variable (`i32.const 33796; i32.load`), a table
indexed by a byte (`(x & 255) << 2` plus the table's address), a field of a static array
indexed by a loaded byte. This analysis gives every i32 value an interval of unsigned
values, or none:

- locals, flow-insensitively: a local only ever holds its initial value (0, or unknown for
  a parameter) or one of the values assigned to it, so its interval is the union of those,
  found by iterating the function to a fixed point (a local that keeps growing is widened
  to unknown);
- everything else as the function is walked: constants, `load8_u`/`load16_u`, `and`, the
  shifts, `rem_u`, `div_u`, comparisons, `select`, and `add`/`sub`/`mul`/`shl` that
  provably do not wrap. A value that crosses a block boundary (block results, loop
  parameters) is unknown.

The translator then leaves out the check of every access with `address.hi + offset + size
<= limit`, where the limit is the memory's declared minimum; the module's entries check once
that the memory has at least the largest such extent (a memory capped below its declared
minimum, docs/memory-model.md, cannot run that code).
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot.checks import LOAD_SIZE, STORE_SIZE, _Effects
from wasmote.aot.stackwalk import StackWalk
from wasmote.wasm.module import I32, Instr

U32 = 0xFFFFFFFF
_WIDEN_AFTER = 4  # a local whose interval grew this often is unknown


@dataclass(frozen=True)
class Interval:
    """Unsigned 32-bit values lo..hi (inclusive)."""

    lo: int
    hi: int

    def join(self, other: Interval) -> Interval:
        return Interval(min(self.lo, other.lo), max(self.hi, other.hi))


Rng = Interval | None  # None: any i32 (or not an i32)


def _iv(lo: int, hi: int) -> Rng:
    return Interval(lo, hi) if 0 <= lo <= hi <= U32 else None


def _binary(op: int, a: Rng, b: Rng) -> Rng:
    """The interval of `a op b` (i32), or None."""
    if op in (0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F):
        return Interval(0, 1)  # comparisons
    if op == 0x71:  # and: never above either operand
        his = [r.hi for r in (a, b) if r is not None]
        return Interval(0, min(his)) if his else None
    if a is None or b is None:
        if op in (0x70, 0x6F) and b is not None and b.lo > 0 and op == 0x70:
            return Interval(0, b.hi - 1)  # rem_u by a nonzero divisor
        if op == 0x76 and b is not None and b.lo == b.hi:  # shr_u by a constant
            return Interval(0, U32 >> (b.lo & 31))
        return None
    if op == 0x6A:
        return _iv(a.lo + b.lo, a.hi + b.hi)
    if op == 0x6B:
        return _iv(a.lo - b.hi, a.hi - b.lo)
    if op == 0x6C:
        return _iv(a.lo * b.lo, a.hi * b.hi)
    if op in (0x72, 0x73):  # or, xor: below the next power of two of the larger operand
        return Interval(0, (1 << max(a.hi, b.hi).bit_length()) - 1)
    if op == 0x74 and b.lo == b.hi:  # shl by a constant
        k = b.lo & 31
        return _iv(a.lo << k, a.hi << k)
    if op == 0x76 and b.lo == b.hi:  # shr_u by a constant
        k = b.lo & 31
        return Interval(a.lo >> k, a.hi >> k)
    if op == 0x6E and b.lo > 0:  # div_u
        return Interval(a.lo // b.hi, a.hi // b.lo)
    if op == 0x70 and b.lo > 0:  # rem_u
        return Interval(0, min(a.hi, b.hi - 1))
    return None


_BINARY = frozenset({0x46, 0x47, 0x48, 0x49, 0x4A, 0x4B, 0x4C, 0x4D, 0x4E, 0x4F, 0x6A, 0x6B,
                     0x6C, 0x6E, 0x70, 0x71, 0x72, 0x73, 0x74, 0x76})
_TEST = frozenset({0x45, 0x50} | set(range(0x51, 0x5B)) | set(range(0x5B, 0x67)))
_LOADED = {0x2D: 255, 0x2F: 65535}  # load8_u, load16_u


class _Walk(StackWalk[Interval]):
    """One pass over a function body with the current local intervals: what each local is
    assigned, and the interval of every access's address."""

    def __init__(self, local_ranges: list[Rng], block_arity: list[tuple[int, int]],
                 effects: _Effects) -> None:
        super().__init__(block_arity)
        self.locals = local_ranges
        self.effects = effects
        self.assigned: dict[int, Rng] = {}
        self.addr: dict[int, Rng] = {}

    def assign(self, k: int, v: Rng) -> None:
        if k not in self.assigned:
            self.assigned[k] = v
            return
        prev = self.assigned[k]
        self.assigned[k] = None if prev is None or v is None else prev.join(v)

    def step(self, idx: int, ins: Instr) -> bool:
        op = ins.op
        stack, pop = self.stack, self.pop
        if op == 0x20:
            stack.append(self.locals[ins.imm[0]])
        elif op in (0x21, 0x22):
            v = pop()
            self.assign(ins.imm[0], v)
            if op == 0x22:
                stack.append(v)
        elif op == 0x41:
            stack.append(Interval(ins.imm[0] & U32, ins.imm[0] & U32))
        elif op in LOAD_SIZE or op in STORE_SIZE:
            if op in STORE_SIZE:
                pop()
            self.addr[idx] = pop()
            if op in LOAD_SIZE:
                stack.append(Interval(0, _LOADED[op]) if op in _LOADED else None)
        elif op in _BINARY:
            b, a = pop(), pop()
            stack.append(_binary(op, a, b))
        elif op in _TEST:
            for _ in range(1 if op in (0x45, 0x50) else 2):
                pop()
            stack.append(Interval(0, 1))
        elif op in (0x67, 0x68, 0x69):  # clz ctz popcnt
            pop()
            stack.append(Interval(0, 32))
        elif op in (0x1B, 0x1C):  # select
            pop()
            b, a = pop(), pop()
            stack.append(a.join(b) if a is not None and b is not None else None)
        elif op == 0x0D:
            pop()
        elif not self.effects.unmodelled(ins, stack, lambda: None, self.ctl[-1].base):
            raise ValueError(f"ranges: no stack effect for 0x{op:x}")
        return True


@dataclass(frozen=True)
class Ranges:
    locals: tuple[Rng, ...]
    addr: dict[int, Rng]      # load/store index -> interval of its address operand


def analyse(instrs: list[Instr], local_types: list[int], nparams: int,
            block_arity: list[tuple[int, int]], func_arity: list[tuple[int, int]],
            type_arity: list[tuple[int, int]]) -> Ranges:
    """Intervals of the function's i32 locals and of every access's address."""
    effects = _Effects(func_arity, type_arity)
    cur: list[Rng] = [None if i < nparams or t != I32 else Interval(0, 0)
                      for i, t in enumerate(local_types)]
    grew = [0] * len(cur)
    while True:
        w = _Walk(cur, block_arity, effects)
        w.walk(instrs)
        changed = False
        for k, v in w.assigned.items():
            old = cur[k]
            new = None if old is None or v is None else old.join(v)
            if new != old:
                grew[k] += 1
                cur[k] = None if grew[k] >= _WIDEN_AFTER else new
                changed = True
        if not changed:
            return Ranges(tuple(cur), w.addr)
