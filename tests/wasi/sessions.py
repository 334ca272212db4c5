"""Runs a whole set of WASI cases on one device (the posix device, or a board under QEMU):
each case is pushed, started, waited for and removed in turn (test harness code)."""

from __future__ import annotations

from pathlib import Path

from tests.wasi.suite import Case, Outcome, judge, package, package_name
from wasmote.device.client import DeviceClient
from wasmote.errors import WasmoteError
from wasmote.runtime.exec import ExecRequest, prepare, run_prepared


def run_cases(client: DeviceClient, cases: list[Case], work: Path,
              timeout: float) -> dict[str, Outcome]:
    """Outcome of every case, by id; a case that cannot even be packaged or pushed fails
    with the reason, and the next one runs."""
    outcomes = {}
    for case in cases:
        if case.unsupported is not None:
            outcomes[case.id] = judge(case, None, f"not applicable: {case.unsupported}")
            continue
        try:
            pkg = work / f"{package_name(case)}.wmp"
            pkg.write_bytes(package(case))
            req = ExecRequest(pkg, timeout=timeout)
            mods, _ = prepare(req)
            outcomes[case.id] = judge(case, run_prepared(client, mods, req, remove=True))
        except WasmoteError as e:
            outcomes[case.id] = judge(case, None, e.one_line())
    return outcomes
