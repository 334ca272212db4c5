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
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot.checks import LOAD_SIZE, STORE_SIZE, _Effects, block_arity
from wasmote.wasm.module import Instr

_MAX_CONST = 1 << 30

Key = tuple[int, int]          # (local, constant added to it)
State = dict[Key, int] | None  # key -> extent proved; None: unreachable


def _meet(a: State, b: State) -> State:
    """Facts holding on both paths (None, unreachable, is the identity)."""
    if a is None:
        return None if b is None else dict(b)
    if b is None:
        return dict(a)
    return {k: min(e, b[k]) for k, e in a.items() if k in b}


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
                 effects: _Effects, back_prev: dict[int, State]) -> None:
        self.instrs = instrs
        self.block_arity = block_arity
        self.effects = effects
        self.back_prev = back_prev
        self.back: dict[int, State] = {}     # loop index -> facts on its back-edges
        self.proven: set[int] = set()

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
        st: State = {}

        def pop() -> _Sym:
            return stack.pop() if len(stack) > ctl[-1].base else None

        def forget(local: int) -> None:
            for i, s in enumerate(stack):
                if s is not None and s[0] == local:
                    stack[i] = None
            if st is not None:
                for k in [k for k in st if k[0] == local]:
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
                pop()
                forget(ins.imm[0])
                if op == 0x22:
                    stack.append((ins.imm[0], 0))
            elif op == 0x41:
                stack.append((-1, ins.imm[0]))  # a constant: "local" -1
            elif op in (0x6A, 0x6B):
                b, a = pop(), pop()
                stack.append(_add(a, b, op == 0x6B))
            elif op in LOAD_SIZE or op in STORE_SIZE:
                if op in STORE_SIZE:
                    pop()
                a = pop()
                extent = ins.imm[1] + (LOAD_SIZE.get(op) or STORE_SIZE[op])
                if a is not None and a[0] >= 0:
                    if st.get(a, -1) >= extent:
                        self.proven.add(idx)
                    else:
                        st[a] = extent
                if op in LOAD_SIZE:
                    stack.append(None)
            else:
                self._shape(ins, stack, ctl[-1].base)

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


def proven(instrs: list[Instr], type_arity: list[tuple[int, int]],
           func_arity: list[tuple[int, int]]) -> frozenset[int]:
    """Indices of the accesses whose bounds an earlier access proved on every path
    (type_arity: (params, results) of each type, for blocks and call_indirect)."""
    effects = _Effects(func_arity, type_arity)
    back: dict[int, State] = {}  # first assume the back-edges keep every fact
    for _ in range(64):
        p = _Pass(instrs, type_arity, effects, back)
        p.run()
        if p.back == back:  # the back-edges bring what was assumed: a fixed point
            return frozenset(p.proven)
        back = p.back
    return frozenset()  # did not settle (facts only shrink, so never seen): prove nothing
