"""Which source files of a folder changed: Linux inotify through ctypes (event-driven, no
dependency), or comparing modification times where inotify is missing.

`FolderWatch.changes(timeout)` returns the names of files that were written, created,
moved in or deleted since the last call (waiting up to `timeout` for the first), ignoring
hidden files and build outputs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import select
import struct
import time
from collections.abc import Iterable
from pathlib import Path

IGNORED_SUFFIXES = (".wasm", ".wmp", ".o", ".tmp", ".swp", "~")
# IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE | IN_DELETE: a save by any editor is one of these
# (in place: close-after-write; atomic: a rename into the folder).
_MASK = 0x008 | 0x080 | 0x100 | 0x200
_EVENT = struct.Struct("iIII")


def _wanted(name: str, ignore: Iterable[str]) -> bool:
    return bool(name) and not name.startswith(".") and not name.endswith(IGNORED_SUFFIXES) \
        and name not in ignore


class FolderWatch:
    def __init__(self, folder: Path, ignore: Iterable[str] = ()) -> None:
        self.folder = folder
        self.ignore = frozenset(ignore)
        self._fd = -1
        self._mtimes: dict[str, float] = {}
        libc_name = ctypes.util.find_library("c")
        libc = ctypes.CDLL(libc_name, use_errno=True) if libc_name else None
        if libc is not None and hasattr(libc, "inotify_init1"):
            fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
            if fd >= 0 and libc.inotify_add_watch(fd, os.fsencode(folder), _MASK) >= 0:
                self._fd = fd
            elif fd >= 0:
                os.close(fd)
        if self._fd < 0:
            self._mtimes = self._scan()

    @property
    def event_driven(self) -> bool:
        return self._fd >= 0

    def _scan(self) -> dict[str, float]:
        out = {}
        for p in self.folder.iterdir():
            if p.is_file() and _wanted(p.name, self.ignore):
                out[p.name] = p.stat().st_mtime
        return out

    def changes(self, timeout: float) -> set[str]:
        if self._fd < 0:
            deadline = time.monotonic() + timeout
            while True:
                now = self._scan()
                changed = {n for n in set(now) | set(self._mtimes)
                           if now.get(n) != self._mtimes.get(n)}
                self._mtimes = now
                if changed or time.monotonic() >= deadline:
                    return changed
                time.sleep(min(0.25, max(0.0, deadline - time.monotonic())))
        ready, _, _ = select.select([self._fd], [], [], max(0.0, timeout))
        if not ready:
            return set()
        try:
            data = os.read(self._fd, 65536)
        except BlockingIOError:
            return set()
        names = set()
        pos = 0
        while pos + _EVENT.size <= len(data):
            _, _, _, length = _EVENT.unpack_from(data, pos)
            raw = data[pos + _EVENT.size:pos + _EVENT.size + length]
            pos += _EVENT.size + length
            name = os.fsdecode(raw.rstrip(b"\0"))
            if _wanted(name, self.ignore):
                names.add(name)
        return names

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
