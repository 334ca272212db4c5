"""Whether a loop's second copy pays for its entry test (an optimisation policy for loops.py
and loopfuel.py).

Both make a copy of a counted loop that runs behind a test at every entry of the loop:
loops.py's copy without bounds checks (the trip count, wm_trips, and a RANGE_OK per base
local) and loopfuel.py's copy without fuel charges (the trip count and FUEL_COVERS). On a
Cortex-M4 the tests cost about 4 instructions plus 8 a base, and 8 for the fuel; what the
copy saves is about 3 instructions an access an iteration (CHKM: a compare and a branch
against a limit, often reloaded) and about 2 a branch back (the charge: a subtraction and a
branch, against counting the branch). Compilers make loops that run only a few times and
are entered often: LLVM's remainder loop after unrolling by k (`n & (k-1)` iterations;
Embench's ud enters them ~23 000 times for 1.8 iterations on average), and the triangular
loops of small matrices, whose count is an outer loop's counter. There the tests cost more
than the copy saves, and the copy only adds code and live values to the function.

So a loop gets no copy when its trip count is known small: every value its counter can
start from gives at most `most` iterations, and what the copy saves in `most` of them does
not pay for its test (loops.py's copy cannot run at all below its _MIN_TRIPS). The counter's
start is known from what the locals hold on the path into the loop (narrow.py's signed
intervals of locals set since the last merge point: `$c = $n & 3`, `$i = 0`) or, for a
local not set on that path, from ranges.py's interval (every value it ever holds: an outer
loop's counter bounded by a constant). A start for which the count wraps around 2^32 is left
out: the loop's own guard excludes it (a loop meant to run 2^32 times is no case to
optimise). This is only a cost estimate: both copies are correct, whichever is chosen.
"""

from __future__ import annotations

from wasmote.aot import loops
from wasmote.aot.checks import _Effects
from wasmote.aot.loops import _MIN_TRIPS, Lin, LoopPlan
from wasmote.aot.narrow import Iv, _Narrow
from wasmote.aot.ranges import Rng
from wasmote.wasm.module import Instr

# M4 instructions (bench.aot_m4.profile on ud's loops)
TEST_FIXED = 4     # wm_trips and the branch, per entry
TEST_PER_BASE = 8  # one RANGE_OK, per entry
CHECK = 3          # one access's check, per iteration
FUEL_TEST = 8      # FUEL_COVERS (a division by a constant, two compares), per entry
FUEL_BACK = 2      # a branch back's charge against counting it
TEST_LT = 4        # wm_backs_* against wm_trips (a compare and a branch more), per entry

_S32 = 1 << 31


def _signed(r: Rng) -> Iv:
    return (r.lo, r.hi) if r is not None and r.hi < _S32 else None


class _EntryValues(_Narrow):
    """narrow.py's walk, keeping what the locals hold as each loop is entered; a local not
    set on the path reads as its ranges.py interval."""

    def __init__(self, effects: _Effects, type_arity: list[tuple[int, int]],
                 local_ranges: tuple[Rng, ...]) -> None:
        super().__init__(effects, type_arity)
        self.local_ranges = local_ranges
        self.at: dict[int, dict[int, Iv]] = {}

    def step(self, idx: int, ins: Instr) -> bool:
        loc = ins.imm[0] if ins.op == 0x20 else -1
        if 0 <= loc < len(self.local_ranges) and loc not in self.local:
            self.stack.append(_signed(self.local_ranges[loc]))
            return True
        return super().step(idx, ins)

    def loop_head(self, idx: int) -> None:
        self.at[idx] = dict(self.local)


class LoopCosts:
    """The policy for one function's loops (its walk done once, on first use)."""

    def __init__(self, instrs: list[Instr], func_arity: list[tuple[int, int]],
                 type_arity: list[tuple[int, int]], local_ranges: tuple[Rng, ...]) -> None:
        self.instrs = instrs
        self.effects = _Effects(func_arity, type_arity)
        self.func_arity = func_arity
        self.type_arity = type_arity
        self.local_ranges = local_ranges
        self._entry: dict[int, dict[int, Iv]] | None = None
        self._short: dict[int, int | None] = {}

    def entry(self, i: int, loc: int) -> Iv:
        """The signed values local `loc` can hold as the loop at i is entered."""
        if self._entry is None:
            w = _EntryValues(self.effects, self.type_arity, self.local_ranges)
            w.walk(self.instrs)
            self._entry = w.at
        at = self._entry.get(i)
        if at is None:  # not reached by the walk (it stops at what it does not know)
            return None
        if loc in at:
            return at[loc]
        return _signed(self.local_ranges[loc]) if loc < len(self.local_ranges) else None

    def _span(self, i: int, lin: Lin) -> Iv:
        """The values a linear form can take in its first iteration, from the loop's entry
        values (exact integers; None when a term is unknown)."""
        lo = hi = lin.const
        for loc, coef in lin.terms:
            r = self.entry(i, loc)
            if r is None or r[0] < -_S32 or r[1] >= _S32:  # the (s32) reading is exact
                return None
            lo += min(coef * r[0], coef * r[1])
            hi += max(coef * r[0], coef * r[1])
        return lo, hi

    def most_trips(self, i: int, counter: Lin) -> int | None:
        """The most iterations the loop at i runs while `counter` != 0 (wm_trips) from any
        start its locals can have (starts for which the count wraps left out), or None."""
        span = self._span(i, counter)
        if span is None:
            return None
        t = counter.step
        # the loop runs while D != 0, D = D0 + t * iteration: counting down needs D0 >= 0,
        # counting up D0 <= 0 (else it wraps)
        if t < 0:
            return span[1] // -t + 1 if span[1] >= 0 else None
        return -span[0] // t + 1 if span[0] <= 0 else None

    def most_trips_lt(self, i: int, counter: Lin, bound: Lin, signed: bool,
                      le: bool = False) -> int | None:
        """The most iterations of the loop at i that runs again while counter < bound
        (counter <= bound with `le`; counter.step > 0, bound invariant; wm_backs_*), or
        None."""
        c, b = self._span(i, counter), self._span(i, bound)
        if c is None or b is None or (not signed and c[0] < 0) or (not signed and b[0] < 0):
            return None
        return max(0, -(-(b[1] + le - c[0]) // counter.step)) + 1

    def most_runs(self, i: int, cmp: str, counter: Lin, bound: Lin | None) -> int | None:
        """most_trips or most_trips_lt, by the loop's comparison (loops.Cond)."""
        if bound is None:
            return self.most_trips(i, counter)
        return self.most_trips_lt(i, counter, bound, cmp.endswith("s"), cmp.startswith("le"))

    def worth_versioning(self, plan: LoopPlan, i: int) -> bool:
        """False when the loop at i is known to run so few times that its checked copy
        never runs or its entry test costs more than the checks it removes."""
        test = TEST_FIXED + TEST_PER_BASE * len(plan.bases)
        if plan.exits and plan.bound is not None:
            # a search (`while (j > i && a[j] > x) j--`): its bound is where the range ends,
            # not where it stops, so the count says nothing; the copy must pay for its test
            # (wm_backs_*: TEST_LT more) in _MIN_TRIPS iterations (sglib's partition, one
            # access: 3.6 iterations an entry, 4.30 -> 4.39 M with its copy; wikisort's
            # insertion sort, three: 1.99 -> 1.80 M)
            return _MIN_TRIPS * len(plan.fast) * CHECK > test + TEST_LT
        most = self.most_runs(i, plan.cmp, plan.counter, plan.bound)
        if most is None:
            return True
        return most >= _MIN_TRIPS and most * len(plan.fast) * CHECK > test

    def worth_fuel_copy(self, i: int, cmp: str, counter: Lin, bound: Lin | None) -> bool:
        """False when the loop at i is known to run so few times that FUEL_COVERS costs
        more than the charges its copy leaves out (one a branch back: trips - 1)."""
        most = self.most_runs(i, cmp, counter, bound)
        return most is None or (most - 1) * FUEL_BACK > FUEL_TEST

    def back_hint(self, i: int) -> str | None:
        """For the loop at i known to run at most `most` < _MIN_TRIPS times (so it gets no
        copy): the probability of its branch back, (most - 1) / most, as a C literal. GCC
        otherwise takes such a loop for one that runs long: it hoists the loop's invariants
        (its checks' limits) out of it and of the loops around it, and they stay live, in
        registers or spilled, across the whole outer loop (ud without fuel: 4.40 M ->
        4.49 M instructions without the hint, 4.42 M with it)."""
        if i not in self._short:
            counted = loops.plan_loop(self.instrs, i, self.func_arity, self.type_arity,
                                      accesses=False)
            # `!=` loops only: nettle-sha256's 3-round `< 48` loop of 1 308 charges is
            # worse with the hint (3.36 -> 3.41 M)
            most = self.most_trips(i, counted.counter) \
                if counted is not None and counted.bound is None else None
            self._short[i] = most if most is not None and most < _MIN_TRIPS else None
        most = self._short[i]
        return None if most is None else f"{(most - 1) / most:.2f}"
