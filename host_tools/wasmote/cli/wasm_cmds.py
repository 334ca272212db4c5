"""Commands that work on module files alone: validate, strip, inspect."""

from __future__ import annotations

import json
from pathlib import Path

import click

from wasmote.cli import main
from wasmote.package.container import is_package
from wasmote.package.describe import describe_package
from wasmote.wasm.files import load_module, module_from_bytes, read_file_bytes
from wasmote.wasm.inspect import render_text, summarize
from wasmote.wasm.strip import StripOptions, strip_file

_FILE = click.Path(path_type=Path)  # existence is checked by the library: one-line errors


@main.command()
@click.argument("file", type=_FILE)
def validate(file: Path) -> None:
    """Check that FILE is a well-formed, valid wasm module; print "ok"."""
    load_module(file)
    click.echo("ok")


@main.command()
@click.argument("file", type=_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def inspect(file: Path, as_json: bool) -> None:
    """Show FILE's sections, imports (required capabilities), exports and limits."""
    data = read_file_bytes(file)
    if is_package(data):  # a .wmp package: manifest, hash, signature (package/describe.py)
        click.echo(describe_package(file, as_json=as_json))
        return
    summary = summarize(module_from_bytes(data, file, validate=False), len(data))
    if as_json:
        click.echo(json.dumps(summary.to_dict(), indent=2))
    else:
        click.echo(render_text(summary))


@main.command()
@click.argument("file", type=_FILE)
@click.option("-o", "--output", type=_FILE, required=True, help="Where to write the result.")
@click.option("--gc/--no-gc", default=True, show_default=True,
              help="Also remove functions, globals, types, tables, segments and imports "
                   "that nothing reachable uses.")
@click.option("--keep-section", "keep", multiple=True, metavar="NAME",
              help="Keep the custom section NAME (repeatable); all others are removed.")
def strip(file: Path, output: Path, gc: bool, keep: tuple[str, ...]) -> None:
    """Strip FILE for a device; print the sizes before and after (see docs/strip.md)."""
    report = strip_file(file, output, StripOptions(gc=gc, keep_sections=frozenset(keep)))
    saved = 1 - report.size_after / report.size_before if report.size_before else 0.0
    click.echo(f"{file}: {report.size_before} -> {report.size_after} bytes "
               f"(-{saved:.1%}); {report.summary()}")
    for w in report.warnings:
        click.echo(f"warning: {w}", err=True)
