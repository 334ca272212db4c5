"""Official WASI test suite cases wasmote does not pass, each with its reason (as the spec
suite's exclusions). Keys are "suite/name". Every other case must pass, on the posix build
and on mps2-an386; these must still fail (an exclusion that starts passing is flagged)."""

from __future__ import annotations

NO_FILESYSTEM = ("needs a preopened directory (the test's 'root'): wasmote has no file "
                 "system (no WASI preopens; path_* and fd_* on files answer EBADF/ENOTDIR)")

EXCLUSIONS: dict[str, str] = {
    "c/fdopendir-with-access": NO_FILESYSTEM,
    "c/fopen-with-access": NO_FILESYSTEM,
    "c/lseek": NO_FILESYSTEM,
    "c/pread-with-access": NO_FILESYSTEM,
    "c/pwrite-with-access": NO_FILESYSTEM,
    "c/pwrite-with-append": NO_FILESYSTEM,
    "c/stat-dev-ino": NO_FILESYSTEM,
}
