"""Putting AOT code into module packages (`wasmote compile`).

The AOT section joins the same package as the wasm module (docs/module-format.md), so
push, store, manifests and signatures work unchanged: the code is compiled from exactly the
package's (stripped) module, which the section's header records by SHA-256. One section
per architecture; compiling again for an architecture replaces its section. Changing the
content invalidates a signature, so the package is re-signed with --key or left unsigned.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from wasmote.aot.compile import CompileResult, compile_wasm
from wasmote.aot.targets import Target
from wasmote.errors import UsageError
from wasmote.package.build import build_package_files
from wasmote.package.container import AotCode, Package, is_package, read_package
from wasmote.package.manifest import Manifest, Version
from wasmote.wasm.files import read_file_bytes


@dataclass(frozen=True)
class CompiledPackage:
    package: Package
    results: tuple[CompileResult, ...]
    source_kind: str            # "wasm" or "package"
    original_module_size: int
    dropped_signature: bool     # the input was signed and its content changed


def default_manifest(path: Path) -> Manifest:
    """A manifest for a module given without one: named after the file, version 0.0.0,
    no capabilities, default limits."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", path.stem)[:32]
    if not name or not name[0].isalnum():
        name = ("m" + name)[:32]
    return Manifest(name, Version(0, 0, 0))


def with_aot(pkg: Package, codes: Sequence[AotCode]) -> Package:
    """`pkg` with these AOT sections added (replacing any for the same architecture), in
    architecture order; the signature is dropped (the content changed)."""
    by_arch = {a.arch: a for a in pkg.aot}
    for code in codes:
        by_arch[code.arch] = code
    return replace(pkg, aot=tuple(by_arch[k] for k in sorted(by_arch)), signature=None)


def compile_package(source: Path, targets: Sequence[Target], *, manifest: Manifest | None,
                    strip: bool = True, fuel: bool = True, compiler: str | None = None,
                    keep_dir: Path | None = None) -> CompiledPackage:
    """A package for `source` (a .wasm module or a .wmp package) with AOT code for every
    target. A wasm module is validated, stripped and checked against the manifest exactly
    as `wasmote package` does; a package keeps its manifest and module."""
    if not targets:
        raise UsageError("no AOT target given (use --target or --board)")
    if is_package(read_file_bytes(source)):
        if manifest is not None:
            raise UsageError(f"{source} is a package: it has its manifest already "
                             "(--manifest applies to a .wasm module)")
        pkg = read_package(source)
        kind = "package"
        original = len(pkg.module)
    else:
        built = build_package_files(source, manifest or default_manifest(source), strip=strip)
        pkg = built.package
        kind = "wasm"
        original = built.original_size
    results = []
    for t in targets:
        keep = keep_dir / t.name if keep_dir is not None else None
        results.append(compile_wasm(pkg.module, t, fuel=fuel, compiler=compiler,
                                    source=str(source), keep_dir=keep))
    out = with_aot(pkg, [r.aot for r in results])
    out.content()  # raises if over the size limit
    return CompiledPackage(out, tuple(results), kind, original, pkg.signature is not None)
