"""A loop guard's test of a base that the loops around it never assign, made once before
the outermost of them (an optimisation of translate.py, on guards.py's plans).

guards.py tests each base of a loop at every entry of the loop. When the loop is entered
once per iteration of an outer loop (xgboost: the tree walk, once per tree, with the
parameter `x` as one of its bases), a base that the outer loop never assigns gives the
same test each time, except that the memory may have grown in between, and memory only
grows: a test that held at the outer loop's entry holds at every entry of the inner one.
So the outermost enclosing loop that assigns none of those bases runs twice in the C:
behind the test of those terms, as a copy whose inner guards leave them out, and as it
is otherwise (where they are tested as before, so a memory grown in between is still
seen). Nothing traps or charges differently: the test only chooses a copy, and both
copies run the same wasm with the same checks but the ones the test proves.

GCC does not do this itself: it cannot tell that the memory size only grows, and the
term computed once at the function's entry was sunk back into the loop (docs/performance.md,
aot-xgb2). Only one level is versioned (a versioned loop inside another's copy keeps its
terms inline), and a loop with a copy of its own (loops.py, guards.py, loopfuel.py) is not.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot.guards import Guard, GuardPlan
from wasmote.wasm.module import Instr

# a C comment on the test before the loop (tests find the transformation by it)
MARK = "/* bases tested once: guardhoist */"
# the longest loop (wasm instructions) that runs twice: each copy costs its code again
# (nettle-aes's round loop, 431 instructions: +3.3 KB of M4 code for no measurable gain)
MAX_LOOP = 256
_OPENS = frozenset({0x02, 0x03, 0x04})
_END, _LOOP = 0x0B, 0x03


@dataclass(frozen=True)
class Hoist:
    end: int                    # index of the outer loop's `end`
    terms: tuple[Guard, ...]    # tested once before it, left out of its inner guards


def loop_spans(instrs: list[Instr]) -> list[tuple[int, int]]:
    """(start, end) of every loop."""
    out: list[tuple[int, int]] = []
    open_: list[tuple[int, int]] = []
    for k, ins in enumerate(instrs):
        if ins.op in _OPENS:
            open_.append((k, ins.op))
        elif ins.op == _END and open_:
            s, op = open_.pop()
            if op == _LOOP:
                out.append((s, k))
    return out


def plan(instrs: list[Instr], guards: dict[int, GuardPlan],
         exclude: set[int]) -> dict[int, Hoist]:
    """Outer loop index -> the guard terms tested once before it."""
    loops = loop_spans(instrs)
    assigned = {s: {instrs[k].imm[0] for k in range(s, e) if instrs[k].op in (0x21, 0x22)}
                for s, e in loops}
    found: dict[int, tuple[int, list[Guard]]] = {}
    for g, gp in guards.items():
        outer = sorted(((s, e) for s, e in loops if s < g and e > gp.end), reverse=True)
        for term in gp.guards:
            if term.local is None:
                continue
            best = None
            for s, e in outer:  # from the innermost out, while none assigns the base
                if term.local in assigned[s] or s in exclude or e - s > MAX_LOOP:
                    break
                best = (s, e)
            if best is not None:
                entry = found.setdefault(best[0], (best[1], []))
                if term not in entry[1]:
                    entry[1].append(term)
    # one level: a loop inside another that is versioned keeps its terms inline
    out: dict[int, Hoist] = {}
    for s, (e, terms) in found.items():
        if not any(s2 < s and e < e2 for s2, (e2, _) in found.items()):
            out[s] = Hoist(e, tuple(terms))
    return out
