"""WASI on mps2-an386 (Cortex-M4F) under QEMU, in one boot, through push, start and run
over the emulated UART: the official WASI test suite (every case not in EXCLUSIONS must
pass, as on the posix build; the excluded ones need a file system and are not pushed here,
the posix run checks they still fail), the zig-built libc program and the AssemblyScript
module with both runtimes, with their output checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sim_client import booted_client
from tests.wasi import programs as pr
from tests.wasi.exclusions import EXCLUSIONS
from tests.wasi.sessions import run_cases
from tests.wasi.suite import discover
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused
from wasmote.runtime.exec import ExecRequest, exec_module, prepare, run_prepared

pytestmark = pytest.mark.qemu

TIMEOUT = 60.0  # per case; generous for a loaded machine (each takes well under a second)


@pytest.fixture(scope="module")
def board() -> Iterator[DeviceClient]:
    with booted_client("mps2-an386", timeout=5.0) as c:
        yield c


def test_wasi_testsuite_on_mps2_an386(board: DeviceClient, wasi_suite_dir: Path,
                                      tmp_path: Path) -> None:
    cases = [c for c in discover(wasi_suite_dir) if c.id not in EXCLUSIONS]
    assert len(cases) >= 19
    outcomes = run_cases(board, cases, tmp_path, TIMEOUT)
    failed = {k: o.failures for k, o in outcomes.items() if not o.passed}
    assert not failed, failed
    assert board.modules() == []  # every case was removed after it ran


def test_libc_tour_on_mps2_an386(board: DeviceClient, tour_wasm: Path, tmp_path: Path) -> None:
    wasm = tour_wasm
    pkg = tmp_path / "tour.wmp"
    pkg.write_bytes(pr.tour_package(wasm.read_bytes()))
    req = ExecRequest(pkg, timeout=TIMEOUT)
    res = run_prepared(board, prepare(req)[0], req, remove=True)
    assert (res.exit_status, res.stderr) == (pr.TOUR_EXIT, pr.TOUR_STDERR), res
    m = pr.TOUR_STDOUT.match(res.stdout)
    assert m, res.stdout
    # wasi-libc's rand on the board gives what it gives on this computer
    host = exec_module(ExecRequest(wasm, args=pr.TOUR_ARGS, env=pr.TOUR_ENV))
    host_m = pr.TOUR_STDOUT.match(host.stdout)
    assert host_m and host_m.groups() == m.groups()


@pytest.mark.parametrize("runtime", ["stub", "incremental"])
def test_assemblyscript_on_mps2_an386(board: DeviceClient, fib_wasm: dict[str, Path],
                                      runtime: str) -> None:
    name = f"fib_{runtime}"
    board.push(name, pr.fib_package(fib_wasm[runtime].read_bytes(), runtime))
    board.events.clear()
    try:
        [result] = board.run(name, "run", [])
        assert result.bits == pr.FIB_RUN
        logs = [e.text for e in board.events if e.kind == p.Msg.EV_LOG and e.module == name]
        assert logs == pr.FIB_LOGS
        with pytest.raises(DeviceRefused) as e:
            board.run(name, "check", [p.WireValue("i32", 0)])
        assert e.value.status == p.Status.TRAP
        assert e.value.message.startswith(pr.FIB_ABORT + " [wasm "), e.value.message
        assert board.run(name, "check", [p.WireValue("i32", 21)])[0].bits == 42
        [roll] = board.run(name, "roll", [])
        assert roll.type == "f64"
    finally:
        board.remove(name)
