"""Errors of the device link, each one line for the CLI."""

from __future__ import annotations

from wasmote.errors import WasmoteError


class DeviceError(WasmoteError):
    """Anything that went wrong talking to a device."""


class DeviceTimeout(DeviceError):
    """The device stopped answering (or never did)."""

    exit_code = 3


class LinkError(DeviceError):
    """The byte stream itself failed: port missing, disconnected, closed."""

    exit_code = 3


class DeviceRefused(DeviceError):
    """The device answered a request with an error status."""

    def __init__(self, request: str, status: int, status_name: str, message: str) -> None:
        self.request = request
        self.status = status
        self.status_name = status_name
        self.message = message
        super().__init__(f"device refused {request}: {message} ({status_name})")


class ProtocolError(DeviceError):
    """The device sent something this host does not understand."""
