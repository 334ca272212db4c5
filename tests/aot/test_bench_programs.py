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
from bench.program_probe import usable
from bench.workloads import (
    EMBENCH,
    PROGRAMS,
    PROGRAMS_LEFT_OUT,
    WorkloadCheckError,
    by_name,
    check_verified,
    discover_programs,
)
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


# A release of the suite with programs this copy lacks: each a folder of C files under src/
_FOUND = {
    "tinyprog": """
static int data[64];
void initialise_benchmark(void) { for (int i = 0; i < 64; i++) data[i] = i; }
int benchmark(void) { int s = 0; for (int i = 0; i < 64; i++) s += data[i]; return s; }
int verify_benchmark(int r) { return r == 2016; }
""",
    # a kernel's name: the program becomes embench-matmul
    "matmul": """
static volatile int x = 6;
void initialise_benchmark(void) {}
int benchmark(void) { return x * 7; }
int verify_benchmark(int r) { return r == 42; }
""",
    # libm, which the bench's C library does not have
    "needsmath": """
double cos(double);
static volatile double x = 0.5;
void initialise_benchmark(void) {}
int benchmark(void) { return (int)(cos(x) * 1000); }
int verify_benchmark(int r) { return r == 877; }
""",
    "wrongverify": """
void initialise_benchmark(void) {}
int benchmark(void) { return 1; }
int verify_benchmark(int r) { return r == 2; }
""",
}


@pytest.fixture
def left_out_restored():
    saved = dict(PROGRAMS_LEFT_OUT)
    yield PROGRAMS_LEFT_OUT
    PROGRAMS_LEFT_OUT.clear()
    PROGRAMS_LEFT_OUT.update(saved)


def test_programs_of_another_release_are_found_run_or_left_out_with_why(tmp_path, driver,
                                                                          left_out_restored):
    """The bench runs every program of the suite that builds freestanding and lists the
    others with the reason, also those of a release its table does not describe."""
    (tmp_path / "src").mkdir()
    (tmp_path / "support").symlink_to(EMBENCH / "support")
    (tmp_path / "src" / "crc32").symlink_to(EMBENCH / "src" / "crc32")  # described: not found
    for name, text in _FOUND.items():
        (tmp_path / "src" / name).mkdir()
        (tmp_path / "src" / name / f"{name}.c").write_text(text)
    found = discover_programs(tmp_path)
    assert [w.name for w in found] == ["embench-matmul", "needsmath", "tinyprog",
                                       "wrongverify"]
    runs = usable(found)
    assert [w.name for w in runs] == ["embench-matmul", "tinyprog"]
    assert "undefined symbol: cos" in left_out_restored["needsmath"]
    assert left_out_restored["needsmath"].startswith("does not build freestanding: ")
    assert left_out_restored["wrongverify"] == "its own verification fails on wasmtime"
    for w in runs:
        ref = run_wasmtime(w.wasm(), 1)
        check_verified(w, ref)
        assert run_ours(driver, w.wasm(), 1, 1)[0] == ref
    assert usable([by_name("coremark")]) == (by_name("coremark"),)  # described: not probed


def _many_loops(n: int) -> str:
    loops = "".join(f"    for (int i = 0; i < k; i++) s += i ^ {i};\n" for i in range(n))
    return ("static volatile int k = 1;\nvoid initialise_benchmark(void) {}\n"
            "int benchmark(void) {\n    int s = 0;\n" + loops + "    return s;\n}\n"
            "int verify_benchmark(int r) { (void)r; return 1; }\n")


def test_a_program_the_aot_or_a_board_refuses_is_left_out_with_why(tmp_path,
                                                                    left_out_restored):
    """What bench/aot.py builds beyond wasm and the host (AOT code, the M4 image's object)
    is probed too: a program one of them refuses is left out, named, instead of stopping the
    bench half-way."""
    from bench.aot import probe_needs

    (tmp_path / "src").mkdir()
    (tmp_path / "support").symlink_to(EMBENCH / "support")
    progs = {
        "tinyprog": _FOUND["tinyprog"],
        # builds for wasm and the host, not for the board's GCC
        "notforarm": "#ifdef __arm__\n#error not for Arm\n#endif\n" + _FOUND["tinyprog"],
        # more loops in one function than the translator takes (docs/aot.md, size caps)
        "manyloops": _many_loops(1100),
    }
    for name, text in progs.items():
        (tmp_path / "src" / name).mkdir()
        (tmp_path / "src" / name / f"{name}.c").write_text(text)
    found = discover_programs(tmp_path)
    runs = usable(found, probe_needs(lx106=False))
    assert [w.name for w in runs] == ["tinyprog"]
    assert left_out_restored["notforarm"].startswith(
        "no AOT code and native object for mps2-an386: ")
    assert "not for Arm" in left_out_restored["notforarm"]
    assert left_out_restored["manyloops"].startswith("no AOT code for the host: ")

