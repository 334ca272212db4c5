"""`wasmote exec`: run a module or package on this computer as a device runs it."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from wasmote.cli import main
from wasmote.cli.output import escape
from wasmote.cli.terminal import StreamPrinter, end_open_line, terminal_safe
from wasmote.errors import UsageError
from wasmote.package.manifest import parse_size
from wasmote.runtime.exec import DEFAULT_CAPS, ExecRequest, exec_module
from wasmote.terminal_text import escape_line

_FILE = click.Path(dir_okay=False, path_type=Path)


def _env(items: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items:
        key, eq, value = item.partition("=")
        if not key or not eq:
            raise UsageError(f"--env {item!r}: expected KEY=VALUE")
        out.append((key, value))
    return tuple(out)


@main.command("exec", context_settings={"ignore_unknown_options": True})
@click.argument("module", type=_FILE)
@click.option("--invoke", "export", metavar="EXPORT",
              help="Call this export with ARGS (else: run the module's entry, _start or the "
                   "manifest's, with ARGS as its program arguments).")
@click.option("--fuel", type=click.IntRange(min=1), default=None,
              help="Budget of the --invoke call, in fuel units (about one per simple "
                   "instruction; default: none).")
@click.option("--with", "others", multiple=True, type=_FILE, metavar="MODULE",
              help="Another module or package to start beside it first (e.g. a pub/sub "
                   "partner); repeatable.")
@click.option("--cap", "caps", multiple=True, metavar="CAP",
              help=f"Grant this to the bare modules of the run (repeatable; replaces the "
                   f"default {', '.join(DEFAULT_CAPS)}). A package has its manifest's.")
@click.option("--env", "env", multiple=True, metavar="KEY=VALUE",
              help="Environment variable of a bare module (repeatable).")
@click.option("--memory", metavar="SIZE",
              help="limits.memory of a bare module, e.g. 128KiB (default: what it declares, "
                   "at least 64 KiB).")
@click.option("--kv", "kv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the modules' kv data in this folder (default: a temporary one).")
@click.option("--timeout", type=click.FloatRange(min=0.01), default=None,
              help="Stop the run after this many seconds (exit 124).")
@click.option("--debug", "debug", type=_FILE,
              help="The unstripped module of a package, for traps with names and lines "
                   "(default: NAME.debug.wasm beside NAME.wmp).")
@click.argument("args", nargs=-1)
def exec_(module: Path, export: str | None, fuel: int | None, others: tuple[Path, ...],
          caps: tuple[str, ...], env: tuple[str, ...], memory: str | None,
          kv_dir: Path | None, timeout: float | None, debug: Path | None,
          args: tuple[str, ...]) -> None:
    """Run MODULE (a .wasm or a .wmp package) with the device's host API and WASI subset.

    The same sandbox as on a board (the firmware's code built for this computer): a package
    gets what its manifest grants; a bare module what an unprovisioned device grants one
    (log, time, sleep, random; --cap to change), default limits and at least the memory it
    declares. Its stdout/stderr and log lines print here; kv data lives in --kv DIR or a
    temporary folder; pub/sub reaches the --with modules; the pins (led0, led1, button0,
    button1) are simulated and their changes printed.

    With --invoke, prints each result as TYPE:VALUE (ARGS like i32:7, f64:0.5, or a bare
    i32). Exit status: the module's own when it calls proc_exit, else 0 ok; 1 it cannot be
    loaded or linked (FILE:0xOFFSET: message, or the import and its signature); 2 it
    trapped ("trap: reason in function (file:line)" on stderr); 3 the --fuel budget ran
    out; 124 the --timeout passed.
    """
    req = ExecRequest(module, export, args, fuel, others=others,
                      caps=caps or None, env=_env(env),
                      memory=parse_size("--memory", memory) if memory is not None else None,
                      kv_dir=kv_dir, timeout=timeout, debug=debug)
    printer = StreamPrinter(prefix=bool(others))

    def output(mod: str, stderr: bool, data: bytes) -> None:
        click.echo(printer.text(mod, stderr, data), nl=False, err=stderr)

    def log(mod: str, text: str) -> None:
        end_open_line(printer)
        # one log line is one terminal line: a newline in it is escaped, so that with --with
        # a module cannot print a line that looks like another module's
        # (the device's LOGS are rendered the same: protocol.LogLine.render)
        click.echo(f"{escape(mod)}: {escape_line(text)}" if others else escape_line(text))

    res = exec_module(req, on_output=output, on_log=log)
    end_open_line(printer)
    for note in res.notes:
        click.echo(f"note: {terminal_safe(note)}", err=True)
    for change in res.gpio:
        click.echo(f"[simulated gpio] {change}", err=True)
    if res.trap is not None:
        # one line: the function names in it come from the module's name section
        click.echo(f"trap: {escape(res.trap.where)}", err=True)
    for v in res.values:
        click.echo(v.user())
    sys.exit(res.exit_code)
