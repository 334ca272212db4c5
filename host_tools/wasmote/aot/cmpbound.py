"""Bounds checks proved by the program's own compares (an optimisation of translate.py).

A heap's sift-down (`while ((c = 2*r + 1) < n) { ... a[c] ... a[c+1] ... r = c; }`), a
binary search or a partition indexes an array only after the program itself has compared
the index with a bound: `c <s n`, then `a[c]`. The loop is not counted (loops.py), and its
indexes are not bounded by their computation (guards.py), but every such index is, where
it is used, below a linear function of `n`, a local the loop never assigns. An abstract
interpretation of the loop's body (ifs, blocks, exits and branches back; no inner loop)
gives each local it assigns an interval of exact integers

    lo <= x <= a*n + c          (lo >= 0 a constant; x the local's u32 value)

from the values it is given on entry (the straight-line code before the loop) and in the
body (constants, +, -, *, shifts, |, &, select of such), narrowed on each branch by the
compares the branch depends on: taken `x <u y` (or not taken `x >=u y`) gives x <= hi(y) - 1
whatever x was; the signed forms only when x was already known to lie in [0, 2^31), so
that a negative index never passes for a small one. Branches back meet the entry at the
loop's head until nothing changes. An access whose address is `B + x` (B another local the
loop never assigns, x such an interval, wrapping i32 arithmetic) then lies in

    [B + lo, B + a*n + c + offset + size)          (exact integers)

and one test at the loop's entry, `n <= 2^24` (so that every interval above, computed for
n <= 2^24, stays below 2^31 and reads the same signed or not) and `B + a*n + c + offset +
size <= memory size` per base, proves them all: the loop then runs as a copy without their
checks (translate.fast_loop), as it is otherwise. Nothing traps earlier: the test only
chooses the copy; a failing access traps in the checked one, at the same access, after the
same stores. memory.grow in the loop is allowed (memory only grows); calls are not (see
plan).

The same reading covers accesses at constant offsets from a base the loop never assigns
(n unused: huffbench's and coremark's loops with ifs, whose straight-line form guards.py
covers), and bounds by constants (`i <u 64`) as by a local.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot.checks import LOAD_SIZE, SEGMENT_BREAK, STORE_SIZE, _Effects, block_arity
from wasmote.aot.loops import matching_end
from wasmote.wasm.module import BLOCK_EMPTY, Instr

NMAX = 1 << 24       # the bound local's largest value in the unchecked copy
_CAP = 1 << 31       # every interval's top (at n = NMAX) stays below this
_MAX_A = 64          # the largest multiple of n an interval's top may hold
_MAX_BODY = 400      # instructions in the loop's body
# a constant span beyond which an access takes no part: a test that needs a memory above
# 1 MiB fails on every device this runs on, and its copy only costs code (qrduino's
# `x >> 3` indexes: +2 KB of M4 code for tests that never held)
_MAX_SPAN = 1 << 20
_ROUNDS = 12         # passes over the body before giving up on a fixed point

_CALL, _CALL_INDIRECT = 0x10, 0x11
_BLOCK, _LOOP, _IF, _ELSE, _END, _BR, _BR_IF, _BR_TABLE, _RETURN, _UNREACHABLE = (
    0x02, 0x03, 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x00)
# i32 compares: (strict, signed, swapped): lt_s, lt_u, gt_s, gt_u, le_s, le_u, ge_s, ge_u
_CMP = {0x48: (True, True, False), 0x49: (True, False, False),
        0x4A: (True, True, True), 0x4B: (True, False, True),
        0x4C: (False, True, False), 0x4D: (False, False, False),
        0x4E: (False, True, True), 0x4F: (False, False, True)}
_LOADED = {0x2D: 255, 0x2F: 65535}  # i32.load8_u, i32.load16_u


@dataclass(frozen=True)
class Val:
    """An i32 value: base None, exactly x (its u32 value); else congruent (mod 2^32) to
    the base local's value + x. Either way lo <= x <= a*n + c, x an exact integer."""

    base: int | None
    lo: int
    a: int
    c: int

    def ok(self) -> Val | None:
        top = self.a * NMAX + self.c
        if not (0 <= self.a <= _MAX_A and top < _CAP):
            return None
        if self.base is None and self.lo < 0:
            return None
        return self if self.lo > -_CAP else None

    @property
    def exact(self) -> bool:
        return self.base is None

    @property
    def const(self) -> int | None:
        return self.lo if self.base is None and self.a == 0 and self.c == self.lo else None


def _join(x: Val | None, y: Val | None) -> Val | None:
    if x is None or y is None or x.base != y.base:
        return None
    return Val(x.base, min(x.lo, y.lo), max(x.a, y.a), max(x.c, y.c)).ok()


State = dict[int, Val]          # the loop's assigned locals that are known (absent: unknown)


def _meet_states(s: State | None, t: State | None) -> State | None:
    """Both paths join: what holds on each (None: no path)."""
    if s is None:
        return None if t is None else dict(t)
    if t is None:
        return dict(s)
    out: State = {}
    for k, v in s.items():
        j = _join(v, t.get(k))
        if j is not None:
            out[k] = j
    return out


@dataclass
class _Entry:
    """A stack value; `tag`: the assigned local (and its assignment) it is a copy of;
    `cmp`: the compare it is the result of (opcode, left, right, negated)."""

    val: Val | None
    tag: tuple[int, int] | None = None
    cmp: tuple[int, _Entry, _Entry, bool] | None = None


@dataclass
class _Frame:
    height: int
    results: int
    joined: State | None        # the states that branch to its end (None: none yet)
    els: State | None = None    # an if's state for its else arm
    is_if: bool = False


@dataclass(frozen=True)
class Bound:
    """One test: base + [lo, a*n + end) lies in the memory (base None: [lo, a*n + end))."""

    base: int | None
    a: int
    end: int


@dataclass(frozen=True)
class CmpPlan:
    end: int                    # index of the loop's `end`
    n: int | None               # the bound local (None: constant bounds only)
    bounds: tuple[Bound, ...]
    unchecked: frozenset[int]   # the accesses the copy leaves unchecked


class _Interp:
    """One pass over the loop's body from a state at its head."""

    def __init__(self, instrs: list[Instr], start: int, end: int, n: int | None,
                 assigned: set[int], effects: _Effects,
                 type_arity: list[tuple[int, int]], i32: frozenset[int]) -> None:
        self.instrs, self.start, self.end, self.n, self.i32 = instrs, start, end, n, i32
        self.assigned, self.effects, self.type_arity = assigned, effects, type_arity
        self.sets = 0
        self.setat: dict[int, int] = {}

    def get(self, state: State, loc: int) -> _Entry:
        if loc in self.assigned:
            self.setat.setdefault(loc, 0)
            return _Entry(state.get(loc), (loc, self.setat[loc]))
        if loc not in self.i32:
            return _Entry(None)
        if loc == self.n:
            return _Entry(Val(None, 0, 1, 0))
        return _Entry(Val(loc, 0, 0, 0))

    def assign(self, state: State, loc: int, v: Val | None) -> tuple[int, int]:
        self.sets += 1
        self.setat[loc] = self.sets
        if v is None:
            state.pop(loc, None)
        else:
            state[loc] = v
        return loc, self.sets

    def refine(self, state: State, cond: _Entry, taken: bool) -> State:
        """The state on the path where `cond` is non-zero (taken) or zero."""
        if cond.cmp is None:
            return state
        op, left, right, neg = cond.cmp
        strict, signed, swapped = _CMP[op]
        small, big = (right, left) if swapped else (left, right)
        if taken == neg:  # not (small < big) is big <= small, not (small <= big) big < small
            small, big, strict = big, small, not strict
        if small.tag is None or big.val is None or not big.val.exact:
            return state
        loc, when = small.tag
        if self.setat.get(loc, 0) != when:  # assigned again since it was read
            return state
        cur = state.get(loc)
        if signed and (cur is None or not cur.exact):
            return state  # it may be negative: a signed compare bounds nothing
        b = big.val
        lo = cur.lo if cur is not None and cur.exact else 0
        new = Val(None, lo, b.a, b.c - (1 if strict else 0))
        if cur is not None and cur.exact and cur.a <= new.a and cur.c <= new.c:
            return state  # already as tight for every n (a constant bound that grows
            # with each pass over the loop is not: the compare's bound is the invariant)
        out = dict(state)
        out[loc] = new
        return out

    def run(self, head: State, accesses: dict[int, Val] | None
            ) -> tuple[State | None, bool] | None:
        """The state that branches back (None: none does) and whether the body is one this
        pass can read; accesses, when given, gets each access's address."""
        instrs, effects = self.instrs, self.effects
        state: State | None = dict(head)
        stack: list[_Entry] = []
        frames: list[_Frame] = []
        back: State | None = None

        def pop() -> _Entry:
            return stack.pop() if stack else _Entry(None)

        def target(depth: int, st: State) -> None:
            nonlocal back
            if depth < len(frames):
                f = frames[-1 - depth]
                f.joined = _meet_states(f.joined, st)
            elif depth == len(frames):
                back = _meet_states(back, st)
            # deeper: leaves the loop

        for k in range(self.start + 1, self.end):
            ins = instrs[k]
            op = ins.op
            cond = pop() if op == _IF else _Entry(None)
            if op in (_BLOCK, _IF, _ELSE, _END, _LOOP):
                for e in stack:  # a copy's tag or compare holds in straight-line code only
                    e.tag, e.cmp = None, None
            if op == _LOOP:
                return None
            if op in (_BLOCK, _IF):
                params, results = block_arity(ins.imm[0], self.type_arity)
                if params:
                    return None
                if op == _IF:
                    f = _Frame(len(stack), results, None, is_if=True)
                    if state is not None:  # two states: each arm assigns its own
                        f.els = dict(self.refine(state, cond, False))
                        state = dict(self.refine(state, cond, True))
                    frames.append(f)
                else:
                    frames.append(_Frame(len(stack), results, None))
                continue
            if op == _ELSE:
                f = frames[-1]
                if state is not None:
                    f.joined = _meet_states(f.joined, state)
                state, f.els, f.is_if = f.els, None, False
                del stack[f.height:]
                continue
            if op == _END:
                f = frames.pop()
                st = state
                if f.is_if:  # no else: the false arm falls through
                    st = _meet_states(st, f.els)
                state = _meet_states(st, f.joined)
                del stack[f.height:]
                stack.extend(_Entry(None) for _ in range(f.results))
                continue
            if state is None:  # unreachable code: keep the stack's shape only
                if op in (_BR, _BR_TABLE, _RETURN, _UNREACHABLE):
                    continue
                arity = effects.arity(ins)
                if arity is None and op not in (0x20, 0x21, 0x22, 0x41):
                    return None
                if op == _BR_IF:
                    pop()
                    continue
                pops, pushes = {0x20: (0, 1), 0x21: (1, 0), 0x22: (1, 1),
                                0x41: (0, 1)}.get(op, arity or (0, 0))
                for _ in range(pops):
                    pop()
                stack.extend(_Entry(None) for _ in range(pushes))
                continue
            if op == _BR:
                target(ins.imm[0], state)
                state = None
            elif op == _BR_IF:
                cond = pop()
                target(ins.imm[0], self.refine(state, cond, True))
                state = dict(self.refine(state, cond, False))
            elif op == _BR_TABLE:
                pop()
                for d in ins.imm:
                    target(d, state)
                state = None
            elif op in (_RETURN, _UNREACHABLE):
                state = None
            elif op == 0x20:
                stack.append(self.get(state, ins.imm[0]))
            elif op in (0x21, 0x22):
                e = pop()
                loc = ins.imm[0]
                if loc not in self.assigned:
                    return None
                tag = self.assign(state, loc, e.val)
                if op == 0x22:
                    stack.append(_Entry(e.val, tag))
            elif op == 0x41:
                v = ins.imm[0] & 0xFFFFFFFF
                stack.append(_Entry(Val(None, v, 0, v).ok()))
            elif op in _CMP:
                b, a = pop(), pop()
                stack.append(_Entry(Val(None, 0, 0, 1), cmp=(op, a, b, False)))
            elif op == 0x45:  # eqz: of a compare, its negation
                e = pop()
                stack.append(_Entry(Val(None, 0, 0, 1), cmp=(e.cmp[0], e.cmp[1], e.cmp[2],
                                                             not e.cmp[3]) if e.cmp else None))
            elif op in (0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x74, 0x75, 0x76, 0x6D, 0x6E, 0x70):
                b, a = pop(), pop()
                stack.append(_Entry(_binary(op, a.val, b.val)))
            elif op in (0x1B, 0x1C):
                pop()
                b, a = pop(), pop()
                stack.append(_Entry(_join(a.val, b.val)))
            elif op in LOAD_SIZE or op in STORE_SIZE:
                if op in STORE_SIZE:
                    pop()
                addr = pop()
                if accesses is not None and addr.val is not None:
                    accesses[k] = addr.val
                if op in LOAD_SIZE:
                    top = _LOADED.get(op)
                    stack.append(_Entry(Val(None, 0, 0, top) if top is not None else None))
            elif not effects.unmodelled(ins, stack, lambda: _Entry(None)):
                return None
        return back, True


def _binary(op: int, a: Val | None, b: Val | None) -> Val | None:
    """An i32 binary operator's result, wrapping as wasm's: only where the interval shows
    that the exact result is the u32 one (or, with a base, congruent to it)."""
    k = b.const if b is not None else None
    if op == 0x6A:  # add
        if a is None or b is None:
            return None
        if not a.exact and not b.exact:
            return None
        base = a.base if a.base is not None else b.base
        return Val(base, a.lo + b.lo, a.a + b.a, a.c + b.c).ok()
    if op == 0x71 and k is not None and k < _CAP:  # and: at most the mask
        if a is not None and a.exact and a.a == 0 and a.c < k:
            return Val(None, 0, 0, a.c)
        return Val(None, 0, 0, k)
    if op == 0x70 and k is not None and 0 < k <= _CAP:  # rem_u: below the divisor
        return Val(None, 0, 0, k - 1)
    if op == 0x76 and k is not None and 1 <= k % 32 and a is None:  # shr_u of anything
        return Val(None, 0, 0, 0xFFFFFFFF >> (k % 32))
    if a is None or k is None:
        return None
    if op == 0x6B:  # sub of a constant (an exact result never below 0)
        return Val(a.base, a.lo - k, a.a, a.c - k).ok() if k < _CAP else None
    if not a.exact:
        return None
    if op == 0x6C and k < _CAP:  # mul
        return Val(None, a.lo * k, a.a * k, a.c * k).ok()
    if op == 0x74 and k < 31:  # shl
        return Val(None, a.lo << k, a.a << k, a.c << k).ok()
    if op == 0x72 and k < _CAP:  # or: at least the value, at most value + mask
        return Val(None, a.lo, a.a, a.c + k).ok()
    if op in (0x76, 0x75) and k < 32:  # shr_u, shr_s of a value in [0, 2^31)
        d = 1 << k
        return Val(None, a.lo >> k, -(-a.a // d), a.c >> k).ok()
    if op in (0x6E, 0x6D) and 0 < k < _CAP:  # div_u, div_s of a value in [0, 2^31)
        return Val(None, a.lo // k, -(-a.a // k), a.c // k).ok()
    return None


def _prefix(instrs: list[Instr], i: int) -> int:
    """Where the straight-line code before the loop at i starts: no control flow but the
    openings of blocks (no branch lands after a `block`: its label is at its end)."""
    s = i
    while s > 0 and (instrs[s - 1].op not in SEGMENT_BREAK or
                     (instrs[s - 1].op == _BLOCK and instrs[s - 1].imm[0] == BLOCK_EMPTY)):
        s -= 1
    return s


def _entry_state(instrs: list[Instr], i: int, n: int | None, assigned: set[int],
                 effects: _Effects, type_arity: list[tuple[int, int]],
                 i32: frozenset[int]) -> State:
    """The assigned locals' values where the loop at i is entered: from the straight-line
    code that leads to it (every path to the loop runs all of it). A local the loop does
    not assign reads as its value in the loop only after its last assignment there."""
    s = _prefix(instrs, i)
    last = {ins.imm[0]: k for k, ins in enumerate(instrs[s:i], s) if ins.op in (0x21, 0x22)}
    state: State = {}
    stack: list[Val | None] = []

    def pop() -> Val | None:
        return stack.pop() if stack else None

    for k in range(s, i):
        ins = instrs[k]
        op = ins.op
        if op == 0x20:
            loc = ins.imm[0]
            if loc in assigned:
                stack.append(state.get(loc))
            elif last.get(loc, -1) > k or loc not in i32:
                stack.append(None)
            else:
                stack.append(Val(None, 0, 1, 0) if loc == n else Val(loc, 0, 0, 0))
        elif op in (0x21, 0x22):
            v = pop()
            if ins.imm[0] in assigned:
                if v is None:
                    state.pop(ins.imm[0], None)
                else:
                    state[ins.imm[0]] = v
            if op == 0x22:
                stack.append(v)
        elif op == 0x41:
            c = ins.imm[0] & 0xFFFFFFFF
            stack.append(Val(None, c, 0, c).ok())
        elif op in (0x6A, 0x6B, 0x6C, 0x71, 0x72, 0x74, 0x75, 0x76, 0x6D, 0x6E, 0x70):
            b, a = pop(), pop()
            stack.append(_binary(op, a, b))
        elif op == _BLOCK:
            stack = []  # values below it are not the block's (it takes no parameters)
        elif not effects.unmodelled(ins, stack, lambda: None):
            return {}
    return state


def _fixpoint(interp: _Interp, entry: State) -> State | None:
    """The state at the loop's head: the entry met with every branch back, until stable
    (a local still moving after half the rounds is dropped: unknown)."""
    head = dict(entry)
    for r in range(_ROUNDS):
        res = interp.run(head, None)
        if res is None:
            return None
        back = res[0]
        new = _meet_states(entry, back) or {}
        if r >= _ROUNDS // 2:
            new = {k: v for k, v in new.items() if head.get(k) == v}
        if new == head:
            return head
        head = new
    return None


def plan(instrs: list[Instr], i: int, func_arity: list[tuple[int, int]],
         type_arity: list[tuple[int, int]], i32: frozenset[int],
         skip: frozenset[int] = frozenset()) -> CmpPlan | None:
    """The plan of the `loop` at index i (no inner loop), or None when no access it leaves
    unchecked (those in `skip` need no check already). `i32`: the function's i32 locals,
    the only ones that can be n or a base (the test reads them as u32)."""
    loop = instrs[i]
    if loop.op != _LOOP or loop.imm[0] != BLOCK_EMPTY:
        return None
    end = matching_end(instrs, i)
    if end is None or end - i > _MAX_BODY:
        return None
    body = range(i + 1, end)
    # no inner loop; no call: a call costs more than the checks its loop would lose, and a
    # second copy of a loop with calls made slre's matcher slower (its `[...]` loop: 4.12 M
    # -> 4.19 M on the M4 with fuel)
    if any(instrs[k].op in (_LOOP, _CALL, _CALL_INDIRECT) for k in body):
        return None
    if not any((instrs[k].op in LOAD_SIZE or instrs[k].op in STORE_SIZE) and k not in skip
               for k in body):
        return None
    assigned = {instrs[k].imm[0] for k in body if instrs[k].op in (0x21, 0x22)}
    # the candidates for n: read in the loop or in the code that leads to it
    read = {instrs[k].imm[0] for k in range(_prefix(instrs, i), end) if instrs[k].op == 0x20}
    effects = _Effects(func_arity, type_arity)
    best: CmpPlan | None = None
    for n in [None, *sorted((read - assigned) & i32)]:
        interp = _Interp(instrs, i, end, n, assigned, effects, type_arity, i32)
        entry = _entry_state(instrs, i, n, assigned, effects, type_arity, i32)
        head = _fixpoint(interp, entry)
        if head is None:
            continue
        found: dict[int, Val] = {}
        if interp.run(head, found) is None:
            continue
        p = _plan_of(instrs, end, n, found, skip)
        if p is not None and (best is None or len(p.unchecked) > len(best.unchecked)):
            best = p
    return best


def _plan_of(instrs: list[Instr], end: int, n: int | None, found: dict[int, Val],
             skip: frozenset[int]) -> CmpPlan | None:
    groups: dict[int | None, tuple[int, int]] = {}
    unchecked: list[int] = []
    for k, v in found.items():
        if k in skip or v.lo < 0 or (v.a and n is None):
            continue
        if v.base is None and v.a == 0:
            continue  # a constant range: ranges.py's
        ins = instrs[k]
        size = LOAD_SIZE.get(ins.op) or STORE_SIZE[ins.op]
        top = v.c + ins.imm[1] + size
        if top > _MAX_SPAN:
            continue
        a, e = groups.get(v.base, (v.a, top))
        groups[v.base] = (max(a, v.a), max(e, top))
        unchecked.append(k)
    if not unchecked:
        return None
    bounds = tuple(Bound(b, a, max(e, 0)) for b, (a, e) in
                   sorted(groups.items(), key=lambda g: -1 if g[0] is None else g[0]))
    return CmpPlan(end, n, bounds, frozenset(unchecked))


MARK = "/* compare-bounded loop (cmpbound) */"


def cond_c(p: CmpPlan) -> str:
    """The C condition under which the copy without the plan's checks runs."""
    terms = [f"(u32)l{p.n} <= {NMAX}u"] if p.n is not None else []
    for b in p.bounds:
        span = f"(u32)({b.a}u * (u32)l{p.n} + {b.end}u)" if b.a else f"{b.end}u"
        if b.base is None:
            terms.append(f"(wm_msz_t){span} <= msz")
        else:
            terms.append(f"(wm_msz_t)(u32)l{b.base} <= msz && "
                         f"(wm_msz_t){span} <= msz - (wm_msz_t)(u32)l{b.base}")
    return " && ".join(terms)
