"""The posix device fixtures of the protocol tests (ASan build, simulated pins logged to a
file, retained RAM in a file)."""

from tests.protocol.conftest import client, device, device_exe

__all__ = ["client", "device", "device_exe"]
