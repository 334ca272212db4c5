"""Smoke test of the benchmark kernels: they compile (zig cc -> wasm, cc -> native) and give
the same checksum on our runtime, wasmtime and native code. Timing is bench/interp.py's job."""

from __future__ import annotations

import pytest

from bench.interp import KERNELS, build_native, build_wasm, run_native, run_ours, run_wasmtime


@pytest.mark.parametrize("kernel", KERNELS, ids=[k.name for k in KERNELS])
def test_kernel_checksums_agree(kernel, spec_driver_release):
    wasm = build_wasm(kernel.name)
    ours, _ = run_ours(spec_driver_release, wasm, 1, 1)
    assert ours == run_wasmtime(wasm, 1) == run_native(build_native(kernel.name), 1, 1)[0]
