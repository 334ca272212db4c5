"""Writing a file whole or not at all, never through a link an attacker planted.

The data goes to a new file in the target's directory (created exclusively, not following
symlinks: tempfile's O_CREAT | O_EXCL | O_NOFOLLOW) with its final mode set before a byte
is written, then is renamed over the target. A rename replaces a symlink at the target
itself and never writes where it points; an existing file's mode is never inherited.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from wasmote.errors import UsageError


def default_mode() -> int:
    """0666 less the umask: what a plain open() would create."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_atomic(path: Path, data: bytes, mode: int | None = None,
                 overwrite: bool = True) -> None:
    """Write `data` to `path` (mode: default_mode() if None). Without `overwrite`, an
    existing `path` (a dangling symlink too) is refused, atomically: no check-then-write."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, default_mode() if mode is None else mode)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path, follow_symlinks=False)  # fails if anything is there
            except FileExistsError:
                raise UsageError(f"{path} already exists (use --force to overwrite)") from None
            os.unlink(tmp)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
