"""The import modules besides "wasmote": WASI preview 1 and AssemblyScript's runtime imports.

The device's tables are firmware/src/core/sandbox/wasi/wasi_table.c and assemblyscript.c;
these are the host's copy, checked against them by a test (tests/sandbox). Every one of the
46 preview-1 functions links with its exact signature. A WASI function behind a capability
the manifest does not grant still links, to a stub answering ENOTCAPABLE (wasi-libc and Rust
std import far more than a program calls); an ungranted AssemblyScript import is refused
like a wasmote one. docs/wasi.md says what each function does on a device.
"""

from __future__ import annotations

from wasmote.package.capabilities import CapKind, HostFunction

WASI_MODULE = "wasi_snapshot_preview1"
AS_MODULE = "env"

# WASI errno values the stubs answer (wasi_snapshot_preview1.witx).
ERRNO_BADF = 8
ERRNO_NOSYS = 52
ERRNO_NOTCAPABLE = 76

_I, _J, _F = "i32", "i64", "f64"


def _fn(name: str, sig: str, kind: CapKind | None = None) -> HostFunction:
    """A function from a signature string like the C table's: "iIi:i" (I = i64, F = f64)."""
    params, _, results = sig.partition(":")
    names = {"i": _I, "I": _J, "F": _F}
    return HostFunction(name, tuple(names[c] for c in params),
                        tuple(names[c] for c in results), kind)


_WASI = [
    _fn("args_get", "ii:i"),
    _fn("args_sizes_get", "ii:i"),
    _fn("environ_get", "ii:i"),
    _fn("environ_sizes_get", "ii:i"),
    _fn("clock_res_get", "ii:i", CapKind.TIME),
    _fn("clock_time_get", "iIi:i", CapKind.TIME),
    _fn("fd_advise", "iIIi:i"),
    _fn("fd_allocate", "iII:i"),
    _fn("fd_close", "i:i", CapKind.LOG),
    _fn("fd_datasync", "i:i"),
    _fn("fd_fdstat_get", "ii:i", CapKind.LOG),
    _fn("fd_fdstat_set_flags", "ii:i"),
    _fn("fd_fdstat_set_rights", "iII:i"),
    _fn("fd_filestat_get", "ii:i"),
    _fn("fd_filestat_set_size", "iI:i"),
    _fn("fd_filestat_set_times", "iIIi:i"),
    _fn("fd_pread", "iiiIi:i"),
    _fn("fd_prestat_get", "ii:i"),
    _fn("fd_prestat_dir_name", "iii:i"),
    _fn("fd_pwrite", "iiiIi:i"),
    _fn("fd_read", "iiii:i"),
    _fn("fd_readdir", "iiiIi:i"),
    _fn("fd_renumber", "ii:i"),
    _fn("fd_seek", "iIii:i", CapKind.LOG),
    _fn("fd_sync", "i:i"),
    _fn("fd_tell", "ii:i"),
    _fn("fd_write", "iiii:i", CapKind.LOG),
    _fn("path_create_directory", "iii:i"),
    _fn("path_filestat_get", "iiiii:i"),
    _fn("path_filestat_set_times", "iiiiIIi:i"),
    _fn("path_link", "iiiiiii:i"),
    _fn("path_open", "iiiiiIIii:i"),
    _fn("path_readlink", "iiiiii:i"),
    _fn("path_remove_directory", "iii:i"),
    _fn("path_rename", "iiiiii:i"),
    _fn("path_symlink", "iiiii:i"),
    _fn("path_unlink_file", "iii:i"),
    _fn("poll_oneoff", "iiii:i", CapKind.SLEEP),
    _fn("proc_exit", "i:"),
    _fn("proc_raise", "i:i"),
    _fn("sched_yield", ":i"),
    _fn("random_get", "ii:i", CapKind.RANDOM),
    _fn("sock_accept", "iii:i"),
    _fn("sock_recv", "iiiiii:i"),
    _fn("sock_send", "iiiii:i"),
    _fn("sock_shutdown", "ii:i"),
]
WASI_FUNCTIONS: dict[str, HostFunction] = {f.name: f for f in _WASI}

_AS = [
    _fn("abort", "iiii:"),
    _fn("trace", "iiFFFFF:", CapKind.LOG),
    _fn("seed", ":F", CapKind.RANDOM),
]
AS_FUNCTIONS: dict[str, HostFunction] = {f.name: f for f in _AS}
