"""The pre-decoded interpreter (issue 20 stage 1, docs/predecoded.md) through the posix
driver's --predecode: every module is translated (RAM standing in for the store) and must
run pre-decoded, never silently in place; the spec suite at 100 % on it; the same fuel
charges and suspension points as the in-place interpreter (counted by the driver's
`resumes` under the same fuel slices); random modules agree with the in-place path and
wasmtime (the differential campaign's machinery)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from bench.interp import build_wasm
from tests.campaigns import differential as d
from tests.harness.spec_driver import Answer, DriverProcess
from tests.harness.spec_runner import run_spec_file
from tests.runtime.spec_exclusions import EXCLUSIONS
from tests.runtime.spec_reports import reports
from tests.runtime.test_runtime_spec import SPEC_FILES

PD = ["--predecode"]


@pytest.mark.parametrize("name", SPEC_FILES)
def test_spec_file_predecoded(name, spec_json_dir, spec_driver_release, request):
    with DriverProcess(spec_driver_release, PD, timeout=60.0) as drv:
        report = run_spec_file(spec_json_dir / name / f"{name}.json", drv, EXCLUSIONS)
        translated, in_place = map(int, drv.command("predecoded").split()[1:3])
        rc = drv.close()
    reports(request.config).setdefault("pre-decoded", {})[name] = report
    assert not report.failures, report.failure_text()
    assert rc == 0, drv.stderr_text()[-2000:]
    assert in_place == 0, f"{in_place} modules ran in place, not pre-decoded"
    assert translated > 0 or all(o.type != "assert_return" for o in report.outcomes)


# Fuel slices that cut calls at many different points (as the differential campaign's).
SLICES = "1 3 7 13 29 41 61 97 5 17 53 83"


def _sliced_run(exe: Path, args: list[str], wasm: Path, call: str) -> tuple[str, int]:
    """(answer, resumes) of `call` run in the driver's fuel slices."""
    with DriverProcess(exe, args, timeout=120.0) as drv:
        assert drv.command(f"module $k {drv.module_source(wasm)}") == "ok"
        assert drv.command("fuel 2") == "ok"
        assert drv.command(f"slices {SLICES}") == "ok"
        a = Answer.parse(drv.command(f"invoke $k {call}"))
        n = int(drv.command("resumes").split()[1])
        if args:
            assert drv.command("predecoded").split()[1:3] == ["1", "0"]
    return a.raw, n


@pytest.mark.parametrize("kernel", ["crc32", "sha256", "matmul"])
def test_same_fuel_and_suspension_points(kernel, spec_driver_release):
    """A slice ends when the fuel runs out at a check point: the same answer after the same
    number of suspensions on both paths means every check point charged the same."""
    wasm = build_wasm(kernel)
    in_place = _sliced_run(spec_driver_release, [], wasm, "run i32:1")
    pre_decoded = _sliced_run(spec_driver_release, PD, wasm, "run i32:1")
    assert in_place[0].startswith("ok ")
    assert pre_decoded == in_place
    assert in_place[1] > 1000


NO_TOOLS = any(shutil.which(t) is None for t in ("wasm-opt", "wasm2wat", "wat2wasm"))


@pytest.mark.skipif(NO_TOOLS,
                    reason="binaryen and wabt make the modules (scripts/bootstrap.sh installs)")
def test_random_modules_agree_in_place_pre_decoded_and_wasmtime():
    pytest.importorskip("wasmtime", reason="wasmtime (PyPI) is in the dev extras")
    r = d.campaign(16, ["interp", "pd", "sliced", "pd-sliced", "wasmtime"], seed=20)
    assert r.refused == [] and r.mismatches == [] and r.engine_reports == [], \
        "\n".join(r.refused + r.mismatches + r.engine_reports)
    assert r.modules_compared >= 10 and r.calls_compared > 50
    # the same suspensions: every check point charged the same on both paths
    assert r.resumes_by_engine["pd-sliced"] == r.resumes_by_engine["sliced"] > 20


@pytest.mark.skipif(NO_TOOLS, reason="wat2wasm (wabt) builds the module (scripts/bootstrap.sh)")
def test_pending_reads_survive_a_write_and_overflow(tmp_path, spec_driver_release):
    """21 pending reads (more than the translator keeps pending: the oldest go to their
    slots), then a write to the local half of them read: each must keep the old value."""
    gets = " ".join(f"local.get {i % 2}" for i in range(20))
    adds = " ".join("i32.add" for _ in range(20))
    wat = tmp_path / "pend.wat"
    wat.write_text(f'(module (func (export "f") (param i32 i32) (result i32) {gets} '
                   f'i32.const 5 local.set 0 local.get 0 {adds}))')
    wasm = tmp_path / "pend.wasm"
    subprocess.run(["wat2wasm", str(wat), "-o", str(wasm)], check=True)
    for args in ([], PD):
        with DriverProcess(spec_driver_release, args) as drv:
            assert drv.command(f"module $m {drv.module_source(wasm)}") == "ok"
            assert drv.command("invoke $m f i32:1 i32:2") == "ok i32:23"  # 10*1 + 10*2 + 5
