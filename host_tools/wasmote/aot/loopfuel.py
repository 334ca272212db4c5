"""A counted loop's fuel paid once, before a copy of the loop that charges nothing.

Every branch back to a loop is a fuel check point charging the same constant k (the most
the body can cost on any path, wasmote.wasm.fuel): `fl -= k; if (fl < 0) refuel`, a
subtraction and a branch per iteration that also ties up a register. For a loop whose trip
count n is known at its entry (loops.py's counted loops: straight-line body ending in
`br_if 0`, a counter moving by a constant step until it hits a value the loop does not
change) and whose body has no other check point (no call, no bulk work, no memory.grow),
the loop's fuel is known at its entry: the entry's own charge e plus (n - 1) * k for the
n - 1 branches back. When the slice holds all of it, no charge in the loop could go
negative, so none could have suspended: the translator runs a copy of the loop without
charges behind that test, and the ordinary loop otherwise (it suspends where the
interpreter does).

The copy counts the branches back it took (`it`) instead of charging them and charges
it * k when it leaves, so the fuel left is the interpreter's after the loop. Inside the
copy the fuel a trap reports (the prelude's FL) is fl - it * k, the interpreter's fuel at
that trap: its charges of the iterations done so far, not of the ones to come. The test
computes (n - 1) * k + e in 64 bits: n <= 2^32 and k <= REGION_MAX, so it cannot wrap, and
a trip count near 2^32 against a small slice takes the ordinary loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot import loops
from wasmote.wasm.module import Instr

# what the charge-free copy cannot hold: check points of their own (calls) and work charged
# by size or through the runtime's services, which read and write the slice themselves
_CHARGING = frozenset({
    0x10, 0x11,                          # call, call_indirect
    0x40,                                # memory.grow
    0xFC08, 0xFC0A, 0xFC0B,              # memory.init, memory.copy, memory.fill
    0xFC0C, 0xFC0E, 0xFC0F, 0xFC11,      # table.init, table.copy, table.grow, table.fill
})


@dataclass(frozen=True)
class FuelLoop:
    """A counted loop whose fuel the slice can cover at its entry."""

    end: int              # index of the loop's `end`
    counter: loops.Lin    # the loop runs while this is not 0 (loops.LoopPlan.counter)
    entry: int            # the loop entry's charge (from above)
    back: int             # every branch back's charge


def plan(instrs: list[Instr], i: int, func_arity: list[tuple[int, int]],
         type_arity: list[tuple[int, int]], entry: int, back: int) -> FuelLoop | None:
    """The plan for the `loop` at index i (charging `entry` when entered from above and
    `back` at each branch back), or None when its fuel is not known at its entry."""
    counted = loops.plan_loop(instrs, i, func_arity, type_arity, accesses=False)
    if counted is None:
        return None
    if any(instrs[k].op in _CHARGING for k in range(i + 1, counted.end)):
        return None
    return FuelLoop(counted.end, counted.counter, entry, back)


def iterations(label: int) -> str:
    """The C name of the copy's count of branches back taken."""
    return f"it{label}_"


def covered(fl: FuelLoop) -> str:
    """The C condition (before the loop's entry charge) under which the slice holds the
    whole loop's fuel: the entry and n - 1 branches back, n its trip count (0: not counted,
    the ordinary loop runs)."""
    trips = f"wm_trips({loops.lin_c(fl.counter)}, {fl.counter.step})"
    return f"({{ u64 n_ = {trips}; n_ && FUEL_COVERS(n_ - 1u, {fl.back}, {fl.entry}); }})"


def copy_open(fl: FuelLoop, label: int) -> list[str]:
    """C lines at the top of the charge-free copy (after the entry charge): the count of
    branches back, and traps in the copy reporting the fuel the interpreter has there."""
    it = iterations(label)
    return [f"u32 {it} = 0;", '#pragma push_macro("FL")', "#undef FL",
            f"#define FL ((uintptr_t)(fl - (intptr_t){it} * {fl.back}))"]


def copy_close(fl: FuelLoop, label: int) -> list[str]:
    """C lines where the copy falls out of the loop: the branches back it took, charged
    (covered at the entry, so no check)."""
    return [f"fl -= (intptr_t){iterations(label)} * {fl.back};", '#pragma pop_macro("FL")']
