"""Shared helpers of the SDK tests (not a test module)."""

from __future__ import annotations

from pathlib import Path

from wasmote.package.build import module_func_imports
from wasmote.package.capabilities import HOST_FUNCTIONS, check_imports
from wasmote.package.container import read_package
from wasmote.package.manifest import Manifest
from wasmote.wasm.reader import read_module


def assert_module_fits_manifest(wasm: bytes, manifest: Manifest) -> None:
    """Every import is an API-1 host function with its exact signature, granted by the
    manifest, and the manifest grants nothing the module does not use."""
    imports = module_func_imports(read_module(wasm))
    for imp in imports:
        assert imp.module == "wasmote", imp
        func = HOST_FUNCTIONS[imp.name]
        assert (imp.params, imp.results) == (func.params, func.results), imp
    check_imports(imports, manifest.capabilities)  # raises if one is not granted


def package_module_bytes(path: Path) -> tuple[Manifest, bytes]:
    pkg = read_package(path)
    return pkg.manifest, pkg.module
