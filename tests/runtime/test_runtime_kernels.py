"""Smoke test of the benchmark kernels: they compile (zig cc -> wasm, cc -> native) and give
the same checksum on our runtime, wasmtime and native code. Timing is bench/interp.py's job."""

from __future__ import annotations

import pytest

from bench.interp import build_native, build_wasm, run_native, run_ours, run_wasmtime
from bench.workloads import KERNELS
from tests.harness.spec_driver import Answer, DriverProcess


@pytest.mark.parametrize("kernel", KERNELS, ids=[k.name for k in KERNELS])
def test_kernel_checksums_agree(kernel, spec_driver_release):
    wasm = build_wasm(kernel.name)
    ours, _ = run_ours(spec_driver_release, wasm, 1, 1)
    assert ours == run_wasmtime(wasm, 1) == run_native(build_native(kernel.name), 1, 1)[0]


def test_kernel_survives_fuel_slices(spec_driver_release):
    """A real loop nest cut into many fuel slices gives the same checksum as one run."""
    wasm = build_wasm("sha256")
    with DriverProcess(spec_driver_release) as d:
        assert d.command(f"module $k {d.module_source(wasm)}") == "ok"
        whole = Answer.parse(d.command("invoke $k run i32:2"))
        assert d.command("fuel 100") == "ok"
        a = Answer.parse(d.command("invoke $k run i32:2"))
        slices = 0
        while a.kind == "outoffuel":
            a = Answer.parse(d.command("resume $k 100"))
            slices += 1
    assert a.raw == whole.raw and whole.kind == "ok"
    assert slices > 50
