"""`wasmote exec`: run one export of a module on the posix build of the core.

Exit codes (documented in `wasmote exec --help`): 0 ok, 1 the module cannot be loaded or
instantiated (or bad usage), 2 the call trapped, 3 the fuel budget ran out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from wasmote import posix_build
from wasmote.errors import WasmoteError
from wasmote.runtime.driver import (
    Answer,
    DriverError,
    DriverProcess,
    escape_name,
    list_exports,
)
from wasmote.runtime.values import Value, parse_user_value


class ModuleLoadError(WasmoteError):
    """The loader or validator rejected the module; says where."""

    exit_code = 1
    has_location = True

    def __init__(self, path: Path, offset: int, message: str) -> None:
        self.path = path
        self.offset = offset
        self.message = message
        super().__init__(f"{path}:0x{offset:x}: {message}")


class InstantiateError(WasmoteError):
    """The module is valid but cannot be instantiated (imports, memory)."""

    exit_code = 1


class Trap(WasmoteError):
    """The call trapped; `reason` is the runtime's trap message."""

    exit_code = 2

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"trap: {reason}")


class OutOfFuel(WasmoteError):
    """The fuel budget ran out before the call returned."""

    exit_code = 3

    def __init__(self, fuel: int) -> None:
        self.fuel = fuel
        super().__init__(f"out of fuel: the budget of {fuel} units ran out before the call "
                         "returned (raise --fuel, or omit it to run without a budget)")


@dataclass(frozen=True)
class ExecRequest:
    module: Path
    export: str
    args: tuple[str, ...] = ()
    fuel: int | None = None
    variant: str = "release"


def parse_args(args: Sequence[str]) -> list[Value]:
    return [parse_user_value(a) for a in args]


def run_export(req: ExecRequest) -> list[Value]:
    """Loads `req.module` into a fresh driver process and calls the export once."""
    try:
        return _run_export(req)
    except DriverError as e:
        # The runtime must reject or trap, never crash: if it did, say so plainly.
        raise WasmoteError(f"{req.module}: the runtime crashed (a wasmote bug, please report "
                           f"it with this module): {e.one_line().splitlines()[0]}") from e


def _run_export(req: ExecRequest) -> list[Value]:
    path = Path(req.module)
    if not path.is_file():
        raise WasmoteError(f"{path}: no such file")
    values = parse_args(req.args)
    if req.fuel is not None and req.fuel <= 0:
        raise WasmoteError("--fuel must be a positive number of units")
    exe = posix_build.build_program("wasmote-spec", req.variant)
    with DriverProcess(exe, timeout=None) as drv:
        if req.fuel is not None:
            _expect_ok(Answer.parse(drv.command(f"fuel {req.fuel}")), "fuel")
        a = Answer.parse(drv.command(f"module - {drv.module_source(path)}"))
        if a.kind == "error" and a.error_kind in ("malformed", "invalid"):
            raise ModuleLoadError(path, a.offset, a.message)
        if a.kind in ("trap", "exhausted"):
            raise Trap(f"{a.message} (while instantiating)")
        if a.kind == "error":
            raise InstantiateError(f"{path}: cannot instantiate: {a.message}")
        wire = " ".join(v.wire() for v in values)
        a = Answer.parse(drv.command(
            f"invoke - {escape_name(req.export)}" + (f" {wire}" if wire else "")))
        if a.kind == "ok":
            return list(a.values)
        if a.kind in ("trap", "exhausted"):
            raise Trap(a.message)
        if a.kind == "outoffuel":
            raise OutOfFuel(req.fuel or 0)
        if a.error_kind == "notfound":
            funcs = [e.name.decode(errors="replace") for e in list_exports(drv)
                     if e.kind == "func"]
            raise WasmoteError(f"{path}: no exported function '{req.export}' "
                               f"(exported functions: {', '.join(funcs) or 'none'})")
        if a.error_kind == "args":
            raise WasmoteError(f"{req.export}: wrong arguments "
                               f"({' '.join(v.user() for v in values) or 'none'}): {a.message}")
        raise WasmoteError(f"{req.export}: {a.message}")


def _expect_ok(a: Answer, what: str) -> None:
    if a.kind != "ok":
        raise WasmoteError(f"driver refused {what}: {a.raw}")
