"""`wasmote compile`: ahead-of-time compile a module into a package (docs/aot.md)."""

from __future__ import annotations

from pathlib import Path

import click

from wasmote.aot.package import compile_package
from wasmote.aot.targets import TARGET_NAMES, get_target, target_for_board
from wasmote.atomic_file import write_atomic
from wasmote.cli import main
from wasmote.errors import UsageError
from wasmote.package.container import is_package
from wasmote.package.describe import signature_status
from wasmote.package.keys import load_private_key, sign_package
from wasmote.package.manifest import load_manifest
from wasmote.wasm.files import read_file_bytes

_FILE = click.Path(dir_okay=False, path_type=Path)


@main.command("compile")
@click.argument("source", type=_FILE)
@click.option("--target", "-t", "targets", multiple=True, type=click.Choice(TARGET_NAMES),
              help="CPU to compile for (repeatable).")
@click.option("--board", "-b", "boards", multiple=True, metavar="BOARD",
              help="Compile for this board's CPU (repeatable).")
@click.option("-o", "--output", type=_FILE,
              help="Package to write (default: SOURCE with .wmp; a package in place).")
@click.option("--manifest", "-m", "manifest_path", type=_FILE,
              help="TOML manifest for a .wasm module (default: named after the file, "
                   "version 0.0.0, no capabilities).")
@click.option("--key", "-k", "key_path", type=_FILE, help="Sign with this Ed25519 key.")
@click.option("--no-strip", is_flag=True, help="Compile the module exactly as given.")
@click.option("--no-fuel", is_flag=True,
              help="No fuel metering (the module cannot be preempted; benchmarks only).")
@click.option("--cc", "compiler", type=click.Choice(["gcc", "zig"]), default=None,
              help="C compiler: the board's GCC (default) or zig cc.")
@click.option("--keep-c", "keep_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Keep the generated C, objects and linked images in this folder.")
def compile_cmd(source: Path, targets: tuple[str, ...], boards: tuple[str, ...],
                output: Path | None, manifest_path: Path | None, key_path: Path | None,
                no_strip: bool, no_fuel: bool, compiler: str | None,
                keep_dir: Path | None) -> None:
    """Compile SOURCE (a .wasm module or a .wmp package) to native code.

    The module is validated (and stripped), translated to C with bounds checks, trap exits,
    stack checks and fuel metering, built with a real cross compiler into position-
    independent code and added to the package as an AOT section for that architecture.
    A device runs AOT code only from packages signed by a key it trusts (docs/security.md).
    """
    chosen = [get_target(t) for t in targets] + [target_for_board(b) for b in boards]
    if not chosen:
        raise UsageError("say what to compile for: --target T or --board B "
                         f"(targets: {', '.join(TARGET_NAMES)})")
    if manifest_path and is_package(read_file_bytes(source)):
        raise UsageError(f"{source} is a package: it has its manifest already "
                         "(--manifest applies to a .wasm module)")
    manifest = load_manifest(manifest_path) if manifest_path else None
    key = load_private_key(key_path) if key_path else None
    result = compile_package(source, chosen, manifest=manifest, strip=not no_strip,
                             fuel=not no_fuel, compiler=compiler, keep_dir=keep_dir)
    pkg = result.package
    if key is not None:
        pkg = sign_package(pkg, key)
    out = output or (source if result.source_kind == "package" else source.with_suffix(".wmp"))
    data = pkg.to_bytes()
    write_atomic(out, data)
    m = pkg.manifest
    for r in result.results:
        cached = ", cached" if r.cached else ""
        click.echo(f"{r.target.name}: {r.target.title}: {len(r.blob.code)} bytes of code, "
                   f"AOT section {len(r.aot.code) + 8} bytes{cached}")
    click.echo(f"{out}: {m.name} {m.version}, module {len(pkg.module)} bytes, package "
               f"{len(data)} bytes, {signature_status(pkg)}")
    if result.dropped_signature and key is None:
        click.echo("note: the input's signature no longer covers the content and was "
                   "removed; sign the package again (wasmote sign) for a provisioned device",
                   err=True)
