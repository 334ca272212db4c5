"""Errors of the fleet tooling, one line each for the CLI."""

from __future__ import annotations

from wasmote.errors import WasmoteError


class FleetError(WasmoteError):
    """Anything that went wrong in the fleet tooling."""


class BrokerError(FleetError):
    """The broker could not be reached, refused us, or did not answer."""

    exit_code = 3


class MessageRejected(FleetError):
    """A message from the broker failed a check: format, signature, replay. The broker is
    not trusted, so this is routine: the message is ignored and reported."""
