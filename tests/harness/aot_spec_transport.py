"""Running the spec suite on AOT-compiled modules: a Transport that hands the driver packages.

Every module the suite loads (`module`, `assert_unlinkable`, `assert_uninstantiable`, ...)
that validates is compiled for the driver's architecture and wrapped in a package with a
neutral manifest; the driver (spec_driver.c) attaches the AOT section and runs it natively.
Modules that do not validate (assert_invalid / assert_malformed) go to the driver as they
are, so its loader rejects them as before. Compiled modules are cached (compile.py).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.harness.spec_driver import Transport
from wasmote.aot.compile import AotCompileError, compile_wasm, load_valid_module
from wasmote.aot.targets import Target
from wasmote.package.container import Package
from wasmote.package.manifest import Manifest, Version
from wasmote.paths import BUILD_DIR

SPEC_MANIFEST = Manifest("spec", Version(0, 0, 0))
PACKAGE_DIR = BUILD_DIR / "aot-packages"


def package_for(wasm_path: Path, target: Target, *, fuel: bool = True,
                compiler: str | None = None) -> Path | None:
    """A package with AOT code for `target`, or None when the module does not validate."""
    wasm = Path(wasm_path).read_bytes()
    try:
        load_valid_module(wasm, str(wasm_path))
    except AotCompileError:
        return None
    result = compile_wasm(wasm, target, fuel=fuel, compiler=compiler, source=str(wasm_path))
    data = Package(SPEC_MANIFEST, wasm, (result.aot,)).to_bytes()
    out_dir = PACKAGE_DIR / target.name
    out = out_dir / f"{hashlib.sha256(data).hexdigest()[:32]}.wmp"
    if not out.is_file():
        out_dir.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f"{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(out)
    return out


def precompile(paths: Iterable[Path], target: Target, *, jobs: int | None = None,
               fuel: bool = True, compiler: str | None = None) -> dict[Path, Path | None]:
    """Compile many modules in parallel (the C compiler runs in its own processes)."""
    unique = sorted(set(paths))
    workers = jobs or max(1, os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        got = list(pool.map(lambda p: package_for(p, target, fuel=fuel, compiler=compiler),
                            unique))
    return dict(zip(unique, got, strict=True))


class AotTransport:
    """Wraps a driver transport: modules travel as AOT packages for `target`."""

    def __init__(self, inner: Transport, target: Target, *, fuel: bool = True,
                 compiler: str | None = None) -> None:
        self.inner = inner
        self.target = target
        self.fuel = fuel
        self.compiler = compiler
        self.packages: dict[Path, Path | None] = {}
        self.compiled = 0  # modules that ran as AOT packages

    def prepare(self, paths: Iterable[Path], jobs: int | None = None) -> None:
        self.packages.update(precompile(paths, self.target, jobs=jobs, fuel=self.fuel,
                                        compiler=self.compiler))

    def command(self, line: str) -> str:
        return self.inner.command(line)

    def module_source(self, path: Path) -> str:
        path = Path(path)
        if path not in self.packages:
            self.packages[path] = package_for(path, self.target, fuel=self.fuel,
                                              compiler=self.compiler)
        pkg = self.packages[path]
        if pkg is None:
            return self.inner.module_source(path)
        self.compiled += 1
        return self.inner.module_source(pkg)
