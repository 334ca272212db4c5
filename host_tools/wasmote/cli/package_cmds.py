"""Commands for module packages: package, keys generate/show, sign, verify."""

from __future__ import annotations

import os
from pathlib import Path

import click

from wasmote.atomic_file import write_atomic
from wasmote.cli import main
from wasmote.debug.files import write_debug_file
from wasmote.errors import UsageError
from wasmote.input_file import KEY_FILE_MAX, read_capped
from wasmote.package.build import build_package_files
from wasmote.package.container import read_package
from wasmote.package.describe import signature_status
from wasmote.package.keys import (
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    public_key_bytes,
    save_private_key,
    save_public_key,
    sign_package,
    verify_package,
)
from wasmote.package.manifest import load_manifest
from wasmote.wasm.files import read_file_bytes

_FILE = click.Path(dir_okay=False, path_type=Path)


@main.command("package")
@click.argument("module", type=_FILE)
@click.option("--manifest", "-m", "manifest_path", type=_FILE, required=True,
              help="TOML manifest (name, version, capabilities, limits).")
@click.option("--key", "-k", "key_path", type=_FILE, help="Sign with this Ed25519 private key.")
@click.option("--no-strip", is_flag=True, help="Package the module exactly as given.")
@click.option("-o", "--output", type=_FILE, required=True, help="Package file to write (.wmp).")
def package_cmd(module: Path, manifest_path: Path, key_path: Path | None, no_strip: bool,
                output: Path) -> None:
    """Check MODULE against a manifest and write a package (optionally signed)."""
    manifest = load_manifest(manifest_path)
    key = load_private_key(key_path) if key_path else None
    result = build_package_files(module, manifest, strip=not no_strip)
    pkg = result.package
    if key is not None:
        pkg = sign_package(pkg, key)
    data = pkg.to_bytes()
    write_atomic(output, data)
    strip_note = (f"stripped {result.original_size} -> {len(pkg.module)} bytes"
                  if result.stripped else f"{len(pkg.module)} bytes (not stripped)")
    click.echo(f"{output}: {manifest.name} {manifest.version}, module {strip_note}, "
               f"package {len(data)} bytes, {signature_status(pkg)}")
    if result.stripped and (kept := write_debug_file(output, read_file_bytes(module))):
        click.echo(f"{kept}: names and debug info for trap reports (stays here)")
    for note in result.notes():
        click.echo(f"note: {note}", err=True)


@main.group("keys")
def keys_group() -> None:
    """Ed25519 signing keys."""


@keys_group.command("generate")
@click.option("-o", "--output", "base", type=_FILE, default=Path("wasmote"), show_default=True,
              help="Writes BASE.key (private, mode 0600) and BASE.pub.")
@click.option("--format", "fmt", type=click.Choice(["pem", "raw"]), default="pem",
              show_default=True)
@click.option("--force", is_flag=True, help="Overwrite existing key files.")
def keys_generate(base: Path, fmt: str, force: bool) -> None:
    """Generate a new signing key pair."""
    priv_path = base.with_name(base.name + ".key")
    pub_path = base.with_name(base.name + ".pub")
    for p in (priv_path, pub_path):
        if os.path.lexists(p) and not force:  # a symlink, dangling or not, counts
            raise UsageError(f"{p} already exists (use --force to overwrite)")
    key = generate_private_key()
    save_private_key(key, priv_path, "pem" if fmt == "pem" else "raw", overwrite=force)
    save_public_key(key, pub_path, "pem" if fmt == "pem" else "raw", overwrite=force)
    click.echo(f"wrote {priv_path} (keep it secret) and {pub_path}; "
               f"key id {key_id(public_key_bytes(key))}")


@keys_group.command("show")
@click.argument("key", type=_FILE)
def keys_show(key: Path) -> None:
    """Print the key id and raw public key of a key file (private: PEM or a .key file)."""
    head = read_capped(key, KEY_FILE_MAX, "a key file")[:64] if key.is_file() else b""
    if b"PRIVATE KEY" in head or key.suffix == ".key":
        pub = public_key_bytes(load_private_key(key))
    else:
        pub = load_public_key(key)
    click.echo(f"key id {key_id(pub)}\npublic key {pub.hex()}")


@main.command("sign")
@click.argument("package", type=_FILE)
@click.option("--key", "-k", "key_path", type=_FILE, required=True,
              help="Ed25519 private key.")
@click.option("-o", "--output", type=_FILE, help="Write here instead of replacing PACKAGE.")
def sign_cmd(package: Path, key_path: Path, output: Path | None) -> None:
    """Sign a package (replacing any earlier signature)."""
    pkg = read_package(package)
    key = load_private_key(key_path)
    replaced = pkg.signature is not None
    pkg = sign_package(pkg, key)
    out = output or package
    write_atomic(out, pkg.to_bytes())
    click.echo(f"{out}: signed by key {key_id(public_key_bytes(key))}"
               + (" (replaced the earlier signature)" if replaced else ""))


@main.command("verify")
@click.argument("package", type=_FILE)
@click.option("--pubkey", "-p", "pubkeys", type=_FILE, multiple=True, required=True,
              help="A trusted public key (repeatable).")
def verify_cmd(package: Path, pubkeys: tuple[Path, ...]) -> None:
    """Check a package the way a provisioned device does: hash, signature, trusted key."""
    trusted = [load_public_key(p) for p in pubkeys]
    pkg = read_package(package)
    sig = verify_package(pkg, trusted)
    click.echo(f"{package}: ok, {pkg.manifest.name} {pkg.manifest.version} signed by trusted "
               f"key {key_id(sig.public_key)}")
