"""The WebAssembly spec suite with every module AOT-compiled for this host, per JSON file.

The same driver machinery as tests/runtime/test_runtime_spec.py: each module the suite
loads is compiled to native code (cached in build/aot-cache), packaged, and the posix driver
runs it natively (spec_driver.c's package hook, core/aot); modules that do not validate go
to the driver as they are. Then the same files on the ASan+UBSan driver, which must report
nothing and answer like the release build. A table per command type is printed at the end.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.aot.spec_exclusions import EXCLUSIONS
from tests.conftest import SPEC_JSON_DIR
from tests.harness.aot_spec_transport import AotTransport
from tests.harness.spec_driver import DriverProcess
from tests.harness.spec_runner import FileReport, run_spec_file
from tests.runtime.test_runtime_spec import nan_blind
from wasmote import posix_build
from wasmote.aot.targets import Target

from .conftest import aot_reports

SPEC_FILES = (sorted(p.name for p in SPEC_JSON_DIR.iterdir() if (p / f"{p.name}.json").is_file())
              if SPEC_JSON_DIR.is_dir() else ["(spec suite missing)"])
TIMEOUT = {"release": 60.0, "asan": 300.0}


def module_paths(json_path: Path) -> list[Path]:
    commands = json.loads(json_path.read_text())["commands"]
    return [json_path.parent / c["filename"] for c in commands
            if str(c.get("filename", "")).endswith(".wasm")]


def run_file(exe: Path, json_dir: Path, name: str, variant: str,
             target: Target) -> tuple[FileReport, str, int, int]:
    json_path = json_dir / name / f"{name}.json"
    with DriverProcess(exe, timeout=TIMEOUT[variant]) as drv:
        transport = AotTransport(drv, target)
        transport.prepare(module_paths(json_path), jobs=os.cpu_count())
        report = run_spec_file(json_path, transport, EXCLUSIONS)
        rc = drv.close()
        return report, drv.stderr_text(), rc, transport.compiled


@pytest.fixture(scope="session")
def aot_driver_release() -> Path:
    return posix_build.build_program("wasmote-spec", "release")


@pytest.fixture(scope="session")
def aot_driver_asan() -> Path:
    return posix_build.build_program("wasmote-spec", "asan")


@pytest.mark.parametrize("name", SPEC_FILES)
def test_aot_spec_file(name, spec_json_dir, aot_driver_release, host_target, request):
    report, stderr, rc, compiled = run_file(aot_driver_release, spec_json_dir, name, "release",
                                            host_target)
    aot_reports(request.config).setdefault("release", {})[name] = report
    assert not report.failures, report.failure_text()
    assert rc == 0, f"driver exited with {rc}: {stderr[-2000:]}"
    modules = sum(1 for o in report.outcomes if o.type == "module")
    assert compiled >= modules, f"only {compiled} of {modules} modules ran as AOT code"


@pytest.mark.slow
@pytest.mark.parametrize("name", SPEC_FILES)
def test_aot_spec_file_asan(name, spec_json_dir, aot_driver_release, aot_driver_asan,
                            host_target, request):
    report, stderr, rc, _ = run_file(aot_driver_asan, spec_json_dir, name, "asan", host_target)
    aot_reports(request.config).setdefault("asan", {})[name] = report
    assert "Sanitizer" not in stderr and "runtime error" not in stderr, stderr[-4000:]
    assert rc == 0, f"asan driver exited with {rc}: {stderr[-4000:]}"
    release = aot_reports(request.config).get("release", {}).get(name)
    if release is None:
        release = run_file(aot_driver_release, spec_json_dir, name, "release", host_target)[0]
    mine = [(o.line, o.status, nan_blind(o.answer)) for o in report.outcomes]
    theirs = [(o.line, o.status, nan_blind(o.answer)) for o in release.outcomes]
    diffs = [(a, b) for a, b in zip(mine, theirs, strict=True) if a != b]
    assert not diffs, f"asan and release builds disagree: {diffs[:10]}"
