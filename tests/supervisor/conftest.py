"""The posix device fixtures of the supervisor tests: the protocol tests' device (ASan build,
simulated pins logged to a file, retained RAM in a file) on its own clock (--clock cpu), so
what a test asserts about time (how late a module woke, fuel per second, CPU budgets) is the
scheduler's doing, never how long a loaded host kept the device off the CPU."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness.posix_device import PosixDevice
from tests.protocol.conftest import client, device_exe, posix_device

__all__ = ["client", "device", "device_exe"]


@pytest.fixture
def device(tmp_path: Path, device_exe: Path) -> Iterator[PosixDevice]:
    with posix_device(tmp_path, clock="cpu") as dev:
        yield dev
