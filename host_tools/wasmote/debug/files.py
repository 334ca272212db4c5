"""The unstripped module kept beside a package (never pushed): NAME.debug.wasm next to
NAME.wmp. `wasmote package`, `cc` and `asc` write it; `exec`, `run`, `start` and `logs`
read it to name the source of a trap."""

from __future__ import annotations

from pathlib import Path

from wasmote.wasm import leb128
from wasmote.wasm.errors import WasmError

DEBUG_SUFFIX = ".debug.wasm"


def debug_path_for(package: Path) -> Path:
    """Where a package's unstripped module is kept."""
    return package.with_name(package.name.removesuffix(".wmp") + DEBUG_SUFFIX)


def has_debug_content(data: bytes) -> bool:
    """True if the module carries names or DWARF (something a trap report can use)."""
    pos = 8
    try:
        while pos < len(data):
            size, body = leb128.decode_unsigned(data, pos + 1, 32)
            if data[pos] == 0:
                n, at = leb128.decode_unsigned(data, body, 32)
                name = data[at:at + n]
                if name == b"name" or name.startswith(b".debug_"):
                    return True
            pos = body + size
    except WasmError:
        return False
    return False


def write_debug_file(package: Path, unstripped: bytes) -> Path | None:
    """Writes the unstripped module beside `package` when it has names or DWARF; returns
    its path (None: nothing worth keeping, and a stale one is removed)."""
    path = debug_path_for(package)
    if not has_debug_content(unstripped):
        path.unlink(missing_ok=True)
        return None
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(unstripped)
    tmp.replace(path)
    return path
