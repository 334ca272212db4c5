"""The WebAssembly core spec suite through the posix driver, per JSON file.

Every command type that applies to a binary runtime is run and judged (see
tests.harness.spec_runner); text-format assert_malformed counts as n/a. The same files
then run on the ASan+UBSan build, which must report nothing and answer byte-identically.
A table per command type is printed at the end of the session (conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SPEC_JSON_DIR
from tests.harness.spec_driver import DriverProcess
from tests.harness.spec_runner import FileReport, run_spec_file
from tests.runtime.spec_exclusions import EXCLUSIONS
from tests.runtime.spec_reports import reports

SPEC_FILES = (sorted(p.name for p in SPEC_JSON_DIR.iterdir() if (p / f"{p.name}.json").is_file())
              if SPEC_JSON_DIR.is_dir() else ["(spec suite missing)"])

# The sanitizers make the interpreter ~5x slower; generous, but still catches a hang.
TIMEOUT = {"release": 60.0, "asan": 300.0}


def run_file(exe: Path, json_dir: Path, name: str, variant: str) -> tuple[FileReport, str, int]:
    with DriverProcess(exe, timeout=TIMEOUT[variant]) as drv:
        report = run_spec_file(json_dir / name / f"{name}.json", drv, EXCLUSIONS)
        rc = drv.close()
        return report, drv.stderr_text(), rc


def nan_blind(answer: str) -> str:
    """The answer with every NaN's sign and payload erased: where the spec lets the result
    be any (canonical or arithmetic) NaN, builds at different -O levels may pick others."""
    out = []
    for tok in answer.split(" "):
        typ, _, bits = tok.partition(":")
        if typ in ("f32", "f64") and bits:
            v = int(bits, 16)
            exp, mant = (0x7F800000, 0x7FFFFF) if typ == "f32" else (0x7FF << 52, (1 << 52) - 1)
            if v & exp == exp and v & mant:
                tok = f"{typ}:nan"
        out.append(tok)
    return " ".join(out)


@pytest.mark.parametrize("name", SPEC_FILES)
def test_spec_file(name, spec_json_dir, spec_driver_release, request):
    report, stderr, rc = run_file(spec_driver_release, spec_json_dir, name, "release")
    reports(request.config).setdefault("release", {})[name] = report
    assert not report.failures, report.failure_text()
    assert rc == 0, f"driver exited with {rc}: {stderr[-2000:]}"


@pytest.mark.slow
@pytest.mark.parametrize("name", SPEC_FILES)
def test_spec_file_asan(name, spec_json_dir, spec_driver_release, spec_driver_asan, request):
    report, stderr, rc = run_file(spec_driver_asan, spec_json_dir, name, "asan")
    reports(request.config).setdefault("asan", {})[name] = report
    assert "Sanitizer" not in stderr and "runtime error" not in stderr, stderr[-4000:]
    assert rc == 0, f"asan driver exited with {rc}: {stderr[-4000:]}"
    release = reports(request.config).get("release", {}).get(name)
    if release is None:  # the release test did not run in this session: run it now
        release = run_file(spec_driver_release, spec_json_dir, name, "release")[0]
    mine = [(o.line, o.status, nan_blind(o.answer)) for o in report.outcomes]
    theirs = [(o.line, o.status, nan_blind(o.answer)) for o in release.outcomes]
    diffs = [(a, b) for a, b in zip(mine, theirs, strict=True) if a != b]
    assert not diffs, f"asan and release builds disagree: {diffs[:10]}"


DEVICE_SUBSET = ("i32", "f64", "conversions", "memory", "linking")


@pytest.mark.parametrize("name", DEVICE_SUBSET)
def test_spec_file_hex_modules(name, spec_json_dir, spec_driver_release):
    """The device path: modules travel inline as hex (wm_sd_hex_module_bytes) and the arena is
    small; answers must not change."""
    with DriverProcess(spec_driver_release, ["--arena-mb", "96"], hex_modules=True) as drv:
        report = run_spec_file(spec_json_dir / name / f"{name}.json", drv, EXCLUSIONS)
    assert not report.failures, report.failure_text()
