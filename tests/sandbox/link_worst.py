"""Modules that make linking their imports as costly as the loader lets them (test harness).

The device links an import by reading its type and looking its name up in the host tables
(firmware/src/core/sandbox/link.c), then again in wm_instantiate's linker (a list of the
distinct host functions linked, newest first). What a module controls: how many imports,
which names, and how many types come before the one each import uses. `worst` imports
every host function that links without a grant once (the WASI ones link an ENOTCAPABLE
stub; `yield`, `periph_close`, `env.abort` need no capability), so the tables of distinct
functions are full, then one of them over and over, using the last of `n_types` types (the
filler types are the shortest, `() -> ()`, 3 bytes each).
"""

from __future__ import annotations

from dataclasses import dataclass

from wasmote.wasm.leb128 import encode_unsigned as uleb

WASI = "wasi_snapshot_preview1"
WASM_TYPES = {"i": 0x7F, "I": 0x7E, "f": 0x7D, "F": 0x7C}


@dataclass(frozen=True)
class HostImport:
    module: str
    name: str
    sig: str  # wasmote.h's form: "ii:i"


def parse_imports(line: str) -> list[HostImport]:
    """The harness's `imports` answer (MODULE.NAME/SIG/CAP/STUB ...): the host functions a
    module links without any grant (capability 0, or an ungranted stub), in table order."""
    out = []
    for entry in line.split():
        qual, sig, cap, stub = entry.split("/")
        module, name = qual.split(".", 1)
        if cap == "0" or stub == "1":
            out.append(HostImport(module, name, sig))
    return out


def _name(s: str) -> bytes:
    raw = s.encode()
    return uleb(len(raw)) + raw


def _section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + uleb(len(body)) + body


def _functype(sig: str) -> bytes:
    params, results = sig.split(":")
    return (b"\x60" + uleb(len(params)) + bytes(WASM_TYPES[c] for c in params)
            + uleb(len(results)) + bytes(WASM_TYPES[c] for c in results))


def module(imports: list[HostImport], n_filler: int) -> bytes:
    """A module of `n_filler` `() -> ()` types, then one type per distinct signature (the
    last import's last), and the function imports in order."""
    sigs = list(dict.fromkeys(i.sig for i in reversed(imports)))[::-1]
    types = [b"\x60\x00\x00"] * n_filler + [_functype(s) for s in sigs]
    index = {s: n_filler + k for k, s in enumerate(sigs)}
    body = b"".join(_name(i.module) + _name(i.name) + b"\x00" + uleb(index[i.sig])
                    for i in imports)
    return (b"\x00asm\x01\x00\x00\x00"
            + _section(1, uleb(len(types)) + b"".join(types))
            + _section(2, uleb(len(imports)) + body))


def worst(linkable: list[HostImport], repeat: HostImport, n_imports: int,
          n_types: int) -> bytes:
    """`linkable` once, then `repeat` up to `n_imports` imports, over `n_types` types."""
    rest = [repeat] * (n_imports - len(linkable))
    return module(linkable + rest, n_types - len({i.sig for i in linkable}))


def typical(linkable: list[HostImport]) -> bytes:
    """What a wasi-libc program imports: a handful of WASI functions, a few types."""
    wanted = ("fd_write", "fd_close", "fd_seek", "fd_fdstat_get", "proc_exit",
              "environ_get", "environ_sizes_get", "args_get", "args_sizes_get")
    by_name = {i.name: i for i in linkable if i.module == WASI}
    return module([by_name[n] for n in wanted], 0)
