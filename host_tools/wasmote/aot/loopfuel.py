"""A counted loop's fuel paid once, before a copy of the loop that charges nothing.

Every branch back to a loop is a fuel check point charging the same constant k (the most
the body can cost on any path, wasmote.wasm.fuel): `fl -= k; if (fl < 0) refuel`, a
subtraction and a branch per iteration that also ties up a register. For a loop whose trip
count n is known at its entry (loops.py's counted loops: straight-line body ending in
`br_if 0`, a counter moving by a constant step until it hits a value the loop does not
change) and whose body has no other check point (no call, no bulk work, no memory.grow),
the loop's fuel is known at its entry: the entry's own charge e plus (n - 1) * k for the
n - 1 branches back. A loop with blocks, ifs and exits in its body qualifies too when its
only branch back is the final `br_if 0` on a counter stepped once at the body's top level
(_branching): it runs at most n times, and its fuel is at most that. When the slice holds
all of it, no charge in the loop could go negative, so none could have suspended: the
translator runs a copy of the loop without charges behind that test, and the ordinary loop
otherwise (it suspends where the interpreter does).

The copy counts the branches back it took (`it`) instead of charging them and charges
it * k where it leaves (falls out, branches out, returns: translate.py's branch_code), so
the fuel left is the interpreter's after the loop. Inside the copy the fuel a trap reports
(the prelude's FL) is fl - it * k, the interpreter's fuel at that trap: its charges of the
iterations done so far, not of the ones to come. The test (the prelude's FUEL_COVERS) is
n - 1 <= (fl - e) / k, with no product that could wrap: a trip count near 2^32 against a
small slice takes the ordinary loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.aot import checks, loops
from wasmote.aot.loopcost import LoopCosts
from wasmote.wasm.module import BLOCK_EMPTY, Instr

# what the charge-free copy cannot hold: check points of their own (calls) and work charged
# by size or through the runtime's services, which read and write the slice themselves
CHARGING = frozenset({
    0x10, 0x11,                          # call, call_indirect
    0x40,                                # memory.grow
    0xFC08, 0xFC0A, 0xFC0B,              # memory.init, memory.copy, memory.fill
    0xFC0C, 0xFC0E, 0xFC0F, 0xFC11,      # table.init, table.copy, table.grow, table.fill
})


# the longest loop body (wasm instructions) that gets a copy: a charge saved per iteration
# is under 1 % of a longer body, and the copy doubles its code (nsichneu's one loop of 9 207
# instructions: 1.69 M -> 2.25 M instructions on the M4 with a copy; the aes kernel's of
# 529: 0.93 M -> 1.10 M)
_BODY_MAX = 256


@dataclass(frozen=True)
class FuelLoop:
    """A counted loop whose fuel the slice can cover at its entry."""

    end: int              # index of the loop's `end`
    cmp: str              # the loop runs again while: "ne" counter != 0, "ltu"/"lts"
    counter: loops.Lin    # counter < bound (unsigned/signed; counter.step > 0), "leu"/"les"
    bound: loops.Lin | None
    entry: int            # the loop entry's charge (from above)
    back: int             # every branch back's charge


def plan(instrs: list[Instr], i: int, func_arity: list[tuple[int, int]],
         type_arity: list[tuple[int, int]], entry: int, back: int,
         costs: LoopCosts | None = None) -> FuelLoop | None:
    """The plan for the `loop` at index i (charging `entry` when entered from above and
    `back` at each branch back), or None when its fuel is not known at its entry or, by
    `costs`, the loop is too short for the entry test (loopcost.py)."""
    counted = loops.plan_loop(instrs, i, func_arity, type_arity, accesses=False)
    if counted is not None and counted.exits and counted.bound is not None and \
            costs is not None and \
            loops.plan_loop(instrs, i, func_arity, type_arity, costs=costs) is None:
        # a search whose bound says nothing of how often it runs (loopcost.py): its charges
        # are left out only along with its checks, when those pay for the test
        counted = None
    found = (counted.end, counted.cmp, counted.counter, counted.bound) \
        if counted is not None else _branching(instrs, i)
    if found is None:
        return None
    end, cmp, counter, bound = found
    if end - i > _BODY_MAX or any(instrs[k].op in CHARGING for k in range(i + 1, end)):
        return None
    if costs is not None and not costs.worth_fuel_copy(i, cmp, counter, bound):
        return None
    return FuelLoop(end, cmp, counter, bound, entry, back)


def _branching(instrs: list[Instr], i: int, nested: bool = False
               ) -> tuple[int, str, loops.Lin, loops.Lin | None] | None:
    """A loop with blocks, ifs and exits in its body (loops.py takes only straight-line
    ones) that still has a trip count bound at its entry: its only branch back is the
    `br_if 0` that ends it, whose condition is `c != b`, `c != const` or `c` for a local c
    stepped once per iteration at the body's top level (`c = c + s`: every path to that
    `br_if` passes it) and a local b the body never assigns; or `c < b`, `b > c` (signed
    or not; loops.relation: s > 0, or s < 0 read as ~c < ~b). Then the loop branches back
    at most wm_trips(...) - 1 or wm_backs_*(...) times (an exit leaves earlier). (end, "ne"
    and the linear form of c - b, or "ltu"/"lts" and those of the rising form and the
    bound). `nested`: loops inside the body are
    allowed (a level like a block; a branch to them is not one back to this loop)."""
    if instrs[i].op != 0x03 or instrs[i].imm[0] != BLOCK_EMPTY:
        return None
    end = loops.matching_end(instrs, i)
    if end is None or end < i + 2 or instrs[end - 1].op != 0x0D or instrs[end - 1].imm[0]:
        return None
    depth = 0
    assigned: dict[int, list[int]] = {}
    for k in range(i + 1, end - 1):
        ins = instrs[k]
        op = ins.op
        if op == 0x03 and not nested:
            return None
        if op in (0x02, 0x03, 0x04):
            depth += 1
        elif op == 0x0B:
            depth -= 1
        elif op in (0x0C, 0x0D) and ins.imm[0] == depth:
            return None      # another branch back
        elif op == 0x0E and depth in ins.imm:
            return None
        elif op in (0x21, 0x22):
            assigned.setdefault(ins.imm[0], []).append(k if depth == 0 else -1)
    # the counter's update: local.get c; i32.const s; i32.add; local.set/tee c (top level)
    steps: dict[int, tuple[int, int]] = {}   # c -> (index of its set/tee, s)
    for c, at in assigned.items():
        k = at[0]
        if len(at) == 1 and k >= i + 4 and instrs[k - 3].op == 0x20 and \
                instrs[k - 3].imm[0] == c and instrs[k - 2].op == 0x41 and \
                instrs[k - 1].op == 0x6A and 0 < abs(instrs[k - 2].imm[0]) < 1 << 30:
            steps[c] = (k, instrs[k - 2].imm[0])
    # the condition, right before the br_if: its operands, as linear forms
    cond = end - 2
    op = instrs[cond].op
    if op in _COMPARE:
        x, y = _operand(instrs, cond - 2, steps, assigned), \
            _operand(instrs, cond - 1, steps, assigned)
    else:
        x, y = _operand(instrs, cond, steps, assigned), loops.Lin((), 0, 0)
        op = 0x47
    if x is None or y is None:
        return None
    if op == 0x47:  # runs again while x - y != 0
        d = x.add(y, -1)
        return (end, "ne", d, None) if d is not None and d.step else None
    # loops.py's reading of a compare (a rising counter against an invariant bound, a
    # falling one as ~x against ~y); `x >u y` with x rising was read as `x <u y` here
    rel = loops.relation(op, x, y)
    return (end, rel.cmp, rel.counter, rel.bound) if rel is not None else None


# i32.ne, lt_s, lt_u, gt_s, gt_u
_COMPARE = frozenset({0x47, 0x48, 0x49, 0x4A, 0x4B})


def _operand(instrs: list[Instr], k: int, steps: dict[int, tuple[int, int]],
             assigned: dict[int, list[int]]) -> loops.Lin | None:
    """The value instruction k pushes as a linear form (its value in the first iteration,
    its step): a constant, a local the body never assigns, or a counter (read before or
    after its update; the update's own tee), else None."""
    ins = instrs[k]
    if ins.op == 0x41:
        return loops.Lin((), ins.imm[0], 0) if abs(ins.imm[0]) < 1 << 30 else None
    if ins.op == 0x20 and ins.imm[0] not in assigned:
        return loops.Lin(((ins.imm[0], 1),), 0, 0)
    if ins.op in (0x20, 0x22) and ins.imm[0] in steps:
        upd, st = steps[ins.imm[0]]
        if ins.op == 0x22 and upd != k:
            return None
        return loops.Lin(((ins.imm[0], 1),), st if upd <= k else 0, st)
    return None


def unversioned(instrs: list[Instr], func_arity: list[tuple[int, int]],
                type_arity: list[tuple[int, int]], segments: dict[int, checks.Segment],
                copied: set[int], costs: LoopCosts | None = None) -> dict[int, checks.Segment]:
    """Without fuel: `segments` (checks.py) less those in the body of a loop that the fuel
    build runs as its charge-free copy and for which no other copy (loops.py, guards.py:
    the loops in `copied`) is made. The copy is emitted without segments and GCC makes a
    simpler loop of it: a segment that ends in the loop's exit test is a diamond whose two
    arms each compute that test, so the test becomes a 0/1 value joined after it, and its
    combined check reloads a literal every iteration (md5sum's 64-step round loop: 3.53 M
    M4 instructions without fuel against 2.98 M with). Without fuel there is nothing to
    test at the entry, so the loop itself takes that shape, not a second copy (a loop too
    short for the copy, by `costs`, keeps its segments as in the fuel build)."""
    out = dict(segments)
    for i, ins in enumerate(instrs):
        if ins.op != 0x03 or i in copied:
            continue
        fl = plan(instrs, i, func_arity, type_arity, 0, 0, costs)
        if fl is not None:
            for k in range(i + 1, fl.end):
                out.pop(k, None)
    return out


def trip_bound(instrs: list[Instr], i: int) -> tuple[str, str, loops.Lin, loops.Lin | None] | None:
    """A bound on how often the loop at i runs its body at its entry, when its only branch
    back is its final `br_if` on a counter stepped at its top level (_branching, inner
    loops allowed): (the C expression of the bound, a u64, 0 when not known, as a
    function of the locals at the entry; the comparison and the linear forms)."""
    found = _branching(instrs, i, nested=True)
    if found is None:
        return None
    _, cmp, counter, bound = found
    return loops.runs_c(cmp, counter, bound), cmp, counter, bound


def iterations(label: int) -> str:
    """The C name of the copy's count of branches back taken."""
    return f"it{label}_"


def covered(fl: FuelLoop) -> str:
    """The C condition (before the loop's entry charge) under which the slice holds the
    whole loop's fuel: the entry and n - 1 branches back, n its trip count (0: not counted,
    the ordinary loop runs)."""
    if fl.bound is not None:
        backs = loops.backs_c(fl.cmp, fl.counter, fl.bound)
        return f"FUEL_COVERS({backs}, {fl.back}, {fl.entry})"
    trips = loops.runs_c(fl.cmp, fl.counter, None)
    return f"({{ u64 n_ = {trips}; n_ && FUEL_COVERS(n_ - 1u, {fl.back}, {fl.entry}); }})"


def copy_open(fl: FuelLoop, label: int) -> list[str]:
    """C lines at the top of the charge-free copy (after the entry charge): the count of
    branches back, and traps in the copy reporting the fuel the interpreter has there."""
    it = iterations(label)
    return [f"u32 {it} = 0;", '#pragma push_macro("FL")', "#undef FL",
            f"#define FL ((uintptr_t)(fl - (intptr_t){it} * {fl.back}))"]


def leave(it: str, back: int) -> str:
    """C statement where the copy leaves the loop (falls out, branches out, returns): the
    branches back it took, charged (covered at the entry, so no check)."""
    return f"fl -= (intptr_t){it} * {back};"


def copy_close(fl: FuelLoop, label: int) -> list[str]:
    """C lines where the copy falls out of the loop."""
    return [leave(iterations(label), fl.back), '#pragma pop_macro("FL")']
