"""Real programs on the posix build through `wasmote exec`: a wasi-libc C program built
with zig (printf of floats, malloc, qsort, snprintf, time, rand, args, env, stderr, exit
status), a trap named down to its source lines through a stripped package, and an
AssemblyScript module with both of its runtimes (trace, abort, Math.random)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_invoke import run_cli
from tests.wasi import programs as pr
from wasmote.runtime.exec import ExecRequest, exec_module


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("programs")


def test_libc_tour(tour_wasm: Path) -> None:
    wasm = tour_wasm
    r = run_cli("exec", str(wasm), "--env", "WHO=me", *pr.TOUR_ARGS)
    assert r.exit_code == pr.TOUR_EXIT, r.output
    assert pr.TOUR_STDOUT.match(r.stdout.encode()), r.stdout
    assert pr.TOUR_STDERR.decode() in r.stderr
    # the library gives the bytes as written
    res = exec_module(ExecRequest(wasm, args=pr.TOUR_ARGS, env=pr.TOUR_ENV))
    assert (res.exit_status, res.stderr) == (pr.TOUR_EXIT, pr.TOUR_STDERR)
    assert pr.TOUR_STDOUT.match(res.stdout)


def test_trap_names_functions_and_lines_through_a_stripped_package(work: Path) -> None:
    wasm = pr.build_trap(work)
    (work / "trap.toml").write_text(pr.TRAP_MANIFEST)
    r = run_cli("cc", str(pr.HERE / "trap.c"), "--wasi", "-o", str(work / "unused.wasm"))
    assert r.exit_code == 0, r.output  # (the reactor build of cc works too)
    r = run_cli("package", str(wasm), "-m", str(work / "trap.toml"), "-o",
                str(work / "trap.wmp"))
    assert r.exit_code == 0 and (work / "trap.debug.wasm").is_file(), r.output
    r = run_cli("exec", str(work / "trap.wmp"))
    assert r.exit_code == 2 and r.stdout == "about to fail\n", r.output
    assert r.stderr.startswith(pr.TRAP_WHERE), r.stderr
    # without the debug file: the raw frames, still the right functions
    (work / "trap.debug.wasm").unlink()
    trap = exec_module(ExecRequest(work / "trap.wmp")).trap
    assert trap is not None
    assert trap.where.startswith("out of bounds memory access in func["), trap.where


@pytest.mark.parametrize("runtime", ["stub", "incremental"])
def test_assemblyscript(fib_wasm: dict[str, Path], runtime: str) -> None:
    wasm = fib_wasm[runtime]
    res = exec_module(ExecRequest(wasm, "run"))
    assert [v.bits for v in res.values] == [pr.FIB_RUN]
    assert res.logs == [f"{wasm.stem}: {ln}" for ln in pr.FIB_LOGS]
    res = exec_module(ExecRequest(wasm, "check", ("0",)))
    assert res.trap is not None and res.trap.where == f"{pr.FIB_ABORT} in fib/check"
    assert exec_module(ExecRequest(wasm, "check", ("21",))).values[0].bits == 42
    roll = exec_module(ExecRequest(wasm, "roll")).values[0]
    assert roll.type == "f64"
    r = run_cli("exec", str(wasm), "--invoke", "roll", "--cap", "log")
    assert r.exit_code == 1 and "import env.seed () -> (f64): not granted" in r.stderr
