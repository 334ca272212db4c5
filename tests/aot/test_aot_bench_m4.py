"""The AOT bench image (bench/aot.py) on the Cortex-M4F builds and runs every engine under QEMU:
native, AOT, interpreter, and AOT isolated by the MPU with and without software bounds
checks, in one call and in the supervisor's fuel slices. Every checksum must agree, the MPU
must be on and code without bounds checks must be refused unisolated. Numbers are the
bench's business (docs/performance.md); this only keeps the image from rotting (it once
stopped linking when core/aot gained its isolating half in aot/arch/*.c)."""

from __future__ import annotations

import pytest

from bench.aot import (
    AOT_KERNELS,
    MPU_ENGINES,
    build_m4_image,
    m4_table,
    mpu_table,
    overheads,
    run_m4,
)
from bench.workloads import EMPTY, by_name, programs_available

pytestmark = [pytest.mark.qemu, pytest.mark.slow]


def test_m4_bench_runs_isolated_engines(tmp_path):
    crc32 = next(k for k in AOT_KERNELS if k.name == "crc32")
    res = run_m4(build_m4_image((crc32, EMPTY), out=tmp_path / "m4"), timeout=300)
    assert res.isolation == 7  # PMSAv7 on the Cortex-M4F
    assert res.refused == {"crc32", "empty"}
    table = mpu_table((crc32,), res)  # raises when an engine's checksum differs
    assert "| crc32 |" in table
    assert "under the MPU" in overheads((crc32,), res)
    for engine in (*MPU_ENGINES, "native", "interp", "aot-nofuel"):
        assert res.run[("crc32", engine)][0] == res.run[("crc32", "native")][0], engine
    assert res.slices[("crc32", "iso-slice")] >= 2  # the sliced call really was cut
    assert res.again[("empty", "iso")][0] == 1  # run(1) of the empty kernel returns 1



@pytest.mark.skipif(not programs_available(), reason="../shared/bench-programs is absent")
def test_m4_sliced_aot_keeps_its_registers_across_refuel(tmp_path):
    """xgboost's loop over trees keeps values in r1-r3 and r12 across its check points
    (the prelude's wm_refuel_keep saves them around the runtime's refuel): cut into the
    supervisor's slices, each slice's end a refuel that suspends the call and a resume that
    comes back there, and refuelled every 40 000 units under the MPU, it must still compute
    what native code does."""
    xgb = by_name("xgboost")
    res = run_m4(build_m4_image((xgb,), out=tmp_path / "m4", interp=False), timeout=900)
    native = res.run[("xgboost", "native")][0]
    for engine in ("aot", "aot-slice", "iso", "iso-slice", "iso-nb-slice"):
        assert res.run[("xgboost", engine)][0] == native, engine
    assert res.slices[("xgboost", "aot-slice")] >= 100  # each slice end went through refuel

def test_lx106_bench_runs_native_aot_and_interp(tmp_path):
    """The same image on the Xtensa LX106 (CCOUNT as the counter, the kernels natively with
    xtensa-lx106-elf-gcc): no MPU, so no isolated engines; every checksum agrees."""
    crc32 = next(k for k in AOT_KERNELS if k.name == "crc32")
    res = run_m4(build_m4_image((crc32, EMPTY), "xtensa-lx106", tmp_path / "lx106"),
                 "xtensa-lx106", timeout=300)
    assert res.isolation == 0 and res.calib > 0
    assert "| crc32 |" in m4_table((crc32,), res)  # raises when a checksum differs
    assert res.run[("crc32", "aot")][0] == res.run[("crc32", "native")][0]
