"""Smoke test of the benchmark programs nobody here wrote (bench/workloads.py): two of them
build three ways (zig cc -> wasm, cc -> host, the board's GCC -> an object for the M4 bench
image) and give the same checksum, with the program's own verification passed, natively, on
wasmtime, on our interpreter and as AOT code for this host. The speed tables are
bench/aot.py's; this keeps the builds and the harness from rotting and catches a translator
change that miscomputes real code."""

from __future__ import annotations

import subprocess

import pytest

from bench.aot import package, run_driver
from bench.interp import run_native, run_ours, run_wasmtime
from bench.workloads import PROGRAMS, WorkloadCheckError, by_name, check_verified
from bench.workloads import programs_available as _available
from wasmote import posix_build

pytestmark = pytest.mark.skipif(not _available(), reason="../shared/bench-programs/ not found "
                                "(the benchmark programs live beside the repository)")

# CoreMark: lists, matrices, a state machine, CRCs, calls through function pointers;
# qrduino: byte tables, memset/memcpy, nested loops over a bitmap
SMOKE = ("coremark", "qrduino")


@pytest.fixture(scope="module")
def driver():
    return posix_build.build_program("wasmote-spec", "release")


@pytest.mark.parametrize("name", SMOKE)
def test_program_agrees_everywhere(name, driver):
    w = by_name(name)
    ref = run_wasmtime(w.wasm(), 1)
    check_verified(w, ref)
    assert run_native(w.native(), 1, 1)[0] == ref
    assert run_ours(driver, w.wasm(), 1, 1)[0] == ref
    assert run_driver(driver, package(name, ("host",))[0], 1) == ref


def test_program_objects_export_only_run():
    """Many programs share one M4 image: each object's only global definition is its run."""
    w = by_name("coremark")
    obj = w.arm_object("arm-none-eabi", ("-mcpu=cortex-m4", "-mthumb"))
    nm = subprocess.run(["arm-none-eabi-nm", "-g", "--defined-only", str(obj)],
                        capture_output=True, text=True, check=True).stdout.split()
    assert nm[1::3] == ["T"] and nm[2::3] == ["run_coremark"]


def test_a_failed_verification_is_an_error():
    w = by_name("coremark")
    with pytest.raises(WorkloadCheckError, match="verification failed"):
        check_verified(w, 0x1234)
    check_verified(w, 0x1235)
    check_verified(by_name("crc32"), 0x1234)  # a kernel has no verdict bit


def test_every_program_has_a_unique_name():
    names = [p.name for p in PROGRAMS]
    assert len(names) == len(set(names)) == 20
