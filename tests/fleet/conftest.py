"""Fixtures of the fleet tests: the posix device (ASan build) of the protocol tests."""

from tests.protocol.conftest import client, device, device_exe

__all__ = ["client", "device", "device_exe"]
