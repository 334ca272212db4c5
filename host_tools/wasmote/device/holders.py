"""Who holds a line: the processes that have a tty open, listen on a local TCP port or are
connected to it (from /proc, Linux only; elsewhere every answer is "nobody known").

Used to refuse with a precise message ("/dev/ttyUSB0 is open in pid 4242 (screen)")
instead of letting two programs steal each other's bytes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

_LISTEN = "0A"
_ESTABLISHED = "01"


@dataclass(frozen=True)
class Holder:
    pid: int
    command: str

    def __str__(self) -> str:
        return f"pid {self.pid} ({self.command})"


def command_of(pid: int) -> str:
    """The short command line of `pid` (program name and first arguments)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().rstrip(b"\0").split(b"\0")
    except OSError:
        return "?"
    words = [a.decode(errors="replace") for a in argv if a]
    if not words:
        return "?"
    words[0] = os.path.basename(words[0])
    text = " ".join(words[:4])
    return text if len(text) <= 60 else text[:57] + "..."


def _pids() -> list[int]:
    try:
        return [int(d) for d in os.listdir("/proc") if d.isdigit()]
    except OSError:
        return []


def _fd_targets(pid: int) -> list[str]:
    base = f"/proc/{pid}/fd"
    try:
        names = os.listdir(base)
    except OSError:
        return []
    out = []
    for n in names:
        try:
            out.append(os.readlink(f"{base}/{n}"))
        except OSError:
            continue
    return out


def holders_of_path(path: str, exclude: int | None = None) -> list[Holder]:
    """Processes with the file `path` (a tty) open, except `exclude`."""
    real = os.path.realpath(path)
    me = os.getpid() if exclude is None else exclude
    return [Holder(pid, command_of(pid)) for pid in _pids()
            if pid != me and real in _fd_targets(pid)]


def _tcp_inodes(port: int, state: str, remote: bool) -> set[str]:
    """Socket inodes of 127.0.0.1 TCP entries in `state` whose local (or, with `remote`,
    remote) port is `port`."""
    want = f"0100007F:{port:04X}"
    found: set[str] = set()
    try:
        with open("/proc/net/tcp") as f:
            rows = f.readlines()[1:]
    except OSError:
        return found
    for row in rows:
        cols = row.split()
        if len(cols) > 9 and cols[3] == state and cols[2 if remote else 1] == want:
            found.add(cols[9])
    return found


def _owners(inodes: set[str], exclude: int | None) -> list[Holder]:
    if not inodes:
        return []
    links = {f"socket:[{i}]" for i in inodes}
    return [Holder(pid, command_of(pid)) for pid in _pids()
            if pid != exclude and links & set(_fd_targets(pid))]


def listening(port: int) -> bool:
    """Whether something listens on 127.0.0.1:port (without connecting to it)."""
    return bool(_tcp_inodes(port, _LISTEN, remote=False))


def listeners_of(port: int) -> list[Holder]:
    return _owners(_tcp_inodes(port, _LISTEN, remote=False), None)


def clients_of(port: int, exclude: int | None = None) -> list[Holder]:
    """Processes with an established connection to 127.0.0.1:port."""
    return _owners(_tcp_inodes(port, _ESTABLISHED, remote=True), exclude)
