"""Human-readable and JSON descriptions of a package, for `wasmote inspect PKG.wmp`."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from wasmote.package.capabilities import CapKind, granted_functions
from wasmote.package.container import Package, read_package
from wasmote.package.keys import key_id, signature_valid
from wasmote.terminal_text import escape_controls
from wasmote.wasm.errors import WasmError
from wasmote.wasm.reader import read_module


def signature_status(pkg: Package, trusted: list[bytes] | None = None) -> str:
    sig = pkg.signature
    if sig is None:
        return "unsigned"
    kid = key_id(sig.public_key)
    if not signature_valid(pkg):
        return f"INVALID signature (claims key {kid})"
    if trusted is None:
        return f"signed by key {kid} (Ed25519, signature valid; key trust not checked)"
    if sig.public_key in trusted:
        return f"signed by trusted key {kid} (Ed25519, verified)"
    return f"signed by UNTRUSTED key {kid} (Ed25519; signature valid but key not trusted)"


def package_summary(pkg: Package, trusted: list[bytes] | None = None) -> dict[str, Any]:
    """Everything `inspect` shows, as plain data (for --json)."""
    m = pkg.manifest
    imports: list[str] | str
    try:
        module = read_module(pkg.module)
        imports = [f"{i.module}.{i.name}" for i in module.imports]
    except WasmError as e:
        imports = f"module does not decode: {e}"
    content = pkg.content()
    return {
        "name": m.name,
        "version": str(m.version),
        "api_version": m.api_version,
        "entry": m.entry,
        "autostart": m.autostart,
        "capabilities": [str(c) for c in m.capabilities],
        "linked_functions": sorted(granted_functions(m.capabilities)),
        "limits": {"memory": m.limits.memory_bytes, "stack": m.limits.stack_bytes,
                   "fuel": m.limits.fuel_per_slice, "kv": m.limits.kv_bytes,
                   **({"kv_write": m.limits.kv_write_per_hour}
                      if any(c.kind == CapKind.KV for c in m.capabilities) else {})},
        "module_bytes": len(pkg.module),
        "module_sha256": hashlib.sha256(pkg.module).hexdigest(),
        "imports": imports,
        "aot": [{"arch": a.arch_name(), "abi_version": a.abi_version, "bytes": len(a.code)}
                for a in pkg.aot],
        "extra_sections": [{"kind": s.kind, "bytes": len(s.payload)} for s in pkg.extra],
        "content_bytes": len(content),
        "package_bytes": len(pkg.to_bytes()),
        "content_sha256": hashlib.sha256(content).hexdigest(),
        "signature": signature_status(pkg, trusted),
        "signer_key": pkg.signature.public_key.hex() if pkg.signature else None,
    }


def describe(pkg: Package, name: str = "package", trusted: list[bytes] | None = None) -> str:
    s = package_summary(pkg, trusted)
    lines = [
        f"{name}: wasmote package, format 1, {s['package_bytes']} bytes",
        f"  module      {s['name']} {s['version']} (host API {s['api_version']})",
        f"  entry       {s['entry'] or '-'}{'  (autostart)' if s['autostart'] else ''}",
        f"  grants      {escape_controls(', '.join(s['capabilities'])) or '(none)'}",
        f"  links       {', '.join(s['linked_functions'])}",
        "  limits      " + ", ".join(f"{k} {v}" for k, v in s["limits"].items()),
        f"  wasm        {s['module_bytes']} bytes, sha256 {s['module_sha256']}",
    ]
    imports = s["imports"]  # the module's names: its author's, shown escaped
    lines.append("  imports     " + escape_controls(imports if isinstance(imports, str)
                                                    else ", ".join(imports) or "(none)"))
    for a in s["aot"]:
        lines.append(f"  aot         {a['arch']} ABI {a['abi_version']}, {a['bytes']} bytes")
    for x in s["extra_sections"]:
        lines.append(f"  section     optional kind 0x{x['kind']:02x}, {x['bytes']} bytes")
    lines += [f"  hash        sha256 {s['content_sha256']} (verified)",
              f"  signature   {s['signature']}"]
    return "\n".join(lines)


def describe_package(path: str | Path, as_json: bool = False,
                     trusted: list[bytes] | None = None) -> str:
    """Read and describe a package file (raises PackageFormatError if it is malformed)."""
    pkg = read_package(path)
    if as_json:
        return json.dumps(package_summary(pkg, trusted), indent=2)
    return describe(pkg, str(path), trusted)
