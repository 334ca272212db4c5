"""The error types every wasmote library call may raise.

The CLI turns any `WasmoteError` into one line on stderr and the error's exit code;
anything else escaping the library is a bug.
"""

from __future__ import annotations


class WasmoteError(Exception):
    """Base of all documented wasmote errors."""

    exit_code = 1

    def one_line(self) -> str:
        return str(self)


class UsageError(WasmoteError):
    """The user asked for something that cannot be done as asked."""

    exit_code = 2
