"""loops.py's range test of an inner counted loop made once before the loop around it,
when it has the same value at every entry of the inner loop (an optimisation of
translate.py, on loops.py's plans, emitted through guardhoist.py's two copies).

loops.py tests, at every entry of a counted loop, that its trip count n and its bases'
ranges lie in memory (RANGE_OK, ~10 instructions a base on a Cortex-M4). coremark's inner
products are entered thousands of times for ~4 iterations each, so the test costs as much
as the checks it saves. The test reads the locals of its linear forms at the inner loop's
entry. When each of them has the same value at every such entry, the test has the same
value too, except that the memory may have grown in between, and memory only grows: a test
that held before the enclosing loop holds at every inner entry. A local has the same value
at every entry when the enclosing loop
- never assigns it, or
- assigns it, last before the inner loop in program order, where every path from the
  loop's head to the inner loop passes (no block or arm open there closes before the
  inner loop), a constant or a local the enclosing loop never assigns (clang's `j = 0`
  and `row = a` before the inner loop); that value replaces the local in the test made
  before the enclosing loop.
Wasm's branches go forward to a block's end or back to a loop's head, so no path from that
assignment to the inner loop's entry meets another assignment of the local (one would lie
between them in program order). Values are taken mod 2^32, as loops.lin_c computes them.
A base that moves in the enclosing loop (a row base plus a stride per row) keeps the test
at the inner entry.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from wasmote.aot import loops
from wasmote.aot.guardhoist import MAX_LOOP, _loops
from wasmote.wasm.module import Instr

# a C comment on the test before the loop (tests find the transformation by it)
MARK = "/* range tests made once: rangehoist */"
_OPENS = frozenset({0x02, 0x03, 0x04})
_END, _ELSE = 0x0B, 0x05
_GET, _SET, _TEE, _CONST = 0x20, 0x21, 0x22, 0x41


@dataclass(frozen=True)
class RangeHoist:
    end: int                          # index of the enclosing loop's `end`
    tests: tuple[tuple[int, str], ...]  # (inner loop, its range test made before `end`'s loop)


def _entry_value(instrs: list[Instr], s: int, i: int, local: int,
                 assigned: set[int]) -> tuple[int | None, int] | None:
    """(local, 0) or (None, constant): what `local` holds at every entry of the loop at
    `i` in terms of values the loop at `s` never changes; None when unknown."""
    if local not in assigned:
        return local, 0
    last = max((k for k in range(s + 1, i)
                if instrs[k].op in (_SET, _TEE) and instrs[k].imm[0] == local), default=-1)
    if last < 0 or not _dominates(instrs, last, i):
        return None
    src = instrs[last - 1]
    if src.op == _CONST:
        return None, int(src.imm[0])
    if src.op == _GET and src.imm[0] not in assigned:
        return src.imm[0], 0
    return None


def _dominates(instrs: list[Instr], k: int, i: int) -> bool:
    """Every path to `i` from the head of the innermost loop around both passes `k`: no
    block, `if` or arm open at `k` closes before `i` (a branch that skips `k` goes to the
    end of such a block, which lies past `i` too)."""
    depth = 0
    for m in range(k + 1, i):
        op = instrs[m].op
        if op in _OPENS:
            depth += 1
        elif op == _END:
            depth -= 1
            if depth < 0:
                return False
        elif op == _ELSE and depth == 0:
            return False
    return True


def _subst(lin: loops.Lin, vals: dict[int, tuple[int | None, int]]) -> loops.Lin | None:
    terms: dict[int, int] = {}
    const = lin.const
    for loc, coef in lin.terms:
        src, c = vals[loc]
        if src is None:
            const += coef * c
        else:
            terms[src] = terms.get(src, 0) + coef
    out = loops.Lin(tuple(sorted((k, v) for k, v in terms.items() if v)), const, lin.step)
    return out if out.bounded() else None


def plan(instrs: list[Instr], plans: dict[int, loops.LoopPlan],
         exclude: set[int]) -> dict[int, RangeHoist]:
    """Enclosing loop index -> the range tests of its inner loops made once before it."""
    all_loops = _loops(instrs)
    found: dict[int, tuple[int, list[tuple[int, str]]]] = {}
    for i, p in plans.items():
        around = [(s, e) for s, e in all_loops if s < i and e > p.end]
        if not around:
            continue
        s, e = max(around)  # the innermost enclosing loop only
        if s in exclude or e - s > MAX_LOOP:
            continue
        assigned = {instrs[k].imm[0] for k in range(s, e) if instrs[k].op in (_SET, _TEE)}
        locs = {k for k, _ in p.counter.terms} | {k for b in p.bases for k, _ in b.start.terms}
        vals: dict[int, tuple[int | None, int]] = {}
        for loc in locs:
            v = _entry_value(instrs, s, i, loc, assigned)
            if v is None:
                break
            vals[loc] = v
        else:
            counter = _subst(p.counter, vals)
            starts = [_subst(b.start, vals) for b in p.bases]
            if counter is None or any(x is None for x in starts):
                continue
            bases = tuple(replace(b, start=x) for b, x in zip(p.bases, starts, strict=True)
                          if x is not None)
            test = loops.precheck(replace(p, counter=counter, bases=bases))
            found.setdefault(s, (e, []))[1].append((i, test))
    return {s: RangeHoist(e, tuple(t)) for s, (e, t) in found.items()}
