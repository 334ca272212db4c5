"""A posix device per test (ASan build), its simulated pins logged to a file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from wasmote.device.client import DeviceClient
from wasmote.device.posix_device import PosixDevice, build_device
from wasmote.device.transport import SerialTransport


@pytest.fixture(scope="session")
def device_exe() -> Path:
    return build_device("asan")


@pytest.fixture
def device(tmp_path: Path, device_exe: Path) -> Iterator[PosixDevice]:
    dev = PosixDevice(tmp_path / "flash.bin", variant="asan", gpio_log=tmp_path / "gpio.log",
                      retained=tmp_path / "retained.bin")
    with dev:
        yield dev


@pytest.fixture
def client(device: PosixDevice) -> Iterator[DeviceClient]:
    t = SerialTransport(device.url)
    try:
        yield DeviceClient(t, timeout=3.0)
    finally:
        t.close()
