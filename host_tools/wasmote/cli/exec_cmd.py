"""`wasmote exec`: run an export of a module on the host build of the runtime core."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wasmote.cli import main
from wasmote.runtime.exec import ExecRequest, OutOfFuel, Trap, run_export


@main.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("module", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--invoke", "export", required=True, metavar="EXPORT",
              help="Exported function to call.")
@click.option("--fuel", type=click.IntRange(min=1), default=None,
              help="Run with this instruction budget (about one unit per block).")
@click.argument("args", nargs=-1)
def exec_(module: Path, export: str, fuel: int | None, args: tuple[str, ...]) -> None:
    """Run EXPORT of MODULE with ARGS (i32:7, i64:-1, f32:1.5, f64:0.1, or a bare i32).

    Prints each result as TYPE:VALUE on its own line. Exit status: 0 ok; 1 the module is
    invalid (FILE:0xOFFSET: message) or cannot be instantiated; 2 the call trapped
    ("trap: reason" on stderr); 3 the --fuel budget ran out.
    """
    try:
        results = run_export(ExecRequest(module, export, args, fuel))
    except Trap as e:
        click.echo(f"trap: {e.reason}", err=True)
        sys.exit(e.exit_code)
    except OutOfFuel as e:
        click.echo(str(e), err=True)
        sys.exit(e.exit_code)
    for v in results:
        click.echo(v.user())
