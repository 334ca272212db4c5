"""Fuel bounds a slice on the Cortex-M4F (issue 14, item 4): the attacks of bench/fuel.py
run on mps2-an386 under QEMU -icount (instruction counts are deterministic there) in the
supervisor's slices, interpreted, as AOT code and as AOT code isolated by the MPU, and no
slice may run longer than SLICE_BOUND instructions: the cap (WM_SUP_SLICE_MAX units of
work) times the most instructions a unit buys (bench/fuel.py measures ~32; docs/supervisor.md,
"Fuel"), with a little room. On main before the fix, the straight-line attack alone ran a
slice of ~10000 x 2000 instructions (one unit per loop turn) and the log flood ~10000 lines;
before log lines were charged per line too, the empty-line flood ran slices of 1.6 M.
"""

from __future__ import annotations

import pytest

from bench.fuel import Pkg, Probe, build, run, slice_cap, snippet_weight
from bench.fuel_probes import (
    F_LOG,
    F_MANY,
    MANY_LOCALS,
    REPS,
    C,
    Z,
    get,
    i32c,
    keep,
    loop,
    module,
    random_big,
    random_flood,
    straight,
    uleb,
)
from wasmote.wasm.module import I64

pytestmark = [pytest.mark.qemu, pytest.mark.slow]

PER_UNIT = 33  # instructions a unit of fuel buys at most (measured: 31.9)
SLICE_BOUND = PER_UNIT * 10_000  # 330 000 instructions: 13.2 ms at the board's 25 MHz

TRUNC = get(C) + b"\xae" + keep(I64)  # f32 -> i64 trapping conversion, kept in a global


def _attacks() -> list[Pkg]:
    def one(name: str, body: bytes, memory: int = 2 << 16, pkg: str = "", slices: int = 8,
            **kw: object) -> Pkg:
        wasm = module([("run", body)], **kw)  # type: ignore[arg-type]
        return Pkg(pkg or name.replace(":", "_").replace("-", "_"), wasm, memory,
                   [Probe(name, "run", 1 << 30, True, slices)])
    trunc = snippet_weight(TRUNC)
    return [
        one("straight:trunc", loop(straight(TRUNC, trunc), 1)),
        one("loop:trunc", loop(TRUNC, REPS)),
        one("bulk:copy-misaligned", loop(i32c(1) + get(Z) + i32c((1 << 20) - 1) +
                                         b"\xfc\x0a\x00\x00", 1), 16 << 16, pages=(16, 16)),
        one("locals:entry", loop(b"\x10" + uleb(F_MANY), 1), many=MANY_LOCALS),
        one("host:log-flood", loop(get(Z) + i32c(128) + b"\x10" + uleb(F_LOG) + b"\x1a", 4)),
        # empty lines from a module named "l" fill the device's log ring with 3-byte entries
        # (~15 lines a slice, 341 fill it); each line after that compacts the ring
        one("host:log-ring", loop(get(Z) + get(Z) + b"\x10" + uleb(F_LOG) + b"\x1a", 4),
            pkg="l", slices=30),
        # each call a DRBG request; one request of 64 KiB (filled 64 bytes a slice)
        Pkg("random_flood", random_flood(), 2 << 16,
            [Probe("host:random-flood", "run", 1 << 30, True, 8)]),
        Pkg("random_big", random_big(), 2 << 16,
            [Probe("host:random-64KiB", "run", 1 << 30, True, 8)]),
    ]


def test_no_slice_runs_past_its_bound(tmp_path):
    assert slice_cap() == 10_000  # (SLICE_BOUND is for this cap)
    res = run(build(_attacks(), tmp_path / "m4"), timeout=900)
    assert not res.refused
    seen = set()
    for (label, engine), (slice_fuel, stretch, n, most, _total) in res.slices.items():
        seen.add((label, engine))
        assert n >= 2, (label, engine)  # it was preempted, not finished
        assert slice_fuel + stretch <= 10_000 or slice_fuel == 1, (label, engine)
        assert res.instructions(most) <= SLICE_BOUND, (label, engine, res.instructions(most))
    assert len(seen) == 8 * 3
    # the attacks do bite: the interpreter's straight-line stretch alone is most of a slice
    assert res.instructions(res.slices[("straight:trunc", "interp")][3]) > SLICE_BOUND / 2
