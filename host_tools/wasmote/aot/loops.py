"""Bounds checks hoisted out of counted loops (an optimisation of translate.py).

A loop whose body is straight-line code ending in `br_if 0` often counts a local by a
constant step until it reaches a constant (clang: `local.get $i; i32.const 16; i32.add;
local.tee $i; br_if 0`), and addresses memory at locals that move by constant steps
(`$p + 576`, or `$q = $r + $i`). Each such address is a linear function of the iteration
number, so its whole range over the loop is known at the loop's entry, from the locals'
values there:

    trips n  = how many iterations until the counter hits the constant (or: not counted)
    address  = S + i * t + c   for i in [0, n), S and t per base local

If every range lies inside [0, memory size] (and the base locals stay within i32, so that
the C code's `(s32)` reading of them is exact), one check before the loop covers all those
accesses: the loop is emitted twice, a fast copy without their checks behind that test,
and the normal copy (with checks.py's per-iteration combined checks) for everything else.
Both copies charge fuel and trap identically; they differ only in the checks proved
redundant.

The body may also leave the loop in the middle (`br_if` to a label outside it: a search or
an insertion sort's `while (a[i] > key)`). The counter still bounds the iterations: every
iteration that runs, including the one that leaves, is one of the n, and its accesses up to
where it leaves are among those of the full iteration. So the same ranges cover them; an
early exit only means fewer of them run. A `br_if 0` in the middle (the next iteration
starts before the counter moved) or any other branch keeps the loop out. A local assigned
more than once per iteration has one linear form per assignment (huffbench's `$v`: first a
loaded word, then `$b + $i`); its accesses must all read the same one.

The condition of the final `br_if 0` is `D != 0` (`i32.ne`, or D itself) or a compare
(`lt`, `gt`, `le`, `ge`, signed or not) of a form X that moves against one B that does not
(a constant, or locals the loop does not assign: sglib's partition `while (i < j--)`, a
search bounded by `i < n`), possibly through a local (`ok = i < j; ...; br_if 0 ok`). It is
brought to `X' < B'` or `X' <= B'` with X' growing: `X > B` with X falling is
`~X < ~B` (~ reverses both orders, and ~X = -1 - X is linear too). The test is at the
bottom, so the loop runs wm_backs_*(X' at the first test, step, B') + 1 times: once when X'
starts at or past B', and not counted (no range test holds) when X' could wrap past the
end of its range and come back below B' (wm_backs_* returns 2^32).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wasmote.aot.checks import (
    LOAD_SIZE,
    SEGMENT_BREAK,
    STORE_SIZE,
    Access,
    _Effects,
    scan,
)
from wasmote.wasm.module import BLOCK_EMPTY, Instr

if TYPE_CHECKING:
    from wasmote.aot.loopcost import LoopCosts

_LIMIT = 1 << 30  # bound on constants and steps (exact 64-bit arithmetic stays far away)
_MIN_TRIPS = 4    # fewer iterations: the checked copy (see precheck)


@dataclass(frozen=True)
class Lin:
    """sum(coef * (s32)local at loop entry) + const + step * iteration (exact integers)."""

    terms: tuple[tuple[int, int], ...]
    const: int
    step: int

    def add(self, other: Lin, sign: int = 1) -> Lin | None:
        t = dict(self.terms)
        for k, v in other.terms:
            t[k] = t.get(k, 0) + sign * v
        out = Lin(tuple(sorted((k, v) for k, v in t.items() if v)), self.const + sign *
                  other.const, self.step + sign * other.step)
        return out if out.bounded() else None

    def scale(self, k: int) -> Lin | None:
        out = Lin(tuple((a, v * k) for a, v in self.terms), self.const * k, self.step * k)
        return out if out.bounded() else None

    def bounded(self) -> bool:
        return (abs(self.const) < _LIMIT and abs(self.step) < _LIMIT
                and all(abs(v) < _LIMIT for _, v in self.terms))


@dataclass(frozen=True)
class BaseRange:
    local: int
    start: Lin       # the base local's value in iteration 0 (step = per iteration)
    c_min: int
    end: int


@dataclass(frozen=True)
class Cond:
    """A loop condition: "ne" (runs again while counter != 0, bound None) or "ltu", "lts",
    "leu", "les" (while counter < / <= bound, unsigned or signed; counter.step > 0, bound
    invariant: step 0)."""

    cmp: str
    counter: Lin
    bound: Lin | None


@dataclass(frozen=True)
class LoopPlan:
    end: int                                 # index of the loop's `end`
    counter: Lin                             # D: the loop runs while D != 0 (mod 2^32)
    bases: tuple[BaseRange, ...]
    fast: dict[int, tuple[int, int]]         # instruction index -> (base local, constant)
    # the body may leave the loop in the middle (br_if outwards): the counter bounds the
    # iterations, not their number (a fuel plan must not count on all of them)
    exits: bool = False
    # with a compare: the loop runs again while counter `cmp` bound (Cond)
    cmp: str = "ne"
    bound: Lin | None = None


def matching_end(instrs: list[Instr], i: int) -> int | None:
    """The index of the `end` of the block, loop or if at i (None: the body ends first)."""
    if instrs[i].op in (0x02, 0x03, 0x04):
        return _block_ends(instrs).get(i)
    depth = 0
    for j in range(i, len(instrs)):
        op = instrs[j].op
        if op in (0x02, 0x03, 0x04):
            depth += 1
        elif op == 0x0B:
            depth -= 1
            if depth == 0:
                return j
    return None


# The passes ask for the ends of every loop and if of a function, and of the blocks
# inside them: a scan each made n loops nested in one another cost n times the function's
# length (2000 nested loops: 10 s). One pass finds all of a function's ends; the last
# function's stay here, checked by identity and length (the instruction lists are not
# changed once read).
_ends_of: tuple[list[Instr], int, dict[int, int]] | None = None


def _block_ends(instrs: list[Instr]) -> dict[int, int]:
    global _ends_of
    cached = _ends_of
    if cached is not None and cached[0] is instrs and cached[1] == len(instrs):
        return cached[2]
    ends: dict[int, int] = {}
    open_: list[int] = []
    for j, ins in enumerate(instrs):
        op = ins.op
        if op in (0x02, 0x03, 0x04):
            open_.append(j)
        elif op == 0x0B and open_:
            ends[open_.pop()] = j
    _ends_of = (instrs, len(instrs), ends)
    return ends


def straight_loop(instrs: list[Instr], i: int, exits: bool = False) -> int | None:
    """The index of the `end` of the `loop` at i when its body is straight-line code
    ending in `br_if 0` (and it has no block type), else None. With `exits`, the body may
    also leave the loop in the middle by `br_if` to a label outside it."""
    loop = instrs[i]
    if loop.op != 0x03 or loop.imm[0] != BLOCK_EMPTY:
        return None
    end = matching_end(instrs, i)
    if end is None or end < i + 2:
        return None
    last = instrs[end - 1]
    if last.op != 0x0D or last.imm[0] != 0:
        return None
    for k in range(i + 1, end - 1):
        ins = instrs[k]
        if ins.op in SEGMENT_BREAK and not (exits and ins.op == 0x0D and ins.imm[0] > 0):
            return None
    return end


def plan_loop(instrs: list[Instr], i: int, func_arity: list[tuple[int, int]],
              type_arity: list[tuple[int, int]], skip: frozenset[int] = frozenset(),
              accesses: bool = True, costs: LoopCosts | None = None) -> LoopPlan | None:
    """A plan for the `loop` at index i, or None when it is not a counted loop with
    hoistable accesses (those in `skip` need no check; accesses=False: any counted loop,
    its plan without accesses, for loopfuel.py) or, by `costs`, one too short for its
    entry test (loopcost.py)."""
    end = straight_loop(instrs, i, exits=True)
    if end is None:
        return None
    body = range(i + 1, end - 1)
    effects = _Effects(func_arity, type_arity)
    # pass 1: which locals are assigned, and the counters (assigned once, to themselves +k)
    assigned: dict[int, int] = {}
    steps: dict[int, int] = {}
    stack: list[tuple[int, int] | int | None] = []  # (local, c) of a version-0 get, or a const
    seen: set[int] = set()
    # what each local assigned so far holds, when it is a local's version-0 value plus c
    # (a copy of the counter: LLVM's `$j = $i; ... $i = $j + 1`)
    holds: dict[int, tuple[int, int] | int | None] = {}
    for k in body:
        ins = instrs[k]
        op = ins.op
        if op == 0x20:
            loc = ins.imm[0]
            stack.append((loc, 0) if loc not in seen else holds.get(loc))
        elif op == 0x41:
            stack.append(ins.imm[0])
        elif op == 0x6A:
            b, a = (stack.pop() if stack else None), (stack.pop() if stack else None)
            stack.append((a[0], a[1] + b) if isinstance(a, tuple) and isinstance(b, int)
                         else (b[0], b[1] + a) if isinstance(b, tuple) and isinstance(a, int)
                         else None)
        elif op in (0x21, 0x22):
            v = stack.pop() if stack else None
            loc = ins.imm[0]
            assigned[loc] = assigned.get(loc, 0) + 1
            seen.add(loc)
            holds[loc] = v if isinstance(v, tuple) else None
            if isinstance(v, tuple) and v[0] == loc and v[1] and abs(v[1]) < _LIMIT:
                steps[loc] = v[1]
            else:
                steps.pop(loc, None)
            if op == 0x22:
                stack.append(None)
        else:
            arity = _arity(ins, effects)
            if arity is None:
                return None
            for _ in range(arity[0]):
                if stack:
                    stack.pop()
            stack.extend([None] * arity[1])
    counters = {loc: st for loc, st in steps.items() if assigned.get(loc) == 1}
    # assigned more than once, the last time to its value at the iteration's start plus a
    # constant (every iteration that goes round ends with it): a counter at the loop's
    # header, whatever it holds in between (ud's `j` loops: the local is also a pointer)
    rotated = {loc: st for loc, st in steps.items() if assigned.get(loc, 0) > 1}
    # pass 2: linear forms of everything, the accesses and the condition
    derived: dict[tuple[int, int], Lin | Cond] = {}  # (local, version) -> its value
    version: dict[int, int] = {}
    lstack: list[Lin | Cond | None] = []

    def value_of(loc: int) -> Lin | Cond | None:
        v = version.get(loc, 0)
        if loc not in assigned:
            return Lin(((loc, 1),), 0, 0)
        if loc in counters:
            st = counters[loc]
            return Lin(((loc, 1),), st if v else 0, st)
        if loc in rotated and not v:
            return Lin(((loc, 1),), 0, rotated[loc])
        return derived.get((loc, v))

    for k in body:
        ins = instrs[k]
        op = ins.op
        if op == 0x20:
            lstack.append(value_of(ins.imm[0]))
        elif op == 0x41:
            lstack.append(Lin((), ins.imm[0], 0))
        elif op in (0x6A, 0x6B, 0x6C, 0x74, 0x47) or op in _RELATION:
            rhs, lhs = _pop(lstack), _pop(lstack)
            lstack.append(_combine(op, lhs, rhs))
        elif op in (0x21, 0x22):
            val = _pop(lstack)
            loc = ins.imm[0]
            version[loc] = version.get(loc, 0) + 1
            if loc not in counters and val is not None:
                derived[(loc, version[loc])] = val
            if op == 0x22:
                lstack.append(value_of(loc))
        elif op in LOAD_SIZE or op in STORE_SIZE:
            if op in STORE_SIZE:
                _pop(lstack)
            _pop(lstack)
            if op in LOAD_SIZE:
                lstack.append(None)
        else:
            arity = _arity(ins, effects)
            if arity is None:
                return None
            for _ in range(arity[0]):
                _pop(lstack)
            lstack.extend([None] * arity[1])
    for loc, st in rotated.items():  # what pass 1 read: its last value is the next start
        if derived.get((loc, version.get(loc, 0))) != Lin(((loc, 1),), st, st):
            return None
    top = _pop(lstack)
    cond = top if isinstance(top, Cond) else Cond("ne", top, None) \
        if isinstance(top, Lin) else None
    if cond is None or cond.counter.step == 0:
        return None
    counter, cmp, bound = cond.counter, cond.cmp, cond.bound
    exits = any(instrs[k].op == 0x0D for k in body)
    if not accesses:
        return LoopPlan(end, counter, (), {}, exits, cmp, bound)
    # the accesses, now that every base local's form is known (the segment scan's notion
    # of a base: the address is a local plus a constant, the local holding that value)
    scanned = scan(instrs, i + 1, end - 1, effects, skip)
    if scanned is None:
        return None
    by_local: dict[int, list[Access]] = {}
    for acc in scanned[0]:
        by_local.setdefault(acc[1], []).append(acc)
    bases = []
    fast: dict[int, tuple[int, int]] = {}
    for loc, accs in sorted(by_local.items()):
        start = _base_form(loc, {a[2] for a in accs}, counters, derived, assigned, rotated)
        if start is None:
            continue
        bases.append(BaseRange(loc, start, min(a[3] for a in accs), max(a[4] for a in accs)))
        for acc in accs:
            fast[acc[0]] = (loc, acc[3])
    if not fast:
        return None
    plan = LoopPlan(end, counter, tuple(bases), fast, exits, cmp, bound)
    return plan if costs is None or costs.worth_versioning(plan, i) else None


def _base_form(loc: int, versions: set[int], counters: dict[int, int],
               derived: dict[tuple[int, int], Lin | Cond], assigned: dict[int, int],
               rotated: dict[int, int]) -> Lin | None:
    """The value a base local has where its accesses read it, as a linear form - when all
    its accesses read the same version of it."""
    if len(versions) != 1:
        return None
    v = versions.pop()
    if loc not in assigned:
        return Lin(((loc, 1),), 0, 0)
    if loc in counters:
        st = counters[loc]
        return Lin(((loc, 1),), st if v else 0, st)
    if loc in rotated and not v:
        return Lin(((loc, 1),), 0, rotated[loc])
    val = derived.get((loc, v))
    return val if isinstance(val, Lin) else None


def _pop(stack: list[Lin | Cond | None]) -> Lin | Cond | None:
    return stack.pop() if stack else None


# i32.lt_s .. i32.ge_u -> (relation, signed)
_RELATION = {0x48: ("lt", True), 0x49: ("lt", False), 0x4A: ("gt", True),
             0x4B: ("gt", False), 0x4C: ("le", True), 0x4D: ("le", False),
             0x4E: ("ge", True), 0x4F: ("ge", False)}
_SWAP = {"lt": "gt", "gt": "lt", "le": "ge", "ge": "le"}
_FLIP = {"gt": "lt", "ge": "le"}


def relation(op: int, a: Lin, b: Lin) -> Cond | None:
    """`a op b` as a Cond with a growing counter: one side moves, the other does not; a
    falling X against B by `~X` against `~B` (~x = -1 - x reverses the signed and the
    unsigned order alike; mod 2^32 it is the linear form -X - 1)."""
    rel, signed = _RELATION[op]
    if a.step and not b.step:
        x, bound = a, b
    elif b.step and not a.step:
        x, bound, rel = b, a, _SWAP[rel]
    else:
        return None
    if x.step < 0 and rel in _FLIP:
        nx, nb = _inverted(x), _inverted(bound)
        if nx is None or nb is None:
            return None
        x, bound, rel = nx, nb, _FLIP[rel]
    if x.step <= 0 or rel not in ("lt", "le"):
        return None
    return Cond(rel + ("s" if signed else "u"), x, bound)


def _inverted(lin: Lin) -> Lin | None:
    """~lin = -lin - 1 (mod 2^32)."""
    neg = lin.scale(-1)
    return neg.add(Lin((), -1, 0)) if neg is not None else None


def _combine(op: int, a: Lin | Cond | None, b: Lin | Cond | None) -> Lin | Cond | None:
    if not isinstance(a, Lin) or not isinstance(b, Lin):
        return None
    if op == 0x6A:
        return a.add(b)
    if op == 0x6B:
        return a.add(b, -1)
    if op == 0x47:  # i32.ne: the loop runs while a - b != 0
        d = a.add(b, -1)
        return Cond("ne", d, None) if d is not None else None
    if op in _RELATION:
        return relation(op, a, b)
    if op == 0x6C:
        if not b.terms and not b.step:
            return a.scale(b.const)
        if not a.terms and not a.step:
            return b.scale(a.const)
        return None
    if not b.terms and not b.step and 0 <= b.const < 30:  # i32.shl by a constant
        return a.scale(1 << b.const)
    return None


def _arity(ins: Instr, effects: _Effects) -> tuple[int, int] | None:
    if ins.op == 0x20 or ins.op == 0x41:
        return 0, 1
    if ins.op in (0x21, 0x24):
        return 1, 0
    if ins.op == 0x22:
        return 1, 1
    return effects.arity(ins)


def lin_c(lin: Lin) -> str:
    """C expression of a linear form's value in iteration 0 (locals as read at entry), in
    u32: wrapped as the i32 arithmetic that computes it in the loop wraps."""
    parts = [f"{v} * (u32)l{k}" for k, v in lin.terms] + [str(lin.const)]
    return "(u32)(" + " + ".join(f"(u32)({p})" for p in parts) + ")"


def backs_c(cmp: str, counter: Lin, bound: Lin) -> str:
    """The C of how often a loop that runs again while counter `cmp` bound branches back
    (wm_backs_*, a u64: 2^32 when the counter could wrap), from the locals at its entry."""
    return f"wm_backs_{cmp}({lin_c(counter)}, {counter.step}, {lin_c(bound)})"


def runs_c(cmp: str, counter: Lin, bound: Lin | None) -> str:
    """The C of how often such a loop runs its body at most, a u64: backs + 1 with a bound
    (2^32 + 1 when not counted), wm_trips for `counter != 0` (0 when not counted)."""
    if bound is not None:
        return f"({backs_c(cmp, counter, bound)} + 1u)"
    return f"wm_trips({lin_c(counter)}, {counter.step})"


def precheck(plan: LoopPlan) -> str:
    """The C condition under which the fast copy of the loop runs."""
    checks = [f"RANGE_OK({lin_c(b.start)}, {b.start.step}, n_, {b.c_min}, {b.end})"
              for b in plan.bases]
    # a loop of fewer than _MIN_TRIPS iterations (the remainder loop after an unroll by 4:
    # 0-3) runs checked: its few checks cost less than the range tests (~15 instructions a
    # base on a Cortex-M4)
    test = f"n_ >= {_MIN_TRIPS}"
    if plan.bound is not None:
        # not counted (backs 2^32: the counter could wrap) fails the test
        test += " && n_ <= 0xffffffffull + 1u"
    trips = runs_c(plan.cmp, plan.counter, plan.bound)
    return f"({{ u64 n_ = {trips}; {test} && " + " && ".join(checks) + "; })"
