"""The `wasmote` command line: a thin layer over the library.

Each command group lives in its own module and registers itself on `main` below.
Documented errors (`WasmoteError`) become one line on stderr and a non-zero exit;
no Python traceback reaches the user.
"""

from __future__ import annotations

import os
import sys
from typing import NoReturn

import click

from wasmote import __version__
from wasmote.errors import WasmoteError
from wasmote.terminal_text import escape_controls


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> object:
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's exit
            return result
        except BrokenPipeError:
            _quiet_broken_pipe()
            raise  # not reached: it exits
        except WasmoteError as e:
            # errors carry device messages: escaped like every other device text
            line = escape_controls(e.one_line())
            click.echo(f"error: {line}" if not _has_location(e) else line, err=True)
            sys.exit(e.exit_code)
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except OSError as e:
            click.echo(f"error: {e.strerror or e}"
                       + (f": {e.filename}" if getattr(e, "filename", None) else ""), err=True)
            sys.exit(1)


def _quiet_broken_pipe() -> NoReturn:
    """`wasmote info | head`: the reader left; stop writing, say nothing (like cat)."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass
    sys.exit(141)


def _has_location(e: WasmoteError) -> bool:
    return bool(getattr(e, "has_location", False))


def _apply_config(ctx: click.Context) -> None:
    """Config-file values become the defaults of a device command's --port/--baud/
    --timeout: a flag or WASMOTE_* still wins (click: command line > env > default_map)."""
    from wasmote.config import load_config

    name = ctx.invoked_subcommand
    group = ctx.command
    cmd = group.get_command(ctx, name) if name and isinstance(group, click.Group) else None
    if name is None or cmd is None or not any(
            p.name == "port" and getattr(p, "envvar", None) == "WASMOTE_PORT"
            for p in cmd.params):
        return
    values = load_config().values
    if values:
        ctx.default_map = {**(ctx.default_map or {}), name: dict(values)}


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="wasmote")
@click.pass_context
def main(ctx: click.Context) -> None:
    """Run sandboxed WebAssembly modules on microcontrollers.

    \b
    The everyday loop (a sim here; -p /dev/ttyUSB0 for a board):
      wasmote sim --background           # prints socket://127.0.0.1:PORT
      wasmote logs -f -p PORT            # in a second terminal: a monitor beside it all
      wasmote push hello.wmp -p PORT     # install (skipped if identical)
      wasmote run hello -p PORT          # call its entry
      wasmote dev -p PORT                # rebuild and re-push on every save

    Device commands take -p/--port, -b/--baud and --timeout, or WASMOTE_PORT,
    WASMOTE_BAUD, WASMOTE_TIMEOUT, or a config file (see `wasmote ports -h`).
    Shell completion: eval "$(_WASMOTE_COMPLETE=bash_source wasmote)" (zsh_source,
    fish_source for those shells).
    """
    _apply_config(ctx)


# Command modules register themselves on `main` when imported.
from wasmote.cli import wasm_cmds  # noqa: E402,F401
from wasmote.cli import package_cmds  # noqa: E402,F401
from wasmote.cli import firmware_cmds  # noqa: E402,F401
from wasmote.cli import exec_cmd  # noqa: E402,F401
from wasmote.cli import device_cmds  # noqa: E402,F401
from wasmote.cli import sdk_cmds  # noqa: E402,F401
from wasmote.cli import aot_cmds  # noqa: E402,F401
from wasmote.cli import loop_cmds  # noqa: E402,F401
from wasmote.cli import fleet_cmds  # noqa: E402,F401
