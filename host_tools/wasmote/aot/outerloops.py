"""Bounds checks hoisted out of counted loops whose body holds inner loops (an optimisation
of translate.py, loops.py's proof for a loop it cannot take).

loops.py takes a counted loop only when its body is straight-line code. A loop over the
trees of a forest (xgboost: read the tree's size at `sizes[t]`, walk the tree, add its leaf)
counts `t` by one to a bound like any counted loop, but the walk in its body is a loop of its
own. The proof needs less than straight-line code, only this:

- every iteration starts at the loop's header and is ended by its last `br_if 0` (no other
  branch anywhere in the body targets the loop: the inner code may only branch within
  itself or leave the loop), so the counter still bounds the iterations;
- the body's top level (outside its inner blocks, loops and ifs) is code loops.py reads:
  the counter is stepped there, once an iteration, and the accesses at that level are
  taken at linear forms of the locals' entry values;
- a local assigned anywhere inside the inner code is unknown after it (its value depends on
  how the inner code ran), so it can neither count nor be a base, but for what the top
  level assigns it after (ud's j loops: the local is the row pointer in the inner loops and
  set back to the copied counter plus one at the end, a counter for loops.py).

The loop is then read as loops.py reads a straight loop: the top level, each inner construct
replaced by "these locals now hold unknown values" (`local.get x; i32.eqz; local.set x`,
an `if` also dropping its condition). Its plan's accesses are checked once before the
loop, as loops.py checks them (`precheck`): the loop runs twice in the C, behind that test
with those accesses unchecked and as it is, both copies emitted in full (inner loops keep
their own copies, prepay.py its paid entry; a loop guardhoist.py versions too gets one test
for both, translate.hoisted), so they charge and trap alike. Only one level
(a loop inside such a copy is not versioned again; of nested candidates the innermost), at
most MAX_LOOP instructions (each copy costs the loop's code again), and no calls in the loop:
a call costs more than the checks saved, and the second copy of its call sites changed what
GCC inlined around them (tarfind's setup loop: 1.39 M -> 1.41 M M4 instructions).
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot import loops
from wasmote.aot.stackcheck import CALL_OPS
from wasmote.wasm.module import BLOCK_EMPTY, Instr

# a C comment on the test before the loop (tests find the transformation by it)
MARK = "/* counted loop with inner loops: its accesses tested once (outerloops) */"
# the longest loop (wasm instructions) that runs twice (as guardhoist.MAX_LOOP)
MAX_LOOP = 256
_BLOCK, _LOOP, _IF, _ELSE, _END = 0x02, 0x03, 0x04, 0x05, 0x0B
_BR, _BR_IF, _BR_TABLE = 0x0C, 0x0D, 0x0E
_SETS = (0x21, 0x22)
_I32_EQZ, _DROP = 0x45, 0x1A


@dataclass(frozen=True)
class OuterPlan:
    end: int                   # index of the loop's `end`
    plan: loops.LoopPlan       # loops.py's plan of the flattened loop (its test)
    unchecked: frozenset[int]  # the accesses (real indices) that test proves


def _flatten(instrs: list[Instr], i: int, end: int) -> tuple[list[Instr], list[int]] | None:
    """The loop at i with each inner construct of its body replaced by unknown values of
    the locals it assigns, and the real index of each instruction of that list (-1: made
    up); None when a branch inside the body targets the loop itself (other than its last
    `br_if 0`) or an inner construct has a block type."""
    flat: list[Instr] = [instrs[i]]
    where: list[int] = [i]
    k = i + 1
    inner = False
    while k < end:
        ins = instrs[k]
        if ins.op not in (_BLOCK, _LOOP, _IF):
            flat.append(ins)
            where.append(k)
            k += 1
            continue
        if ins.imm[0] != BLOCK_EMPTY:
            return None
        close = loops.matching_end(instrs, k)
        if close is None or close >= end:
            return None
        depth = 0  # constructs open inside this one, above the loop's label
        assigned: list[int] = []
        for m in range(k, close + 1):
            op = instrs[m].op
            if op in (_BLOCK, _LOOP, _IF):
                depth += 1
            elif op == _END:
                depth -= 1
            if op in (_BR, _BR_IF) and instrs[m].imm[0] == depth:
                return None
            if op == _BR_TABLE and depth in instrs[m].imm:
                return None
            if op in _SETS and instrs[m].imm[0] not in assigned:
                assigned.append(instrs[m].imm[0])
            inner = inner or op == _LOOP
        if ins.op == _IF:  # its condition
            flat.append(Instr(_DROP))
            where.append(-1)
        for loc in assigned:
            flat += [Instr(0x20, (loc,)), Instr(_I32_EQZ), Instr(0x21, (loc,))]
            where += [-1, -1, -1]
        k = close + 1
    if not inner:
        return None  # straight code and ifs only: loops.py's or nobody's
    flat.append(instrs[end])
    where.append(end)
    return flat, where


def plan(instrs: list[Instr], func_arity: list[tuple[int, int]],
         type_arity: list[tuple[int, int]], exclude: set[int],
         skip: frozenset[int] = frozenset()) -> dict[int, OuterPlan]:
    """Loop index -> its plan, for each counted loop (not in `exclude`) with an inner loop
    whose top-level accesses a test before it proves (those in `skip` need no check)."""
    out: dict[int, OuterPlan] = {}
    for i, ins in enumerate(instrs):
        if ins.op != _LOOP or i in exclude or ins.imm[0] != BLOCK_EMPTY:
            continue
        end = loops.matching_end(instrs, i)
        if end is None or end - i > MAX_LOOP or end < i + 2:
            continue
        last = instrs[end - 1]
        if last.op != _BR_IF or last.imm[0] != 0 or \
                any(instrs[k].op in CALL_OPS for k in range(i, end)):
            continue
        flattened = _flatten(instrs, i, end)
        if flattened is None:
            continue
        flat, where = flattened
        fskip = frozenset(n for n, k in enumerate(where) if k in skip)
        lp = loops.plan_loop(flat, 0, func_arity, type_arity, skip=fskip)
        if lp is None or any(where[n] < 0 for n in lp.fast):
            continue
        out[i] = OuterPlan(end, lp, frozenset(where[n] for n in lp.fast))
    # the innermost of nested candidates: its test runs once per entry of the loop whose
    # every iteration it saves checks in
    return {i: p for i, p in out.items()
            if not any(i < j and p2.end < p.end for j, p2 in out.items())}
