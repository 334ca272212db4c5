"""Fixtures of the runtime tests: the posix builds of the driver, and the spec summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness.spec_runner import summary_table
from tests.runtime.spec_reports import reports
from wasmote import posix_build


@pytest.fixture(scope="session")
def spec_driver_release() -> Path:
    return posix_build.build_program("wasmote-spec", "release")


@pytest.fixture(scope="session")
def spec_driver_asan() -> Path:
    return posix_build.build_program("wasmote-spec", "asan")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, exitstatus: int,
                            config: pytest.Config) -> None:
    for variant, by_file in reports(config).items():
        if by_file:
            terminalreporter.write_sep("=", f"WebAssembly spec suite ({variant} build)")
            terminalreporter.write_line(summary_table(by_file.values(), f"{variant} build"))
