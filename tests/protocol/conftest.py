"""Fixtures for the protocol tests: the posix device (ASan build) on a fresh flash file."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import c_harness
from tests.harness.posix_device import PosixDevice
from wasmote.device.client import DeviceClient
from wasmote.device.transport import SerialTransport
from wasmote.paths import BUILD_DIR, FIRMWARE_DIR
from wasmote.runtime.host_device import build_device

C_DIR = Path(__file__).resolve().parent / "c"
CORE = FIRMWARE_DIR / "src" / "core"


def build_c_test(name: str, sources: list[Path], includes: tuple[Path, ...] = ()) -> Path:
    """A test program from tests/protocol/c linked with some core sources (ASan+UBSan);
    `includes`: more header folders the sources need."""
    out = BUILD_DIR / "protocol-tests" / name
    out.parent.mkdir(parents=True, exist_ok=True)
    cmd = ["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g",
           "-fsanitize=address,undefined", "-fno-sanitize-recover=all", f"-I{CORE}",
           f"-I{CORE / 'base'}", f"-I{c_harness.INCLUDE_DIR}", *(f"-I{d}" for d in includes),
           str(C_DIR / f"{name}.c"), *(str(s) for s in sources), "-o", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    return out


@pytest.fixture(scope="session")
def device_exe() -> Path:
    return build_device("asan")


def posix_device(tmp_path: Path, clock: str = "host") -> PosixDevice:
    """The tests' posix device: ASan build, flash, pin log and retained RAM in `tmp_path`."""
    return PosixDevice(tmp_path / "flash.bin", variant="asan", gpio_log=tmp_path / "gpio.log",
                       retained=tmp_path / "retained.bin", clock=clock)


@pytest.fixture
def device(tmp_path: Path, device_exe: Path) -> Iterator[PosixDevice]:
    with posix_device(tmp_path) as dev:
        yield dev


@pytest.fixture
def client(device: PosixDevice) -> Iterator[DeviceClient]:
    t = SerialTransport(device.url)
    try:
        yield DeviceClient(t, timeout=2.0)
    finally:
        t.close()
