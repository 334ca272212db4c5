"""Loading a module from a file, with errors that name the file."""

from __future__ import annotations

from pathlib import Path

from wasmote.errors import WasmoteError
from wasmote.input_file import MODULE_FILE_MAX, read_capped
from wasmote.wasm.errors import WasmError
from wasmote.wasm.module import Module
from wasmote.wasm.reader import MAGIC, read_module
from wasmote.wasm.validator import validate_module


class WasmFileError(WasmoteError):
    """The module file cannot be read at all (missing, a directory, unreadable)."""


def read_file_bytes(path: Path) -> bytes:
    """The file's bytes (a module or a package), at most MODULE_FILE_MAX of them."""
    try:
        return read_capped(path, MODULE_FILE_MAX, "a wasm module or package")
    except FileNotFoundError:
        raise WasmFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise WasmFileError(f"{path}: is a directory, expected a .wasm file") from None
    except OSError as e:
        raise WasmFileError(f"{path}: cannot read ({e.strerror or e})") from None


def load_module(path: Path, validate: bool = True) -> Module:
    """Read (and by default validate) the module in `path`.

    Errors carry the path, so `one_line()` gives `file.wasm:0x1f3: message`.
    """
    return module_from_bytes(read_file_bytes(path), path, validate)


def module_from_bytes(data: bytes, path: Path, validate: bool = True) -> Module:
    """Like `load_module` for bytes already read from `path`."""
    try:
        mod = read_module(data)
        if validate:
            validate_module(mod)
    except WasmError as e:
        e.path = str(path)
        if e.offset == 0 and e.message == "magic header not detected" and data[:4] != MAGIC:
            e.message += " (not a WebAssembly binary)"
        raise
    return mod
