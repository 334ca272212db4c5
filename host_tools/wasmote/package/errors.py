"""Errors raised while building, reading, signing or verifying module packages.

Every failure on hostile input (a corrupted package, a bad manifest, a wrong key) is one of
these, with a message that says what is wrong and where.
"""

from __future__ import annotations

from wasmote.errors import WasmoteError


class PackageError(WasmoteError):
    """Base of the package errors."""


class CapabilityError(PackageError):
    """A capability string does not follow the grammar, or an import is not granted."""


class ManifestError(PackageError):
    """A manifest (TOML text or its binary encoding) is malformed or out of limits."""


class PackageFormatError(PackageError):
    """A package container is malformed; `offset` is the byte where the problem is."""

    has_location = True

    def __init__(self, message: str, offset: int, source: str = "package") -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.source = source

    def one_line(self) -> str:
        return f"{self.source}:0x{self.offset:x}: {self.message}"

    def __str__(self) -> str:
        return self.one_line()


class KeyFileError(PackageError):
    """A key file cannot be read as an Ed25519 key of the expected kind."""


class SignatureError(PackageError):
    """A package is unsigned where a signature is required, or its signature is wrong."""
