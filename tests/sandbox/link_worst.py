"""Modules that make linking their imports as costly as the loader lets them (test harness).

The device links an import by reading its type and looking its name up in the host tables
(firmware/src/core/sandbox/link.c) and again in wm_instantiate's linker. What a module
controls: how many imports, which names (the one found last in its table), and how many
types come before the one each import uses. `worst(n_imports, n_types)` imports every
WASI function once (each links an ENOTCAPABLE stub without a grant, so the device's
tables of distinct functions are full), then `sock_shutdown`, the last WASI entry, over and
over, each using the last of `n_types` types (the filler types are the shortest,
`() -> ()`, 3 bytes each).
"""

from __future__ import annotations

WASI = "wasi_snapshot_preview1"
LAST_WASI = "sock_shutdown"
WASM_TYPES = {"i": 0x7F, "I": 0x7E, "f": 0x7D, "F": 0x7C}


def uleb(v: int) -> bytes:
    out = bytearray()
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _name(s: str) -> bytes:
    raw = s.encode()
    return uleb(len(raw)) + raw


def _section(sid: int, body: bytes) -> bytes:
    return bytes([sid]) + uleb(len(body)) + body


def _functype(sig: str) -> bytes:
    params, results = sig.split(":")
    return (b"\x60" + uleb(len(params)) + bytes(WASM_TYPES[c] for c in params)
            + uleb(len(results)) + bytes(WASM_TYPES[c] for c in results))


def module(imports: list[tuple[str, str, str]], n_filler: int) -> bytes:
    """A module of `n_filler` `() -> ()` types, then one type per distinct signature (the
    last import's last), and the function imports (module, name, signature) in order."""
    sigs = list(dict.fromkeys(sig for _, _, sig in reversed(imports)))[::-1]
    types = [b"\x60\x00\x00"] * n_filler + [_functype(s) for s in sigs]
    index = {s: n_filler + i for i, s in enumerate(sigs)}
    body = b"".join(_name(m) + _name(n) + b"\x00" + uleb(index[s]) for m, n, s in imports)
    return (b"\x00asm\x01\x00\x00\x00"
            + _section(1, uleb(len(types)) + b"".join(types))
            + _section(2, uleb(len(imports)) + body))


def worst(wasi_table: list[tuple[str, str]], n_imports: int, n_types: int) -> bytes:
    """`wasi_table`: the device's WASI (name, signature) entries in table order (the
    harness's `imports` command); the module has `n_imports` imports and `n_types`
    types."""
    last = dict(wasi_table)[LAST_WASI]
    first = [(WASI, n, s) for n, s in wasi_table]
    rest = [(WASI, LAST_WASI, last)] * (n_imports - len(first))
    sigs = {s for _, s in wasi_table}
    return module(first + rest, n_types - len(sigs))


def typical(wasi_table: list[tuple[str, str]]) -> bytes:
    """What a wasi-libc program imports: a handful of WASI functions, a few types."""
    wanted = ("fd_write", "fd_close", "fd_seek", "fd_fdstat_get", "proc_exit",
              "environ_get", "environ_sizes_get", "args_get", "args_sizes_get")
    table = dict(wasi_table)
    return module([(WASI, n, table[n]) for n in wanted], 0)
