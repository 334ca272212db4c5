"""The `wasmote` command line: a thin layer over the library.

Each command group lives in its own module and registers itself on `main` below.
Documented errors (`WasmoteError`) become one line on stderr and a non-zero exit;
no Python traceback reaches the user.
"""

from __future__ import annotations

import sys

import click

from wasmote import __version__
from wasmote.errors import WasmoteError


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except WasmoteError as e:
            click.echo(f"error: {e.one_line()}" if not _has_location(e) else e.one_line(),
                       err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except OSError as e:
            click.echo(f"error: {e.strerror or e}"
                       + (f": {e.filename}" if getattr(e, "filename", None) else ""), err=True)
            sys.exit(1)


def _has_location(e: WasmoteError) -> bool:
    return bool(getattr(e, "has_location", False))


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="wasmote")
def main() -> None:
    """Run sandboxed WebAssembly modules on microcontrollers."""


# Command modules register themselves on `main` when imported.
from wasmote.cli import wasm_cmds  # noqa: E402,F401
from wasmote.cli import package_cmds  # noqa: E402,F401
from wasmote.cli import firmware_cmds  # noqa: E402,F401
from wasmote.cli import exec_cmd  # noqa: E402,F401
from wasmote.cli import device_cmds  # noqa: E402,F401
from wasmote.cli import sdk_cmds  # noqa: E402,F401
from wasmote.cli import aot_cmds  # noqa: E402,F401
