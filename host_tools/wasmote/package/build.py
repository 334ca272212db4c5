"""Make a package from a wasm module and a manifest, checking it the way the device will.

The module is read, validated and (unless asked not to) stripped, its imports
are checked against the manifest's capabilities with the device's link rule, and the result
is a `Package` ready to write or sign.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wasmote.errors import WasmoteError
from wasmote.input_file import MODULE_FILE_MAX, read_capped
from wasmote.package.capabilities import (
    Capability,
    FuncImport,
    check_imports,
    denied_imports,
    unused_capabilities,
)
from wasmote.package.container import Package
from wasmote.package.errors import CapabilityError, PackageError
from wasmote.package.manifest import Manifest
from wasmote.wasm import fuel, nesting
from wasmote.wasm.errors import WasmError
from wasmote.wasm.module import KIND_FUNC, KIND_NAMES, VALTYPE_NAMES, Module
from wasmote.wasm.reader import read_module
from wasmote.wasm.strip import strip_bytes
from wasmote.wasm.validator import validate_module

WASM_PAGE = 65536


@dataclass(frozen=True)
class BuildResult:
    package: Package
    original_size: int
    stripped: bool       # whether the strip tool ran on the module
    unused: tuple[Capability, ...] = ()  # granted, but no import needs them
    stubbed: tuple[str, ...] = ()  # WASI imports not granted: they answer ENOTCAPABLE
    deepest: tuple[int, int] = (0, 0)  # (function, levels) nested deepest (wasm/nesting.py)

    def notes(self) -> list[str]:
        """What the user should know about the grants and the device's limits (printed as
        "note: ...")."""
        return [*(f"capability {cap} is granted but the module imports none of its "
                  f"functions (drop it from the manifest)" for cap in self.unused),
                *(f"{imp} is not granted: it answers ENOTCAPABLE" for imp in self.stubbed),
                *nesting_note(*self.deepest)]


NESTING_NOTE = 512  # levels: a device validates them with 96 KiB of RAM free


def nesting_note(func: int, levels: int) -> list[str]:
    """A function nested deeper than a small device validates (docs/wasi.md, "Nesting")."""
    if levels <= NESTING_NOTE:
        return []
    kib = -(-levels * nesting.BYTES_A_LEVEL // 1024)
    past = (f"more than a device validates (about {nesting.MAX_LEVELS}): the push will be "
            "refused" if levels > nesting.MAX_LEVELS else
            f"a device validates it only with about {kib} KiB of RAM free at install, else "
            "refuses the push")
    return [f"function {func} nests blocks {levels} deep (a C switch is a block a case), "
            f"{past} ('blocks nested too deeply for this device's validator'): split it"]


def module_func_imports(module: Module) -> list[FuncImport]:
    """The module's imports as the link check sees them; non-function imports are refused."""
    out = []
    for imp in module.imports:
        if imp.kind != KIND_FUNC:
            raise CapabilityError(f"import {imp.module}.{imp.name}: a "
                                  f"{KIND_NAMES.get(imp.kind, '?')} import; the device "
                                  f"provides only functions")
        assert isinstance(imp.desc, int)
        ftype = module.types[imp.desc]
        out.append(FuncImport(imp.module, imp.name,
                              tuple(VALTYPE_NAMES.get(t, hex(t)) for t in ftype.params),
                              tuple(VALTYPE_NAMES.get(t, hex(t)) for t in ftype.results)))
    return out


# How each toolchain links a module for a small memory (its defaults: zig/clang wasm32-wasi
# 16 MiB of stack and 257 pages; wasm32-freestanding 17 pages; Rust 1 MiB of stack).
SMALL_MEMORY_FLAGS = ("zig/clang: -Wl,--initial-memory=65536 -Wl,-z,stack-size=8192; Rust: "
                      "-C link-arg=--initial-memory=65536 -C link-arg=-zstack-size=8192; "
                      "asc: --initialMemory 1")


def memory_advice(pages: int) -> str:
    """What to do about a module that starts with `pages` of memory on a small device."""
    kib = pages * WASM_PAGE // 1024
    return (f"give it limits.memory = \"{kib}KiB\" (or more, for its heap) in the manifest, "
            f"or link it smaller ({SMALL_MEMORY_FLAGS})")


def check_memory(module: Module, manifest: Manifest, source: str) -> None:
    """The device refuses a module whose initial memory exceeds limits.memory."""
    for mem in module.mem_types():
        need = mem.limits.min * WASM_PAGE
        if need > manifest.limits.memory_bytes:
            raise PackageError(f"{source}: the module starts with {mem.limits.min} memory "
                               f"pages ({need} bytes) but limits.memory is "
                               f"{manifest.limits.memory_bytes} bytes: "
                               f"{memory_advice(mem.limits.min)}")


def check_entry(module: Module, manifest: Manifest, source: str) -> None:
    """The manifest's `entry` (or `_start` for an autostart module without one) must be an
    exported function without parameters: the device refuses anything else only at START,
    long after the push."""
    entry = manifest.entry or ("_start" if manifest.autostart else "")
    if not entry:
        return
    types = module.func_type_indices()
    funcs = {e.name: e.index for e in module.exports if e.kind == 0}
    if entry not in funcs:
        names = ", ".join(funcs) or "none"
        what = "entry" if manifest.entry else "autostart module's default entry"
        raise PackageError(f"{source}: the manifest's {what} '{entry}' is not an exported "
                           f"function (exported functions: {names})")
    ftype = module.types[types[funcs[entry]]]
    if ftype.params:
        raise PackageError(f"{source}: the entry '{entry}' takes {len(ftype.params)} "
                           "parameter(s); an entry must take none")


def build_package(wasm: bytes, manifest: Manifest, source: str = "module.wasm",
                  strip: bool = True) -> BuildResult:
    """Check `wasm` against `manifest` and wrap both in a package (unsigned)."""
    original_size = len(wasm)
    try:
        module = read_module(wasm)
        validate_module(module)  # never optional: a package holds only valid code
        if strip:
            wasm = bytes(strip_bytes(wasm)[0])  # (stripped bytes, report)
            module = read_module(wasm)
        fuel.check_module(module)  # what the device refuses: too much between check points
    except WasmError as e:
        raise PackageError(e.one_line(source)) from None
    except WasmoteError as e:
        raise PackageError(f"{source}: {e.one_line()}") from None
    try:
        imports = module_func_imports(module)
        check_imports(imports, manifest.capabilities)
    except CapabilityError as e:
        raise CapabilityError(f"{source}: {e}") from None
    check_memory(module, manifest, source)
    check_entry(module, manifest, source)
    pkg = Package(manifest=manifest, module=wasm)
    pkg.content()  # raises if over the size limit
    return BuildResult(pkg, original_size, strip,
                       tuple(unused_capabilities(imports, manifest.capabilities)),
                       tuple(denied_imports(imports, manifest.capabilities)),
                       nesting.deepest(module))


def build_package_files(wasm_path: str | Path, manifest: Manifest,
                        strip: bool = True) -> BuildResult:
    try:
        data = read_capped(wasm_path, MODULE_FILE_MAX, "a wasm module")
    except OSError as e:
        raise PackageError(f"{wasm_path}: cannot read: {e.strerror or e}") from None
    return build_package(data, manifest, source=str(wasm_path), strip=strip)
