"""Reading a file the user names (a module, a package, a manifest, a key), at most as many
bytes as such a file can have: `wasmote validate /dev/zero` or a multi-gigabyte file given by
mistake is refused at once instead of filling the host's memory."""

from __future__ import annotations

import errno
from pathlib import Path

# A module the host tools take (they strip and check modules far larger than any device
# holds); a package's content is at most 16 MiB (package/container.py), its file a little more
MODULE_FILE_MAX = 64 << 20
PACKAGE_FILE_MAX = 17 << 20
TEXT_FILE_MAX = 1 << 20     # a manifest: text a person writes
KEY_FILE_MAX = 64 << 10     # a key file: PEM, 32 raw bytes or 64 hex digits, with room


class InputTooLargeError(OSError):
    """The file has more bytes than its kind can have (an OSError, so every reader's
    `cannot read: ...` error says it in the same words)."""


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and n % (1 << 20) == 0 else f"{n} bytes"


def read_capped(path: str | Path, limit: int, what: str) -> bytes:
    """The bytes of `path`, or InputTooLargeError when it has more than `limit` (read from
    the file itself, not its size: /dev/zero and pipes have none); other OSErrors as open
    and read raise them."""
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    if len(data) > limit:
        raise InputTooLargeError(errno.EFBIG, f"more than {_size(limit)}, too large for "
                                 f"{what}", str(path))
    return data
