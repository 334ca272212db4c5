"""An inner loop's entry charge paid by the branch back of the loop around it (an
optimisation of translate.py's fuel).

A loop whose body starts with straight-line code and then enters an inner loop (xgboost's
loop over trees: a few loads, then the tree walk) passes two check points an iteration: its
own header, charged by each branch back to it (k), and the inner loop's entry (e), charged
when the inner loop is entered from above. No path between them branches, calls or spends
fuel in pieces, so every iteration that does not trap in between charges k and then e.
The branch back charges k + e in one subtraction and branch (PREPAY) and jumps to a copy of
the code in between that ends past the inner loop's entry charge. When the slice does not
hold k + e, it gives e back and charges k as before (PREPAY_SHORT), then runs the ordinary
code, whose entry charge suspends where the interpreter does: the hot path runs only when
neither charge could go negative, so no suspension point moves. A trap in the copy reports
the fuel the interpreter has there, e more than the slice (the copy's FL).

Only outer loops that translate.py emits once (no checked-once or charge-free copy of
their own: loops.py, guards.py, loopfuel.py), and only inner loops with an entry test of
their own (loops.py, guards.py; not loopfuel.py's, which tests the slice after the charge):
the copy joins before that test. Without one, the copy and the ordinary code meet at the
inner loop's header, which then heads the outer loop too: aha-mont64 +4.5 % and the aes
kernel +10 % M4 instructions (an empty asm at the join undid both), ud +15 % (which it did
not; docs/performance.md, aot-xgb3).
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot.stackcheck import CALL_OPS
from wasmote.wasm.module import Instr

_BLOCK, _LOOP = 0x02, 0x03
# control flow (unreachable, loop, if, else, end, br, br_if, br_table, return, the tail
# calls), grows and every 0xFC operation from memory.init on (bulk work and tables spend
# fuel in pieces; the saturating truncations below it are plain)
_NOT_PLAIN = frozenset({0x00, 0x03, 0x04, 0x05, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F, 0x12, 0x13,
                        0x40}) | CALL_OPS


@dataclass(frozen=True)
class Prepay:
    inner: int   # the inner loop's instruction index
    back: int    # the outer loop's branch back charge (k)
    entry: int   # the inner loop's entry charge (e)


def plan(instrs: list[Instr], loop_in: dict[int, int], loop_back: dict[int, int],
         exclude_outer: set[int], inner: set[int]) -> dict[int, Prepay]:
    """Outer loop index -> what its branches back prepay, for each loop whose body reaches
    the entry of an inner loop in `inner` through plain code and block openings only."""
    out: dict[int, Prepay] = {}
    for i, ins in enumerate(instrs):
        if ins.op != _LOOP or i in exclude_outer:
            continue
        k = i + 1
        while k < len(instrs) and instrs[k].op not in _NOT_PLAIN and \
                not 0xFC08 <= instrs[k].op <= 0xFCFF:
            k += 1
        if k < len(instrs) and instrs[k].op == _LOOP and k in inner \
                and loop_back.get(i, 0) > 0 and loop_in.get(k, 0) > 0:
            out[i] = Prepay(k, loop_back[i], loop_in[k])
    return out


def fl_open(p: Prepay) -> list[str]:
    """C lines before the paid copy: its traps report e more than the slice holds."""
    return ['#pragma push_macro("FL")', "#undef FL",
            f"#define FL ((uintptr_t)(fl + (intptr_t){p.entry}))"]


def fl_close() -> list[str]:
    return ['#pragma pop_macro("FL")']


def branch_back(p: Prepay, loop_label: int) -> list[str]:
    """C statements of a branch back to the outer loop (labelled L<loop_label>)."""
    return [f"if (PREPAY({p.back}, {p.entry})) goto L{loop_label}p;",
            f"PREPAY_SHORT({p.entry});"]
