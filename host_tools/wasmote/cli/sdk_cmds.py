"""Commands for module authors and board owners: new, cc, asc, doctor, flash."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote import doctor as doctor_lib
from wasmote import flash as flash_lib
from wasmote.cli import main
from wasmote.cli.output import emit_json, json_option
from wasmote.debug.files import write_debug_file
from wasmote.package.keys import load_private_key, sign_package
from wasmote.package.manifest import Manifest, load_manifest
from wasmote.sdk.asc import RUNTIMES, AscOptions, compile_assemblyscript
from wasmote.sdk.cc import (
    CompileOptions,
    CompileResult,
    compile_module,
    package_module,
    write_atomic,
)
from wasmote.sdk.scaffold import BUILD_SCRIPT, LANGS, TEMPLATES, new_project

_FILE = click.Path(dir_okay=False, path_type=Path)
F = TypeVar("F", bound=Callable[..., Any])


def _package_options(f: F) -> F:
    """-m/--manifest, --package, -k/--key: check, package and sign what was compiled."""
    f = click.option("-k", "--key", "key_path", type=_FILE,
                     help="Sign the package with this key.")(f)
    f = click.option("--package", "package_path", type=_FILE,
                     help="Package to write (default: OUTPUT with .wmp).")(f)
    return click.option("-m", "--manifest", "manifest_path", type=_FILE,
                        help="Also check the module against this manifest and write a "
                             "package.")(f)


@main.command("new")
@click.argument("name")
@click.option("--dir", "parent", type=click.Path(file_okay=False, path_type=Path),
              default=Path("."), show_default=True, help="Create the project folder here.")
@click.option("--force", is_flag=True, help="Overwrite files of an existing project.")
@click.option("--lang", type=click.Choice(list(LANGS)), default="c", show_default=True,
              help="c: C with the SDK header; zig-wasi: C with libc (printf, malloc) over "
                   "WASI; assemblyscript: AssemblyScript (needs Node.js >= 20).")
@click.option("--template", type=click.Choice(TEMPLATES), default="module", show_default=True,
              help="i2c-sensor: a driver for a sensor on I2C (reads the board's temp0; C).")
def new_cmd(name: str, parent: Path, force: bool, lang: str, template: str) -> None:
    """Create a module project NAME/ (source, manifest, build script, README)."""
    sc = new_project(name, parent, force, lang, template)
    click.echo(f"created {sc.folder}/ ({', '.join(p.name for p in sc.files)})")
    click.echo(f"next: cd {sc.folder} && ./{BUILD_SCRIPT}")


@main.command("cc")
@click.argument("sources", nargs=-1, required=True, type=_FILE)
@click.option("-o", "--output", type=_FILE, required=True, help="Module to write (.wasm).")
@click.option("-O", "opt", type=click.Choice(["0", "1", "2", "3", "s", "z"]), default="s",
              show_default=True, help="Optimisation level.")
@click.option("--export", "exports", multiple=True, metavar="NAME",
              help="Export this function (besides those marked export_name).")
@click.option("-I", "includes", multiple=True, type=click.Path(path_type=Path),
              help="Include folder (the SDK's is always added).")
@click.option("-D", "defines", multiple=True, metavar="NAME[=VALUE]")
@click.option("--stack", "stack", type=int, default=8192, show_default=True,
              help="Stack bytes in linear memory.")
@click.option("--memory", "memory", type=int, default=65536, show_default=True,
              help="Initial linear memory in bytes (whole 64 KiB pages).")
@click.option("--wasi", is_flag=True,
              help="Link against WASI libc (printf, malloc, ...; a reactor: exports only, "
                   "_initialize runs first). For a program with main(), --main.")
@click.option("--main", "command", is_flag=True,
              help="A WASI program with main() and libc (a command: _start); implies "
                   "--wasi.")
@click.option("-g", "debug", is_flag=True, help="Keep DWARF (implies --no-strip).")
@click.option("--no-strip", is_flag=True, help="Keep names and custom sections.")
@click.option("--no-werror", is_flag=True, help="Warnings do not fail the build.")
@_package_options
def cc_cmd(sources: tuple[Path, ...], output: Path, opt: str, exports: tuple[str, ...],
           includes: tuple[Path, ...], defines: tuple[str, ...], stack: int, memory: int,
           wasi: bool, command: bool, debug: bool, no_strip: bool, no_werror: bool,
           manifest_path: Path | None, package_path: Path | None,
           key_path: Path | None) -> None:
    """Compile C SOURCES to a wasm module for wasmote (zig cc, no WASI, stripped)."""
    manifest, key = _manifest_and_key(manifest_path, package_path, key_path)
    opts = CompileOptions(sources=sources, output=output, opt=f"-O{opt}",
                          wasi="command" if command else "reactor" if wasi else "",
                          exports=exports, stack_size=stack, initial_memory=memory,
                          include_dirs=includes, defines=defines, debug=debug,
                          werror=not no_werror, strip=not (no_strip or debug),
                          debug_file=manifest is not None)
    _package_result(compile_module(opts), opts.strip, manifest, package_path, output, key)


def _manifest_and_key(manifest_path: Path | None, package_path: Path | None,
                      key_path: Path | None) -> tuple[Manifest | None,
                                                     Ed25519PrivateKey | None]:
    if (package_path or key_path) and manifest_path is None:
        raise click.UsageError("--package and --key need --manifest")
    return (load_manifest(manifest_path) if manifest_path else None,
            load_private_key(key_path) if key_path else None)


def _package_result(res: CompileResult, stripped: bool, manifest: Manifest | None,
                    package_path: Path | None, output: Path,
                    key: Ed25519PrivateKey | None) -> None:
    """Reports a compiled module; with a manifest, packages it (and keeps its names and
    DWARF beside the package as NAME.debug.wasm, for trap reports)."""
    note = f"stripped {res.compiled_size} -> {res.size}" if stripped else f"{res.size}"
    click.echo(f"{res.output}: {note} bytes")
    if manifest is None:
        return
    built = package_module(res, manifest)
    pkg = sign_package(built.package, key) if key else built.package
    out = package_path or output.with_suffix(".wmp")
    data = pkg.to_bytes()
    write_atomic(out, data)
    click.echo(f"{out}: {manifest.name} {manifest.version}, package {len(data)} bytes"
               + (", signed" if key else ", unsigned"))
    write_debug_file(out, res.unstripped)
    for note in built.notes():
        click.echo(f"note: {note}", err=True)


@main.command("asc")
@click.argument("sources", nargs=-1, required=True, type=_FILE)
@click.option("-o", "--output", type=_FILE, required=True, help="Module to write (.wasm).")
@click.option("--runtime", type=click.Choice(list(RUNTIMES)), default="stub", show_default=True,
              help="AssemblyScript's memory manager: stub (never frees, smallest), "
                   "incremental (garbage collector).")
@click.option("-O", "opt", type=click.Choice(["0", "1", "2", "3", "s", "z"]), default="3",
              show_default=True, help="Optimisation level.")
@click.option("--no-strip", is_flag=True, help="Keep names and custom sections.")
@_package_options
def asc_cmd(sources: tuple[Path, ...], output: Path, runtime: str, opt: str, no_strip: bool,
            manifest_path: Path | None, package_path: Path | None,
            key_path: Path | None) -> None:
    """Compile AssemblyScript SOURCES to a wasm module for wasmote (asc from npm, installed
    by the bootstrap; needs Node.js >= 20)."""
    manifest, key = _manifest_and_key(manifest_path, package_path, key_path)
    opts = AscOptions(sources, output, runtime=runtime,
                      opt="-O3" if opt == "3" else f"-O{opt}", strip=not no_strip)
    _package_result(compile_assemblyscript(opts), opts.strip, manifest, package_path, output,
                    key)


@main.command("doctor")
@json_option
def doctor_cmd(as_json: bool) -> None:
    """Check this machine's setup; print the fix for anything missing (exit 1 if so)."""
    checks = doctor_lib.run_checks()
    if as_json:
        emit_json([{**dataclasses.asdict(c), "status": c.status} for c in checks])
    else:
        click.echo(doctor_lib.report(checks))
    if not doctor_lib.all_required_ok(checks):
        sys.exit(1)


@main.command("flash")
@click.option("--board", required=True, help="Board name (boards/NAME.json).")
@click.option("--port", default="", help="Serial port of the board, e.g. /dev/ttyUSB0, or "
              "'auto' (the only USB serial device). Not needed for the Nucleo (ST-LINK).")
@click.option("--baud", type=int, default=460800, show_default=True, help="ESP32 baud rate.")
@click.option("--no-build", is_flag=True, help="Flash the last build as it is.")
def flash_cmd(board: str, port: str, baud: int, no_build: bool) -> None:
    """Build (if needed) and flash the firmware onto a real board."""
    flash_lib.flash(board, port, baud, build=not no_build, echo=click.echo)
