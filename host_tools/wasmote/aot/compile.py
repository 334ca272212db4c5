"""wasm module -> AOT section for one target: validate, translate to C, compile, link, pack.

Results are cached under build/aot-cache/ by a hash of everything that determines them (the
module bytes, target, compiler and its version, fuel, and the AOT compiler's own sources
including the C prelude), so rebuilding an unchanged module costs one hash.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from wasmote.aot.blob import (
    ABI_VERSION,
    FLAG_FUEL,
    FLAG_NO_BOUNDS,
    NO_ENTRY,
    AotBlob,
    ctx_size,
)
from wasmote.aot.link import build_image
from wasmote.aot.targets import Compiler, Target, compiler_for, helper_paths, prelude_dir
from wasmote.aot.translate import translate
from wasmote.errors import WasmoteError
from wasmote.package.container import AotCode
from wasmote.paths import BUILD_DIR
from wasmote.wasm import fuel as fuel_rule
from wasmote.wasm.errors import WasmError
from wasmote.wasm.module import Module
from wasmote.wasm.reader import read_module
from wasmote.wasm.validator import validate_module

CACHE_DIR = BUILD_DIR / "aot-cache"


class AotCompileError(WasmoteError):
    """The module cannot be compiled ahead of time."""


@dataclass(frozen=True)
class CompileResult:
    aot: AotCode
    blob: AotBlob
    target: Target
    cached: bool


@cache
def _sources_hash() -> str:
    """Hash of the AOT compiler itself: its Python, the fuel rule it compiles in and the C
    headers the code includes."""
    h = hashlib.sha256()
    here = Path(__file__).resolve().parent
    for p in [*sorted(here.glob("*.py")), Path(fuel_rule.__file__),
              *sorted(prelude_dir().glob("wm_aot_*.h"))]:
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def cache_key(wasm: bytes, target: Target, compiler: Compiler, fuel: bool,
              bounds_checks: bool = True) -> str:
    h = hashlib.sha256()
    parts = [hashlib.sha256(wasm).hexdigest(), target.name, str(int(target.arch)),
             compiler.family, compiler.identity, " ".join(compiler.flags), str(fuel),
             _sources_hash()]
    parts += [hashlib.sha256(p.read_bytes()).hexdigest() for p in helper_paths(target)]
    if not bounds_checks:
        parts.append("no-bounds-checks")
    for part in parts:
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def load_valid_module(wasm: bytes, source: str) -> Module:
    try:
        mod = read_module(wasm)
        validate_module(mod)
    except WasmError as e:
        raise AotCompileError(e.one_line(source)) from None
    return mod


def compile_wasm(wasm: bytes, target: Target, *, fuel: bool = True,
                 bounds_checks: bool = True, compiler: str | None = None,
                 source: str = "module.wasm", keep_dir: Path | None = None,
                 use_cache: bool = True) -> CompileResult:
    """The AOT section for `target` of the (already stripped, if wanted) module `wasm`.
    bounds_checks=False: no software bounds checks (MPU benchmarks and tests only; the code
    carries FLAG_NO_BOUNDS and a device runs it only isolated by its MPU)."""
    comp = compiler_for(target, compiler)
    key = cache_key(wasm, target, comp, fuel, bounds_checks)
    path = CACHE_DIR / f"{key}.aot"
    if use_cache and keep_dir is None and path.is_file():
        data = path.read_bytes()
        return CompileResult(AotCode(int(target.arch), ABI_VERSION, data), AotBlob.decode(data),
                             target,
                             True)
    mod = load_valid_module(wasm, source)
    try:
        tr = translate(mod, fuel=fuel, bounds_checks=bounds_checks,
                       source_name=Path(source).name)
    except WasmError as e:  # beyond what it takes (sizecap.py), the device's fuel rule
        raise AotCompileError(e.one_line(source)) from None
    image = build_image(tr.source, target, comp, tr.entries, keep_dir=keep_dir,
                        unchecked=tr.unchecked)
    entries = tuple(image.entries.get(j, NO_ENTRY) for j in range(len(mod.funcs)))
    flags = (FLAG_FUEL if fuel else 0) | (0 if bounds_checks else FLAG_NO_BOUNDS)
    blob = AotBlob(flags, ctx_size(target.ptr_bytes),
                   mod.num_imported_funcs, image.frame, hashlib.sha256(wasm).digest(),
                   entries, tr.sig_hashes, image.code, image.align)
    data = blob.encode()
    if use_cache:
        CACHE_DIR.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return CompileResult(AotCode(int(target.arch), ABI_VERSION, data), blob, target, False)
