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

With fuel, the inner loop's FUEL_COVERS (loopfuel.py: the slice holds its whole charge W)
is made there too, when the enclosing loop's runs are bounded at its entry (its only branch
back is its final `br_if` on a counter stepped at its top level: loopfuel.trip_bound, at
most N runs) and its body has no check point but its own head and the inner loop (no call,
no bulk work, no other loop). Each run then charges at most P = H + W, H the larger of the
enclosing loop's entry and back charges, W the same at every inner entry (its trip count
reads locals with the same value at every entry, as above). Before the k-th inner entry
(k <= N) at most (k - 1) P + H has been charged, so a slice of N P before the enclosing
loop holds W at every inner entry: the copy leaves the inner test out (it still charges the
inner loop's fuel where it leaves it, so the fuel left is the same). Products in u64: N,
the inner trip count <= 2^32 + 1, charges < 2^14.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from wasmote.aot import loopfuel, loops
from wasmote.aot.guardhoist import MAX_LOOP, loop_spans
from wasmote.wasm.module import Instr

# a C comment on the test before the loop (tests find the transformation by it)
MARK = "/* range tests made once: rangehoist */"
FUEL_MARK = "/* inner fuel test made once: rangehoist */"
_OPENS = frozenset({0x02, 0x03, 0x04})
_END, _ELSE = 0x0B, 0x05
_GET, _SET, _TEE, _CONST = 0x20, 0x21, 0x22, 0x41


@dataclass(frozen=True)
class RangeHoist:
    end: int                          # index of the enclosing loop's `end`
    tests: tuple[tuple[int, str], ...]  # (inner loop, its range test made before `end`'s loop)
    fuel: tuple[tuple[int, str], ...] = ()  # (inner loop, the test that covers its fuel)


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


def _fuel_test(instrs: list[Instr], s: int, e: int, i: int, fl: loopfuel.FuelLoop,
               head: int, assigned: set[int]) -> str | None:
    """The C test, before the loop at s (ending at e), that the slice holds the fuel of all
    its runs, each with the whole inner loop at i (module docstring); None if unknown."""
    body = range(s + 1, e)
    if any(instrs[k].op in loopfuel.CHARGING for k in body) or \
            [k for k in body if instrs[k].op == 0x03] != [i]:
        return None
    outer = loopfuel.trip_bound(instrs, s)
    if outer is None:
        return None
    forms = [fl.counter] + ([fl.bound] if fl.bound is not None else [])
    vals: dict[int, tuple[int | None, int]] = {}
    for loc in {k for f in forms for k, _ in f.terms}:
        v = _entry_value(instrs, s, i, loc, assigned)
        if v is None:
            return None
        vals[loc] = v
    counter = _subst(fl.counter, vals)
    bound = _subst(fl.bound, vals) if fl.bound is not None else None
    if counter is None or (fl.bound is not None and bound is None):
        return None
    runs = loops.runs_c(fl.cmp, counter, bound)
    per = f"(u64){head + fl.entry}u + (ni_ - 1u) * {fl.back}u"
    return (f"({{ u64 no_ = {outer[0]}; u64 ni_ = {runs}; u64 p_ = {per}; "
            "no_ && ni_ && fl >= 0 && p_ <= (u64)fl && "
            "no_ <= (u64)((uintptr_t)fl / (uintptr_t)p_); })")


def plan(instrs: list[Instr], plans: dict[int, loops.LoopPlan],
         exclude: set[int], fuel: dict[int, loopfuel.FuelLoop] | None = None,
         heads: dict[int, int] | None = None) -> dict[int, RangeHoist]:
    """Enclosing loop index -> the range tests of its inner loops made once before it, and
    with fuel (`fuel`: loopfuel.py's plans; `heads`: loop -> the larger of its entry and
    back charges, for the enclosing loops that may have them) their fuel tests."""
    all_loops = loop_spans(instrs)
    found: dict[int, tuple[int, list[tuple[int, str]]]] = {}
    fueled: dict[int, list[tuple[int, str]]] = {}
    for i, p in plans.items():
        around = [(s, e) for s, e in all_loops if s < i and e > p.end]
        if not around:
            continue
        s, e = max(around)  # the innermost enclosing loop only
        if s in exclude or e - s > MAX_LOOP:
            continue
        assigned = {instrs[k].imm[0] for k in range(s, e) if instrs[k].op in (_SET, _TEE)}
        locs = {k for k, _ in p.counter.terms} | {k for b in p.bases for k, _ in b.start.terms} \
            | {k for k, _ in (p.bound.terms if p.bound is not None else ())}
        vals: dict[int, tuple[int | None, int]] = {}
        for loc in locs:
            v = _entry_value(instrs, s, i, loc, assigned)
            if v is None:
                break
            vals[loc] = v
        else:
            counter = _subst(p.counter, vals)
            bound = _subst(p.bound, vals) if p.bound is not None else None
            starts = [_subst(b.start, vals) for b in p.bases]
            if counter is None or any(x is None for x in starts) or \
                    (p.bound is not None and bound is None):
                continue
            bases = tuple(replace(b, start=x) for b, x in zip(p.bases, starts, strict=True)
                          if x is not None)
            test = loops.precheck(replace(p, counter=counter, bases=bases, bound=bound))
            found.setdefault(s, (e, []))[1].append((i, test))
            fp = fuel.get(i) if fuel else None
            if fp is not None and heads is not None and s in heads:
                ft = _fuel_test(instrs, s, e, i, fp, heads[s], assigned)
                if ft is not None:
                    fueled.setdefault(s, []).append((i, ft))
    return {s: RangeHoist(e, tuple(t), tuple(fueled.get(s, ())))
            for s, (e, t) in found.items()}
