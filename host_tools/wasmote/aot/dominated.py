"""Accesses that an earlier access already proved in bounds (an optimisation of translate.py).

An access of `size` bytes at address a with offset `off` that does not trap proves
a + off + size <= memory size; the memory never shrinks, so from then on every access at
the same address a with offset + size no larger needs no check. Compilers address one
object through one local (`local.get $p; i32.load offset=8` ... `local.get $p; i32.load
offset=4`), often across branches: a field read in a loop's condition and again in its
body, `t->left` tested and then followed.

The facts are "the address (local L + constant c, wrapping) is good up to extent E",
gathered along every path through the function's structured control flow: a fact holds
where an instruction is reached only if it holds on every path to it (blocks and ifs merge
the paths that reach their end, a loop's header those that enter it and every back-edge,
found by iterating to a fixed point). Assigning L forgets its facts; calls and memory.grow
do not (memory only grows). An access whose fact holds needs no check, in every copy of
the code the translator makes (they keep the instructions in order).

Two more rules (Embench's ud: `$q = $p + 0x8060` set before `w = a[j][i]` is read at
`$p` with offset 0x8060, then stored through `$q` after the inner loops moved `$p`):
- a fact at (L, c') with extent E' proves (L, c) for 0 <= c - c' <= E' - E: the address
  (L + c') wrapped is at most the memory size minus E', so adding c - c' does not wrap;
- `local.set D (L + d)` (D not L) records that D holds L + d, until D or L is assigned
  again (a merge keeps it only when every path made the same one): an access at (D, c) is
  one at (L, c + d) and the other way round, and its fact is recorded under both keys, so
  it outlives L's next assignment under D's; the facts L has when the copy is made are
  recorded under D's key too, shifted by d.
A merge keeps, for each key either path holds, the least extent both prove there through
any of their facts (sglib's list merge: its tail `t = p + 4` proved at t - 4 on the arms,
as the list head's slot on entry). Keys made by copies can drift a loop's back-edge facts
by the pointer's step each round of the fixed point: after _EXACT_ROUNDS a loop's header
assumes only what came back unchanged (widening).

A walk may start with facts about the parameters that every caller proved (paramfacts.py),
and reports, for each call it reaches, the extent proved for each argument (call_sites).
After a direct call it records what the callee proved of its parameters on every return
(returnfacts.py), joined with the caller's facts of the same local (_union), and it reports
the facts at the function's every return (exit_facts).
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot.checks import LOAD_SIZE, STORE_SIZE, _Effects, block_arity
from wasmote.wasm.module import Instr

_MAX_CONST = 1 << 30
# exit_facts's copies of the parameters' entry values: locals past any real one (a local's
# index is a u32)
_SHADOW = 1 << 40
# keys (_COPY - dst, src) -> d: local dst holds src + d (wrapping), both unassigned since
_COPY = -2

Key = tuple[int, int]          # (local, constant added to it)
State = dict[Key, int] | None  # key -> extent proved; None: unreachable
# function index -> what its every normal return proved of its parameters' entry values:
# (parameter, constant) -> extent (returnfacts.py)
Returns = dict[int, dict[Key, int]]


def _meet(a: State, b: State) -> State:
    """Facts holding on both paths (None, unreachable, is the identity): an extent's
    smaller value, a copy only when both paths made the same one."""
    if a is None:
        return None if b is None else dict(b)
    if b is None:
        return dict(a)
    out = {k: e for k, e in a.items() if k[0] <= _COPY and b.get(k) == e}
    for k in a.keys() | b.keys():
        if k[0] > _COPY:
            e = min(_extent(a, k), _extent(b, k))
            if e > 0:
                out[k] = e
    return out


def _extent(st: dict[Key, int], key: Key) -> int:
    """The largest extent the facts of `st` prove at `key` (0: none): a fact (l, c') with
    extent E' proves (l, c) up to E' - (c - c') for 0 <= c - c' < E'. ((l + c') wrapped
    plus E' is at most the memory size, at most 2^32, so adding c - c' does not wrap: l + c
    wrapped is that sum, and it plus E' - (c - c') is at most the memory size too.) Accesses
    (_covered), arguments (_arg_extent) and merges use it; a merge because two paths may
    prove one address under different keys (`a = p + 12` after a fact at p on one path, a
    fact at a - 4 on the other)."""
    loc, c = key
    best = 0
    for (l2, c2), e in st.items():
        if l2 == loc and 0 <= c - c2 < e:
            best = max(best, e - (c - c2))
    return best


def _copy_key(dst: int) -> int:
    """The key's first part for "local dst holds local k[1] + the fact's value"."""
    return _COPY - dst


def _same_values(st: dict[Key, int], a: tuple[int, int]) -> list[Key]:
    """The keys whose value is the same i32 as local a[0] + a[1] (wrapping), by the copies
    in `st`: a[0] = m + d gives (m, a[1] + d); x = a[0] + d gives (x, a[1] - d)."""
    out = [a]
    for (k, m), d in st.items():
        if k > _COPY:
            continue
        c = a[1] + d if _COPY - k == a[0] else a[1] - d if m == a[0] else None
        if c is not None and abs(c) < _MAX_CONST:
            out.append((_COPY - k, c) if m == a[0] else (m, c))
    return out


def _covered(st: dict[Key, int], keys: list[Key], extent: int) -> bool:
    """Whether a fact proves an access of `extent` (>= 1) at one of `keys` (_extent)."""
    return any(_extent(st, k) >= extent for k in keys)


# rule 1 (union): two facts of one local whose constants differ by less than this
_UNION_GAP = 1 << 16


def _union(st: dict[Key, int], loc: int) -> None:
    """Rule 1: facts (loc, c1) good to E1 and (loc, c2) good to E2 with
    0 <= c2 - c1 < _UNION_GAP make (loc, c1) good to max(E1, c2 - c1 + E2). The memory's
    size is a u32 multiple of 64 KiB, so at most 2^32 - 2^16: (loc + c1) wrapped is at most
    msz - E1 < 2^32 - (c2 - c1), so adding c2 - c1 does not wrap, it is (loc + c2) wrapped,
    and every byte from (loc + c1) to (loc + c2) + E2 <= msz is in memory (a gap between the
    two included). Applied from the highest constant down, each step joins two proved facts.
    Only where a call's return facts are recorded (_returned): applied at every access it
    proved 150 more accesses over the bench modules, and GCC allocated picojpeg's
    pjpeg_decode_mcu worse for it (docs/performance.md)."""
    cs = sorted(c for (l2, c) in st if l2 == loc)
    for i in range(len(cs) - 2, -1, -1):
        c1 = cs[i]
        e1 = st[(loc, c1)]
        for c2 in cs[i + 1:]:
            if c2 - c1 >= _UNION_GAP:
                break
            e1 = max(e1, c2 - c1 + st[(loc, c2)])
        st[(loc, c1)] = e1


@dataclass
class _Frame:
    kind: int              # 0x02 block, 0x03 loop, 0x04 if, 0 the function
    label: int             # index of the instruction that opened it
    base: int              # symbolic stack height below its parameters
    nparams: int
    nresults: int
    out: State = None      # facts at its end from the branches to it (None: none yet)
    entry: State = None    # an if: the facts its else-arm (or the way around) starts with


_Sym = tuple[int, int] | None  # (local, constant) of a value still held by the local


class _Pass:
    """One walk over the function, assuming `back_prev` on every loop's back-edges."""

    def __init__(self, instrs: list[Instr], block_arity: list[tuple[int, int]],
                 effects: _Effects, back_prev: dict[int, State],
                 entry: dict[int, int], mem_min: int = 0,
                 returns: Returns | None = None, shadows: int = 0) -> None:
        self.instrs = instrs
        self.shadows = shadows
        self.returns = returns or {}
        self.mem_min = mem_min
        self.block_arity = block_arity
        self.effects = effects
        self.back_prev = back_prev
        self.entry = entry
        self.back: dict[int, State] = {}     # loop index -> facts on its back-edges
        self.proven: set[int] = set()
        # call index -> the extent proved for each argument at it (0: none)
        self.sites: dict[int, list[int]] = {}
        self.exit: State = None  # the facts on every normal return (None: never returns)

    def arity(self, bt: int) -> tuple[int, int]:
        return block_arity(bt, self.block_arity)

    def branch(self, ctl: list[_Frame], depth: int, st: State) -> None:
        f = ctl[-1 - depth]
        if f.kind == 0x03:
            self.back[f.label] = _meet(self.back.get(f.label), st)
        else:
            f.out = _meet(f.out, st)

    def run(self) -> None:
        stack: list[_Sym] = []
        ctl: list[_Frame] = [_Frame(0, -1, 0, 0, 0)]
        # _SHADOW + p holds parameter p's entry value (exit_facts), never assigned
        st: State = {(p, 0): e for p, e in self.entry.items()} | {
            (_copy_key(_SHADOW + p), p): 0 for p in range(self.shadows)}

        def pop() -> _Sym:
            return stack.pop() if len(stack) > ctl[-1].base else None

        def forget(local: int) -> None:
            for i, s in enumerate(stack):
                if s is not None and s[0] == local:
                    stack[i] = None
            if st is not None:
                for k in [k for k in st if k[0] == local or k[0] == _COPY - local
                          or (k[0] <= _COPY and k[1] == local)]:
                    del st[k]

        for idx, ins in enumerate(self.instrs):
            op = ins.op
            if op in (0x02, 0x03, 0x04):
                if op == 0x04:
                    pop()
                np, nr = self.arity(ins.imm[0])
                for _ in range(np):
                    pop()
                f = _Frame(op, idx, len(stack), np, nr)
                stack.extend([None] * np)
                if op == 0x04:
                    f.entry = None if st is None else dict(st)
                elif op == 0x03:  # the header: entering, and every back-edge (assumed)
                    st = _meet(st, self.back_prev.get(idx))
                ctl.append(f)
                continue
            if op == 0x05:  # else: the then-arm's end goes out, the else-arm starts afresh
                f = ctl[-1]
                f.out = _meet(f.out, st)
                st, f.entry = f.entry, None
                del stack[f.base:]
                stack.extend([None] * f.nparams)
                continue
            if op == 0x0B:
                f = ctl.pop()
                if f.kind != 0x03:  # a loop's end is reached only by falling through
                    st = _meet(_meet(f.out, st), f.entry)  # entry: an if without else
                del stack[f.base:]
                stack.extend([None] * f.nresults)
                if not ctl:
                    self.exit = st
                    return
                continue
            if st is None:  # unreachable code: nothing holds; keep the stack's shape
                self._shape(ins, stack, ctl[-1].base)
                continue
            if op == 0x0C:
                self.branch(ctl, ins.imm[0], st)
                st = None
            elif op == 0x0D:
                pop()
                self.branch(ctl, ins.imm[0], st)
            elif op == 0x0E:
                pop()
                for d in ins.imm:
                    self.branch(ctl, d, st)
                st = None
            elif op == 0x0F:
                self.branch(ctl, len(ctl) - 1, st)
                st = None
            elif op == 0x00:
                st = None
            elif op == 0x20:
                stack.append((ins.imm[0], 0))
            elif op in (0x21, 0x22):
                v = pop()
                forget(ins.imm[0])
                if v is not None and v[0] >= 0 and v[0] != ins.imm[0]:
                    st[(_copy_key(ins.imm[0]), v[0])] = v[1]
                    # the source's facts under the copy too, explicitly: a merge with a
                    # path that proved the copy's address directly then keeps them
                    for (loc, c), e in list(st.items()):
                        if loc == v[0] and abs(c - v[1]) < _MAX_CONST:
                            k = (ins.imm[0], c - v[1])
                            st[k] = max(st.get(k, 0), e)
                if op == 0x22:
                    stack.append((ins.imm[0], 0))
            elif op == 0x41:
                stack.append((-1, ins.imm[0]))  # a constant: "local" -1
            elif op == 0x10:
                n = self.effects.func_arity[ins.imm[0]][0]
                got = stack[max(ctl[-1].base, len(stack) - n):]
                args: list[_Sym] = [None] * (n - len(got))  # below the block: unknown
                args += got
                self.sites[idx] = [_arg_extent(st, a, self.mem_min) for a in args]
                self._shape(ins, stack, ctl[-1].base)
                self._returned(st, self.returns.get(ins.imm[0]), args)
            elif op in (0x6A, 0x6B):
                b, a = pop(), pop()
                stack.append(_add(a, b, op == 0x6B))
            elif op in LOAD_SIZE or op in STORE_SIZE:
                if op in STORE_SIZE:
                    pop()
                a = pop()
                extent = ins.imm[1] + (LOAD_SIZE.get(op) or STORE_SIZE[op])
                if a is not None and a[0] >= 0:
                    keys = _same_values(st, a)
                    if _covered(st, keys, extent):
                        self.proven.add(idx)
                    # recorded under every key even when proved: a copy's key outlives the
                    # fact that proved it (facts only grow with what is known before)
                    for k in keys:
                        st[k] = max(st.get(k, 0), extent)
                if op in LOAD_SIZE:
                    stack.append(None)
            else:
                self._shape(ins, stack, ctl[-1].base)

    def _returned(self, st: dict[Key, int], ret: dict[Key, int] | None,
                  args: list[_Sym]) -> None:
        """Rule 2: after a call returns normally, what the callee proved on every return
        about its parameter p's value at (p, c) holds at (argument + c): the argument is
        that value, and the memory has not shrunk since. Recorded like an access's fact."""
        for (p, c), e in (ret or {}).items():
            a = args[p]
            if a is None or a[0] < 0 or abs(a[1] + c) >= _MAX_CONST:
                continue
            keys = _same_values(st, (a[0], a[1] + c))
            for k in keys:
                st[k] = max(st.get(k, 0), e)
            for loc in {k[0] for k in keys}:
                _union(st, loc)

    def _shape(self, ins: Instr, stack: list[_Sym], base: int) -> None:
        """Any other instruction (or one in unreachable code): only its stack effect."""
        op = ins.op
        if op in (0x20, 0x41):
            pops, pushes = 0, 1
        elif op in (0x21, 0x0D):
            pops, pushes = 1, 0
        elif op == 0x22:
            pops, pushes = 1, 1
        elif op in (0x0C, 0x0E, 0x0F, 0x00):
            return
        elif op in LOAD_SIZE:
            pops, pushes = 1, 1
        elif op in STORE_SIZE:
            pops, pushes = 2, 0
        else:
            ar = self.effects.arity(ins)
            if ar is None:
                raise ValueError(f"dominated: no stack effect for 0x{op:x}")
            pops, pushes = ar
        del stack[max(base, len(stack) - pops):]
        stack.extend([None] * pushes)


def _arg_extent(st: dict[Key, int], a: _Sym, mem_min: int) -> int:
    """The largest extent E that a fact proves for the value a (a + E <= the memory's
    size; 0: none): at any key with a's value (_extent); a constant v, mem_min - v (the
    memory has mem_min bytes whenever the code runs)."""
    if a is not None and a[0] == -1:
        return max(0, mem_min - (a[1] & 0xFFFFFFFF))
    if a is None or a[0] < 0:
        return 0
    return max(_extent(st, k) for k in _same_values(st, a))


def _add(a: _Sym, b: _Sym, sub: bool) -> _Sym:
    if a is None or b is None:
        return None
    if b[0] == -1 and a[0] >= 0:
        c = a[1] - b[1] if sub else a[1] + b[1]
        return (a[0], c) if abs(c) < _MAX_CONST else None
    if not sub and a[0] == -1 and b[0] >= 0:
        c = a[1] + b[1]
        return (b[0], c) if abs(c) < _MAX_CONST else None
    if a[0] == -1 and b[0] == -1:
        return (-1, (a[1] - b[1] if sub else a[1] + b[1]) & 0xFFFFFFFF)
    return None


def _solve(instrs: list[Instr], type_arity: list[tuple[int, int]],
           func_arity: list[tuple[int, int]], entry: dict[int, int],
           mem_min: int = 0, returns: Returns | None = None,
           shadows: int = 0) -> _Pass | None:
    """The walk whose back-edges bring what it assumed (None: did not settle)."""
    effects = _Effects(func_arity, type_arity)
    back: dict[int, State] = {}  # first assume the back-edges keep every fact
    for rnd in range(64):
        p = _Pass(instrs, type_arity, effects, back, entry, mem_min, returns, shadows)
        p.run()
        nxt = p.back if rnd < _EXACT_ROUNDS else {
            i: _widen(back.get(i), s) for i, s in p.back.items()}
        if nxt == back:  # the back-edges bring what was assumed: a fixed point
            return p
        back = nxt
    return None  # did not settle (widening makes it settle): prove nothing


# rounds before widening: a pointer a loop moves through a copy (`q = p + 8; p = q`) makes
# a fact on an older copy of it shrink by 8 a round, under a new key each round
_EXACT_ROUNDS = 3


def _widen(old: State, new: State) -> State:
    """What the next round assumes on a loop's back-edges: only the facts this round
    brought back unchanged from what it assumed (the assumption only shrinks, so the rounds
    end; at the end each assumed fact came back as assumed, so it holds)."""
    if old is None or new is None:
        return new
    return {k: e for k, e in new.items() if old.get(k) == e}


def proven(instrs: list[Instr], type_arity: list[tuple[int, int]],
           func_arity: list[tuple[int, int]],
           entry: dict[int, int] | None = None,
           returns: Returns | None = None) -> frozenset[int]:
    """Indices of the accesses whose bounds an earlier access proved on every path
    (type_arity: (params, results) of each type, for blocks and call_indirect; entry:
    parameter -> extent its every caller proved, paramfacts.py; returns: what each callee
    proved of its parameters on return, returnfacts.py)."""
    p = _solve(instrs, type_arity, func_arity, entry or {}, 0, returns)
    return frozenset(p.proven) if p is not None else frozenset()


def call_sites(instrs: list[Instr], type_arity: list[tuple[int, int]],
               func_arity: list[tuple[int, int]],
               entry: dict[int, int], mem_min: int,
               returns: Returns | None = None) -> dict[int, list[int]]:
    """Per reachable call instruction (index): the extent proved for each of its
    arguments, the parameters' entry facts assumed (0: none)."""
    p = _solve(instrs, type_arity, func_arity, entry, mem_min, returns)
    if p is not None:
        return p.sites
    return {i: [0] * func_arity[ins.imm[0]][0] for i, ins in enumerate(instrs) if ins.op == 0x10}


def exit_facts(instrs: list[Instr], type_arity: list[tuple[int, int]],
               func_arity: list[tuple[int, int]], nparams: int,
               returns: Returns) -> dict[Key, int]:
    """What every normal return of the function proves about its parameters' entry values:
    (parameter, constant) -> extent (assumes nothing about them at entry). Each parameter
    p's entry value is copied to a local no instruction names, _SHADOW + p, so its facts
    outlive p's assignments."""
    p = _solve(instrs, type_arity, func_arity, {}, 0, returns, nparams)
    if p is None or p.exit is None:
        return {}
    return {(k[0] - _SHADOW, k[1]): e for k, e in p.exit.items()
            if _SHADOW <= k[0] < _SHADOW + nparams}
