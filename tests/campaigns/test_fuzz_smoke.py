"""The fuzzing campaign in CI (the long run: `python -m tests.campaigns.fuzz`): every saved
finding in fuzz/regressions/ replays clean under ASan+UBSan, and each libFuzzer target runs
a short fixed-seed session from its seed corpus without a finding, reaching at least the
coverage it always reaches (so a harness that stops getting past the first check fails)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.campaigns import fuzz

pytestmark = pytest.mark.skipif(shutil.which("clang") is None and shutil.which("clang-14") is None,
                                reason="clang with libFuzzer (scripts/bootstrap.sh installs it)")

# runs per target, and the libFuzzer coverage (cov) the session must reach: well below what
# the seeds alone reach today (load ~1650, frame ~2700, package ~2100, hostcalls ~1850)
SESSIONS = {"load": (20000, 1200), "frame": (1500, 2000), "package": (20000, 1500),
            "hostcalls": (2000, 1500)}


@pytest.fixture(scope="module")
def binaries() -> dict[str, Path]:
    return {t: fuzz.build(t) for t in fuzz.TARGETS}


def test_every_target_has_a_smoke_session() -> None:
    assert set(SESSIONS) == set(fuzz.TARGETS)


def test_saved_findings_replay_clean(binaries: dict[str, Path]) -> None:
    replayed = 0
    for target, exe in binaries.items():
        inputs = fuzz.regression_inputs(target)
        if not inputs:
            continue
        proc = fuzz.run_inputs(exe, inputs)
        assert proc.returncode == 0, f"fuzz_{target}: {proc.stderr[-3000:]}"
        replayed += len(inputs)
    # fuzz/regressions/load/side-table-null at least (fixed in runtime/validate.c)
    assert replayed >= 1


def test_regression_folders_name_real_targets() -> None:
    assert {d.name for d in fuzz.REGRESSIONS.iterdir() if d.is_dir()} <= set(fuzz.TARGETS)


@pytest.mark.parametrize("target", sorted(SESSIONS))
def test_short_fuzz_session_finds_nothing(binaries: dict[str, Path], target: str,
                                          tmp_path: Path) -> None:
    runs, min_cov = SESSIONS[target]
    seeds = tmp_path / "seeds"
    assert fuzz.write_seeds(target, seeds, full=False) > 20
    r = fuzz.fuzz(target, binaries[target], runs=runs, seed=1, corpus=tmp_path / "corpus",
                  seed_dirs=[seeds], artifacts=tmp_path / "artifacts", nice=False)
    assert r.findings == [], "\n".join(r.findings)
    assert r.execs >= runs
    assert r.cov >= min_cov, f"fuzz_{target} reached only cov {r.cov}"


def test_hostcall_seeds_follow_the_harness() -> None:
    """The seed writer's grant list and function catalog are the harness's (k_caps, and the
    import tables in the device's order), so each seed calls what it names."""
    from tests.campaigns import hostcall_seeds as hs

    src = (fuzz.FUZZ_DIR / "fuzz_hostcalls.c").read_text()
    caps = src[src.index("k_caps[] = {"):]
    caps = caps[:caps.index("};")]
    rows = re.findall(r'\{WM_CAP_(\w+), "([^"]*)"', caps)
    assert tuple(f"{k.lower()}:{a}" if a else k.lower() for k, a in rows) == hs.CAPS
    names = []
    for table, path in (("k_api", "hostapi.c"), ("k_wasi", "wasi/wasi_table.c"),
                        ("k_as", "wasi/assemblyscript.c")):
        text = (fuzz.CORE / "sandbox" / path).read_text()
        body = text[text.index(f"{table}["):]
        body = body[:body.index("};")]
        # (fault_hang, fault_crash: test images only, not in the fuzz build)
        names += [n for n in re.findall(r'\{"(\w+)", "', body) if not n.startswith("fault_")]
    assert names == [n for n, _ in hs.CATALOG]
