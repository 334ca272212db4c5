"""Errors raised while decoding or validating a wasm module.

Each carries the byte offset in the module, the section it was found in and a
spec-like message, so a user sees `file.wasm:0x1f3: type mismatch in i32.add ...`.
"""

from __future__ import annotations

from wasmote.errors import WasmoteError


class WasmError(WasmoteError):
    """A problem with a wasm module, located at a byte offset."""

    # The CLI prints errors with a location as-is instead of prefixing "error:".
    has_location = True

    def __init__(self, message: str, offset: int = 0, section: str | None = None,
                 path: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.section = section
        self.path = path

    def __str__(self) -> str:
        where = f" (in {self.section} section)" if self.section else ""
        return f"0x{self.offset:x}: {self.message}{where}"

    def one_line(self, path: str | None = None) -> str:
        name = path if path is not None else (self.path or "<module>")
        return f"{name}:0x{self.offset:x}: {self.message}"


class MalformedError(WasmError):
    """The bytes are not a well-formed binary module (decoding failed)."""


class ValidationError(WasmError):
    """The module decodes but breaks the spec's validation rules."""
