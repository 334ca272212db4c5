"""The official WASI test suite (../shared/wasi-testsuite, C and AssemblyScript, with its
own JSON expectations) on the posix build: every case runs on the posix device, the engine
of `wasmote exec`, in one session; EXCLUSIONS lists the ones that need what wasmote does
not have, and those must still fail."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_invoke import run_cli
from tests.wasi.conftest import WASI_SUITE_DIR
from tests.wasi.exclusions import EXCLUSIONS
from tests.wasi.sessions import run_cases
from tests.wasi.suite import Case, Outcome, discover, package
from wasmote.runtime.host_device import HostDevice

TIMEOUT = 60.0  # generous: every case here ends in milliseconds


@pytest.fixture(scope="module")
def cases(wasi_suite_dir: Path) -> list[Case]:
    found = discover(wasi_suite_dir)
    assert len(found) >= 26, [c.id for c in found]
    return found


@pytest.fixture(scope="module")
def outcomes(cases: list[Case], tmp_path_factory: pytest.TempPathFactory) -> dict[str, Outcome]:
    work = tmp_path_factory.mktemp("wasi")
    images = [package(c) for c in cases]
    with HostDevice(images) as dev:
        return run_cases(dev.client, cases, work, TIMEOUT)


def _ids(wasi_dir: Path) -> list[str]:
    return [c.id for c in discover(wasi_dir)] if wasi_dir.is_dir() else []


@pytest.mark.parametrize("case_id", _ids(WASI_SUITE_DIR))
def test_case(case_id: str, outcomes: dict[str, Outcome]) -> None:
    out = outcomes[case_id]
    if case_id in EXCLUSIONS:
        assert not out.passed, f"{case_id} passes now: remove it from EXCLUSIONS"
        return
    assert out.passed, f"{case_id}: {'; '.join(out.failures)}"


def test_every_exclusion_is_a_case(cases: list[Case]) -> None:
    assert set(EXCLUSIONS) <= {c.id for c in cases}


def test_a_case_through_the_cli(cases: list[Case], tmp_path: Path) -> None:
    """One case through `wasmote exec` itself: args from the command line, the output on
    stdout and the module's exit code as the command's."""
    case = next(c for c in cases if c.id == "assemblyscript/args_get-multiple-arguments")
    r = run_cli("exec", str(case.wasm), *case.args)
    assert r.exit_code == 0, r.output
    case = next(c for c in cases if c.id == "assemblyscript/proc_exit-failure")
    assert run_cli("exec", str(case.wasm)).exit_code == 33


def test_the_executor_reads_every_form_of_specification(wasi_suite_dir: Path,
                                                         tmp_path: Path) -> None:
    """Legacy keys with their defaults, the operation form, and operations no device can
    honour (sockets) marked unsupported; *.cleanup leftovers removed first."""
    wasm = (wasi_suite_dir / "assemblyscript" / "proc_exit-success.wasm").read_bytes()
    d = tmp_path / "set"
    d.mkdir()
    specs = {
        "plain": None,
        "legacy": {"args": ["a", "b c"], "env": {"K": "v=w"}, "exit_code": 3,
                   "stdout": "out\n"},
        "ops": {"operations": [{"type": "run", "args": ["x"], "root": "dir"},
                               {"type": "read", "id": "stderr", "payload": "err"},
                               {"type": "wait", "exit_code": 4}]},
        "sockets": {"proposals": ["sockets"],
                    "operations": [{"type": "run"}, {"type": "connect"}, {"type": "wait"}]},
    }
    for name, spec in specs.items():
        (d / f"{name}.wasm").write_bytes(wasm)
        if spec is not None:
            (d / f"{name}.json").write_text(json.dumps(spec))
    (d / "old.cleanup").write_text("left by an earlier run")
    cases = {c.name: c for c in discover(d)}
    assert not (d / "old.cleanup").exists()
    assert (cases["plain"].args, cases["plain"].exit_code, cases["plain"].stdout) == ((), 0, None)
    legacy = cases["legacy"]
    assert (legacy.args, legacy.env, legacy.exit_code, legacy.stdout, legacy.stderr) == \
        (("a", "b c"), (("K", "v=w"),), 3, b"out\n", None)
    ops = cases["ops"]
    assert (ops.args, ops.root, ops.stderr, ops.exit_code) == (("x",), "dir", b"err", 4)
    assert cases["sockets"].unsupported is not None and ops.unsupported is None
