"""Finds the debug info of a module installed on a device: the package (or bare module)
whose bytes the device holds (LIST gives their SHA-256), in the folders the user points at
(default: the current one), and the unstripped module kept beside it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from wasmote.debug.files import debug_path_for
from wasmote.debug.symbols import DebugInfo, DebugMismatch, describe
from wasmote.debug.trace import parse_trap
from wasmote.errors import WasmoteError
from wasmote.package.container import is_package, parse_package
from wasmote.wasm.errors import WasmError

_MAX_FILE = 32 << 20  # a file larger than a package can be is not one


def find_debug_info(sha256: bytes, places: Iterable[Path]) -> DebugInfo | None:
    """DebugInfo for the installed image with this hash, or None when no file here is it
    (or it carries nothing to name a frame with). A place is a folder or a file."""
    for place in places:
        files = sorted(place.glob("*.wmp")) + sorted(place.glob("*.wasm")) \
            if place.is_dir() else [place]
        for f in files:
            try:
                if f.stat().st_size > _MAX_FILE:
                    continue
                data = f.read_bytes()
            except OSError:
                continue
            if hashlib.sha256(data).digest() != sha256:
                continue
            return _info_for(f, data)
    return None


def _info_for(path: Path, data: bytes) -> DebugInfo | None:
    try:
        if is_package(data):
            module = parse_package(data, str(path)).module
            debug = debug_path_for(path)
            # without the debug file: offsets within the functions of the module that ran
            return DebugInfo(debug.read_bytes() if debug.is_file() else module, module)
        return DebugInfo(data)
    except (DebugMismatch, WasmoteError, WasmError, OSError):
        return None


def symbolize_text(text: str, info: DebugInfo | None) -> str:
    """A device's trap text ("msg [wasm ...]") as "msg in f (file:line) <- ..."."""
    return describe(parse_trap(text), info)
