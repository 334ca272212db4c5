"""Bounds checks of a loop's invariant bases hoisted to its entry (an optimisation of
translate.py).

Compilers walk tables inside loops as `base + index`, where the base is a local the loop
does not assign and the index is bounded by its computation: a masked local, a loaded
byte, a select between two constants (xgboost: `tree[node_base + (node_id & 255)]`,
`x[loaded byte]`). The loop is not counted (it runs until a loaded value says stop), so
loops.py cannot bound it, and the base is unknown, so ranges.py cannot either. But every
such address lies, in every iteration, in

    (s32)L + [lo, hi]        (L a local the loop body never assigns; exact integers)

so one test at the loop's entry, `L + lo >= 0 and L + hi + offset + size <= memory size`
(checks.py's GRP_OK, per base), proves all of them in bounds for the whole loop: the loop
runs as a copy without their checks when it holds, as it is otherwise. Nothing traps
earlier: the test only chooses the copy; a failing access traps in the checked one, at
the same access, after the same stores.

A loop qualifies when its body is straight-line code (calls allowed: they cannot assign
the caller's locals, and memory only grows) ending in `br_if 0`, and possibly leaving in the
middle by `br_if` outwards (an iteration that leaves makes only some of its accesses, each
in the same range). Each i32 value of one
iteration is evaluated to such a form or to unknown. A local the body assigns is known,
before its first assignment in the iteration, only by ranges.py's interval of it (every
value it ever holds), and after it by what was assigned.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot.checks import LOAD_SIZE, SEGMENT_BREAK, STORE_SIZE, _Effects, grp_ok
from wasmote.aot.loops import straight_loop
from wasmote.aot.ranges import Rng
from wasmote.wasm.module import Instr

# |lo|, |hi| stay below this (GRP_OK's 32-bit form needs |cmin| <= 2^30)
_BOUND = 1 << 29

# the value a load gives, as an exact interval (read as signed where it is sign-extended)
_LOADED = {0x2C: (-128, 127), 0x2D: (0, 255), 0x2E: (-32768, 32767), 0x2F: (0, 65535)}


@dataclass(frozen=True)
class Form:
    """A value congruent (mod 2^32) to (s32)local + x for some x in [lo, hi]; local None:
    to x alone. The local is one the loop does not assign, as it was on entry."""

    local: int | None
    lo: int
    hi: int

    def ok(self) -> Form | None:
        return self if -_BOUND < self.lo <= self.hi < _BOUND else None

    @property
    def const(self) -> int | None:
        return self.lo if self.local is None and self.lo == self.hi else None


@dataclass(frozen=True)
class Guard:
    local: int | None    # None: the addresses are known by their interval alone
    c_min: int           # smallest address less the local
    end: int             # largest address + offset + size, less the local


@dataclass(frozen=True)
class GuardPlan:
    end: int                    # index of the loop's `end`
    guards: tuple[Guard, ...]
    unchecked: frozenset[int]   # the accesses the guarded copy leaves unchecked


def _add(a: Form | None, b: Form | None, sign: int) -> Form | None:
    """a + b or a - b; at most one local, and never subtracted."""
    if a is None or b is None or (b.local is not None and (sign < 0 or a.local is not None)):
        return None
    lo, hi = (a.lo + b.lo, a.hi + b.hi) if sign > 0 else (a.lo - b.hi, a.hi - b.lo)
    return Form(a.local if a.local is not None else b.local, lo, hi).ok()


def _binary(op: int, a: Form | None, b: Form | None) -> Form | None:
    if op == 0x6A:
        return _add(a, b, 1)
    if op == 0x6B:
        return _add(a, b, -1)
    k = b.const if b is not None else None
    pure = a is not None and a.local is None and a.lo >= 0
    if op == 0x71:  # and: with a non-negative mask, at most the mask
        masks = [f.const for f in (a, b) if f is not None and f.const is not None]
        m = [c for c in masks if c >= 0]
        return Form(None, 0, min(m)).ok() if m else None
    if op == 0x70 and k is not None and k > 0:  # rem_u: below the divisor
        return Form(None, 0, min(a.hi, k - 1) if pure and a is not None else k - 1).ok()
    if k is None or not pure or a is None:
        return None
    if op == 0x74 and 0 <= k < 31:  # shl
        return Form(None, a.lo << k, a.hi << k).ok()
    if op == 0x6C and k >= 0:  # mul
        return Form(None, a.lo * k, a.hi * k).ok()
    if op == 0x76 and 0 < k < 32:  # shr_u of a non-negative exact value
        return Form(None, a.lo >> k, a.hi >> k).ok()
    if op == 0x6E and k > 0:  # div_u
        return Form(None, a.lo // k, a.hi // k).ok()
    return None


def plan_guards(instrs: list[Instr], i: int, func_arity: list[tuple[int, int]],
                type_arity: list[tuple[int, int]], local_ranges: tuple[Rng, ...] = (),
                skip: frozenset[int] = frozenset()) -> GuardPlan | None:
    """The guards of the `loop` at index i, or None when it has no access they cover
    (those in `skip` need no check already)."""
    end = straight_loop(instrs, i, exits=True)
    if end is None:
        return None
    body = range(i + 1, end - 1)
    assigned = {instrs[k].imm[0] for k in body if instrs[k].op in (0x21, 0x22)}
    effects = _Effects(func_arity, type_arity)
    aliases = {b: ac for b, ac in _entry_aliases(instrs, i, effects).items()
               if b not in assigned and ac[0] not in assigned}
    current: dict[int, Form | None] = {}  # assigned locals, once assigned this iteration
    stack: list[Form | None] = []
    found: dict[int, tuple[Form, int]] = {}  # access -> (address form, offset + size)

    def pop() -> Form | None:
        return stack.pop() if stack else None

    for k in body:
        ins = instrs[k]
        op = ins.op
        if op == 0x20:
            loc = ins.imm[0]
            if loc in aliases:  # the same base as another local, moved by a constant
                base, off = aliases[loc]
                stack.append(Form(base, off, off).ok())
            elif loc not in assigned:
                stack.append(Form(loc, 0, 0))
            elif loc in current:
                stack.append(current[loc])
            else:
                stack.append(_interval(local_ranges, loc))
        elif op in (0x21, 0x22):
            current[ins.imm[0]] = v = pop()
            if op == 0x22:
                stack.append(v)
        elif op == 0x41:
            c = ins.imm[0]
            stack.append(Form(None, c, c).ok())
        elif op in (0x6A, 0x6B, 0x6C, 0x6E, 0x70, 0x71, 0x74, 0x76):
            b, a = pop(), pop()
            stack.append(_binary(op, a, b))
        elif op == 0x1B:  # select: either value
            pop()
            b, a = pop(), pop()
            same = a is not None and b is not None and a.local == b.local
            stack.append(Form(a.local, min(a.lo, b.lo), max(a.hi, b.hi)) if same and
                         a is not None and b is not None else None)
        elif op in LOAD_SIZE or op in STORE_SIZE:
            if op in STORE_SIZE:
                pop()
            addr = pop()
            size = LOAD_SIZE.get(op) or STORE_SIZE[op]
            if addr is not None and k not in skip:
                found[k] = (addr, ins.imm[1] + size)
            if op in LOAD_SIZE:
                r = _LOADED.get(op)
                stack.append(Form(None, *r) if r else None)
        elif not effects.unmodelled(ins, stack, lambda: None):
            return None
    if not found:
        return None
    groups: dict[int | None, tuple[int, int]] = {}
    for form, ext in found.values():
        lo, hi = groups.get(form.local, (form.lo, form.hi + ext))
        groups[form.local] = (min(lo, form.lo), max(hi, form.hi + ext))
    guards = tuple(Guard(loc, lo, hi) for loc, (lo, hi) in groups.items()
                   if hi - lo < _BOUND and (loc is not None or lo >= 0))
    kept = {g.local for g in guards}
    unchecked = frozenset(k for k, (f, _) in found.items() if f.local in kept)
    if not unchecked:
        return None
    return GuardPlan(end, tuple(sorted(guards, key=lambda g: -1 if g.local is None else g.local)),
                     unchecked)


def _entry_aliases(instrs: list[Instr], i: int, effects: _Effects
                   ) -> dict[int, tuple[int, int]]:
    """Locals that hold another local plus a constant (wrapping) where the loop at i is
    entered: assigned so in the straight-line code that leads to it (every path to the
    loop runs all of it), and neither assigned again before the loop. Accesses based on
    them then share that local's guard (xgboost: three tables at node_base + constant)."""
    s = i
    while s > 0 and instrs[s - 1].op not in SEGMENT_BREAK:
        s -= 1
    out: dict[int, tuple[int, int]] = {}
    stack: list[tuple[int, int] | int | None] = []  # (local, c), a constant, or unknown

    def pop() -> tuple[int, int] | int | None:
        return stack.pop() if stack else None

    for k in range(s, i):
        ins = instrs[k]
        op = ins.op
        if op == 0x20:
            loc = ins.imm[0]
            stack.append(out.get(loc, (loc, 0)))
        elif op == 0x41:
            stack.append(ins.imm[0])
        elif op == 0x6A:
            b, a = pop(), pop()
            if isinstance(a, int) and isinstance(b, tuple):
                a, b = b, a
            stack.append((a[0], a[1] + b) if isinstance(a, tuple) and isinstance(b, int)
                         else None)
        elif op in (0x21, 0x22):
            v, loc = pop(), ins.imm[0]
            for x in [x for x, (a, _) in out.items() if a == loc or x == loc]:
                del out[x]
            # values read before this assignment no longer equal loc plus a constant
            stack = [None if isinstance(e, tuple) and e[0] == loc else e for e in stack]
            if isinstance(v, tuple) and v[0] != loc and abs(v[1]) < _BOUND:
                out[loc] = v
            if op == 0x22:
                stack.append(None)
        elif not effects.unmodelled(ins, stack, lambda: None):
            return {}
    return out


def _interval(local_ranges: tuple[Rng, ...], loc: int) -> Form | None:
    """What a local holds whenever it is read (ranges.py), when small."""
    r = local_ranges[loc] if loc < len(local_ranges) else None
    return Form(None, r.lo, r.hi).ok() if r is not None else None


def term_c(g: Guard, mem_min: int) -> str:
    """The C test of one base (mem_min: the memory every entry guarantees)."""
    return grp_ok('0' if g.local is None else f'l{g.local}', g.c_min, g.end, mem_min)


def guard_c(plan: GuardPlan, mem_min: int, known: frozenset[Guard] = frozenset()) -> str:
    """The C condition under which the unchecked copy of the loop runs, less the terms
    already tested before an enclosing loop (`known`, guardhoist.py)."""
    return " && ".join([term_c(g, mem_min) for g in plan.guards if g not in known]) or "1"
