"""The fuel of a loop whose trip count is unknown, charged a few iterations ahead.

loopfuel.py pays a counted loop's fuel once at its entry; a walk (`while (p) p = p->next`,
`while (*s)`) has no trip count to pay for, so every branch back charges its k: a
subtraction and a branch an iteration, a fifth of a short walk's instructions. A short loop
without calls, inner loops or bulk work (nothing else in it reads or writes the slice) is
emitted u times instead (translate.py's walk_loop): the ordinary body B, entered from above
after the loop's entry charge as now, and copies A1 .. A(u-1). A branch back from B charges
u * k at once when the slice holds all of it and goes on in A1; A(j) branches back to
A(j+1) and the last to B, charging nothing. So each of the u branch backs of a round was
paid at B's, and at most u * k <= fl of them: none of those charges could have gone
negative, none could have suspended. When the slice holds less, B's branch back charges
just k, exactly as CHARGE(k) does (it may ask the runtime for more and suspend right there)
and runs B again: near the end of a slice the loop goes one charged iteration at a time,
and suspends where the interpreter does.

In A(j) the round's last u - j branch backs are paid but not taken: a trap reports
fl + (u - j) * k (the prelude's FL), and leaving the loop (falling out, branching out,
returning) gives them back first (`fl += (u - j) * k`), so the fuel left is the
interpreter's. The copies are the body's own instructions again, emitted by the same code
(checks, segments, dominated accesses): every path to an instruction of a copy is a path
of the original loop, so whatever held on all of those holds in the copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from wasmote.aot import loops
from wasmote.aot.checks import _Effects, block_arity
from wasmote.aot.loopfuel import CHARGING
from wasmote.wasm.module import BLOCK_EMPTY, Instr

# copies of the body a round runs (B and u - 1 more) by the body's length (wasm
# instructions): a charge an iteration becomes one a round, and each copy adds the body's
# code again
_UNROLL = ((24, 4), (72, 2))

_OP_LOOP = 0x03


@dataclass(frozen=True)
class WalkLoop:
    """A loop whose branches back charge `back` each, run as `unroll` copies."""

    end: int        # index of the loop's `end`
    back: int       # every branch back's charge
    unroll: int


def plan(instrs: list[Instr], i: int, back: int, func_arity: list[tuple[int, int]],
         type_arity: list[tuple[int, int]], outermost: frozenset[int] | None = None
         ) -> WalkLoop | None:
    """The plan for the `loop` at index i whose branches back charge `back`, or None: a
    loop with a block type other than empty, a charge over _UNROLL's largest, an inner
    loop or anything that charges on its own (calls, bulk work, memory.grow), no branch
    back to it at all, or not a walk (_walks). `outermost`: outermost_loops(instrs), when
    the caller plans every loop of the function (computed once, not once a loop)."""
    ins = instrs[i]
    if ins.op != _OP_LOOP or ins.imm[0] != BLOCK_EMPTY or back <= 0:
        return None
    end = loops.matching_end(instrs, i)
    if end is None:
        return None
    unroll = next((u for n, u in _UNROLL if back <= n), 0)
    if not unroll:
        return None
    depth = 0
    backs = False
    for k in range(i + 1, end):
        op = instrs[k].op
        if op == _OP_LOOP or op in CHARGING:
            return None
        if op in (0x02, 0x04):
            depth += 1
        elif op == 0x0B:
            depth -= 1
        elif op in (0x0C, 0x0D) and instrs[k].imm[0] == depth:
            backs = True
        elif op == 0x0E and depth in instrs[k].imm:
            backs = True
    if not backs or not _walks(instrs, i, end, _Effects(func_arity, type_arity),
                               i in (outermost if outermost is not None
                                     else outermost_loops(instrs))):
        return None
    return WalkLoop(end, back, unroll)


def outermost_loops(instrs: list[Instr]) -> frozenset[int]:
    """The indices of the loops no other loop holds, in one pass (asked once a loop, a
    scan from the function's start made a function of n loops cost n times its length)."""
    out: set[int] = set()
    loops_open = 0
    open_: list[int] = []   # the opcodes of the blocks open here
    for k, ins in enumerate(instrs):
        op = ins.op
        if op in (0x02, 0x03, 0x04):
            if op == _OP_LOOP:
                if not loops_open:
                    out.add(k)
                loops_open += 1
            open_.append(op)
        elif op == 0x0B and open_:
            loops_open -= open_.pop() == _OP_LOOP
    return frozenset(out)


# loads: the value they push comes from memory
_LOADS = frozenset(range(0x28, 0x36))
# what ends a path: the rest of its block is unreachable
_JUMPS = frozenset({0x00, 0x0C, 0x0E, 0x0F})


class _V(NamedTuple):
    """A value of the body: whether it comes from memory, the locals it is computed from,
    and those an address it was loaded through is computed from."""

    mem: bool
    src: frozenset[int]
    via: frozenset[int]


_NONE = _V(False, frozenset(), frozenset())


def _join(vs: list[_V]) -> _V:
    return _V(any(v.mem for v in vs), frozenset().union(*(v.src for v in vs)),
              frozenset().union(*(v.via for v in vs))) if vs else _NONE


def _walks(instrs: list[Instr], i: int, end: int, effects: _Effects, outer: bool) -> bool:
    """Whether the loop i .. end is a walk: where it goes (back or out) depends on a
    loaded value (a `br_if` or `br_table` to the loop or out of it, or an `if` with such a
    branch in it, tests one; a branch within the body, `if (*p != ',')`, does not), and
    either it is a pointer walk (a local it sets comes from a load through an address
    computed from what that local held at the loop's head, the previous iteration's:
    `p = p->next`, `n = t->left`) or it is the function's outermost loop (`outer`: a
    scan, `while (*s)`, entered once a call). Its trip count is the data's. A loop whose
    branches test locals stepped by arithmetic is a counted loop in all but name (a masked
    counter: `(c - 1) & 255`; picojpeg's 8-trip loops: +6 % with the copies), and a scan
    inside another loop is entered every outer iteration and often runs a few times an
    entry (a sort's partition: the quicksort kernel +4 %; tarfind's compares +1 %): there
    the copies' exits cost more than the charges they save."""
    mem: set[int] = set()   # locals the body sets from memory (on some path)
    while True:
        before = len(mem)
        hit = chase = False
        # what each local holds now, in terms of the locals' values at the loop's head
        src: dict[int, frozenset[int]] = {}
        via: dict[int, frozenset[int]] = {}
        stack: list[_V] = []
        frames: list[tuple[int, int]] = []   # (stack height at the block's start, results)
        dead = 0   # > 0: unreachable, this many blocks deep past the jump
        for k in range(i + 1, end):
            ins = instrs[k]
            op = ins.op
            if dead:
                if op in (0x02, 0x04):
                    dead += 1
                elif op in (0x05, 0x0B) and dead > 1:
                    dead -= op == 0x0B
                elif op in (0x05, 0x0B):
                    dead = 0
                    base, res = frames[-1]
                    del stack[base:]
                    if op == 0x0B:
                        frames.pop()
                        stack.extend([_V(True, frozenset(), frozenset())] * res)
                continue
            if op in (0x02, 0x04):
                if op == 0x04:
                    cond = stack.pop()
                    stop = loops.matching_end(instrs, k) or k
                    hit |= cond.mem and _leaves(instrs, k + 1, stop, len(frames) + 1)
                params, res = block_arity(ins.imm[0], effects.type_arity)
                frames.append((len(stack) - params, res))
            elif op == 0x05:
                base, _ = frames[-1]
                del stack[base:]
            elif op == 0x0B:
                base, res = frames.pop()
                v = _join(stack[base:])
                del stack[base:]
                stack.extend([v] * res)
            elif op == 0x0D:
                hit |= stack.pop().mem and ins.imm[0] >= len(frames)
            elif op in _JUMPS:
                if op == 0x0E:
                    hit |= stack.pop().mem and max(ins.imm) >= len(frames)
                dead = 1
                if not frames:
                    break      # the rest of the body is unreachable
            elif op == 0x20:
                n = ins.imm[0]
                stack.append(_V(n in mem, src.get(n, frozenset({n})),
                                via.get(n, frozenset())))
            elif op in (0x21, 0x22):
                n = ins.imm[0]
                v = stack[-1]
                chase |= n in v.via
                if v.mem:
                    mem.add(n)
                if frames:   # on some paths only
                    src[n] = src.get(n, frozenset({n})) | v.src
                    via[n] = via.get(n, frozenset()) | v.via
                else:
                    src[n], via[n] = v.src, v.via
                if op == 0x21:
                    stack.pop()
            elif op in _LOADS:
                a = stack.pop()
                stack.append(_V(True, frozenset(), a.src | a.via))
            else:
                ar = effects.arity(ins)
                if ar is None:
                    return False   # not modelled
                pops, pushes = ar
                v = _join(stack[len(stack) - pops:]) if pops else _NONE
                del stack[len(stack) - pops:]
                stack.extend([v] * pushes)
        if len(mem) == before:
            return hit and (chase or outer)


def _leaves(instrs: list[Instr], start: int, end: int, depth: int) -> bool:
    """Whether a branch in instrs[start:end] (`depth` blocks inside the loop's body at
    start) goes back to the loop or out of it, or returns."""
    for k in range(start, end):
        ins = instrs[k]
        op = ins.op
        if op in (0x02, 0x03, 0x04):
            depth += 1
        elif op == 0x0B:
            depth -= 1
        elif op == 0x0F or (op in (0x0C, 0x0D) and ins.imm[0] >= depth) or \
                (op == 0x0E and max(ins.imm) >= depth):
            return True
    return False


def charge_ahead(wl: WalkLoop, ahead: int, here: int) -> str:
    """C of B's branch back: u * k charged and on to the copy labelled `ahead` when the
    slice holds it, else k charged as CHARGE(k) would and on to B (`here`)."""
    return f"if (CHARGE_AHEAD({wl.unroll * wl.back}, {wl.back})) goto L{ahead}; goto L{here};"


def copy_open(wl: WalkLoop, j: int) -> list[str]:
    """C lines at the top of copy A(j): traps in it report the fuel the interpreter has
    there, the round's untaken branch backs given back."""
    return ['#pragma push_macro("FL")', "#undef FL",
            f"#define FL ((uintptr_t)(fl + {refund(wl, j)}))"]


def copy_close() -> list[str]:
    return ['#pragma pop_macro("FL")']


def refund(wl: WalkLoop, j: int) -> int:
    """What leaving copy A(j) gives back: the round's branch backs not taken."""
    return (wl.unroll - j) * wl.back
