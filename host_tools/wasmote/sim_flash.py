"""A simulated board's flash kept in a host file across sim restarts.

Under QEMU the module store (and its config area: keys, pins, kv, boot count) is RAM the
firmware drives as NOR flash. A persistent sim starts QEMU paused (`-S`) with its gdbstub
on a unix socket; before the guest runs a single instruction the saved image is written
into the board's store region, then the gdbstub detaches and the guest boots. `sim stop`
attaches again (which pauses the guest), reads the region back and replaces the file
atomically, then ends QEMU.

Why the gdbstub: it works the same on every QEMU target (Arm, RISC-V, Xtensa), needs no
firmware support, and, unlike `-device loader`, the image is not written again at every
system reset (which would undo what the firmware stored before a RESET). The price: a sim
killed without `sim stop` (SIGKILL, a crash of the host) keeps only what was saved at its
last stop, as a board whose flash was never written since then would.
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from wasmote.boards import StoreRegion
from wasmote.errors import WasmoteError

_WRITE_CHUNK = 1536   # 3 KiB of hex: well inside QEMU's 4 KiB packet buffer
_READ_CHUNK = 1024


class SimFlashError(WasmoteError):
    """The sim's flash could not be restored or saved."""


class GdbLink:
    """The few gdb remote-serial-protocol packets we need: read/write memory, detach."""

    def __init__(self, path: str, timeout: float) -> None:
        self._s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._s.settimeout(timeout)
        self._s.connect(path)
        self._buf = b""

    def close(self) -> None:
        self._s.close()

    def _recv(self) -> bytes:
        data = self._s.recv(65536)
        if not data:
            raise SimFlashError("QEMU's gdbstub closed the connection")
        return data

    def command(self, body: str) -> str:
        raw = body.encode()
        self._s.sendall(b"$" + raw + b"#%02x" % (sum(raw) & 0xFF))
        while True:
            start = self._buf.find(b"$")
            end = self._buf.find(b"#", start + 1) if start >= 0 else -1
            if start >= 0 and end >= 0 and len(self._buf) >= end + 3:
                reply = self._buf[start + 1:end]
                self._buf = self._buf[end + 3:]
                self._s.sendall(b"+")
                # Attaching pauses the guest and QEMU reports that stop (T..) on its own;
                # none of our commands is answered with a stop packet.
                if reply[:1] not in (b"T", b"S"):
                    return reply.decode("ascii", "replace")
                continue
            self._buf += self._recv()

    def write(self, addr: int, data: bytes) -> None:
        reply = self.command(f"M{addr:x},{len(data):x}:{data.hex()}")
        if reply != "OK":
            raise SimFlashError(f"gdbstub refused a write at 0x{addr:x}: {reply}")

    def read(self, addr: int, size: int) -> bytes:
        reply = self.command(f"m{addr:x},{size:x}")
        try:
            data = bytes.fromhex(reply)
        except ValueError:
            data = b""
        if len(data) != size:
            raise SimFlashError(f"gdbstub refused a read at 0x{addr:x}: {reply[:20]}")
        return data


def _connect(path: str, alive: object, timeout: float) -> GdbLink:
    """Connects once QEMU serves its gdbstub (it does after its serial's first client)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return GdbLink(path, timeout)
        except (FileNotFoundError, ConnectionRefusedError) as e:
            if time.monotonic() > deadline or not callable(alive) or not alive():
                raise SimFlashError(f"QEMU's gdbstub at {path} did not come up: {e}") from e
            time.sleep(0.02)


def restore(gdb_path: str, store: StoreRegion, image: Path, alive: object,
            timeout: float = 30.0) -> int:
    """Writes `image` (if it exists) into the paused guest's store region, then lets the
    guest run. Returns the bytes restored (0: a fresh flash)."""
    data = image.read_bytes() if image.is_file() else b""
    if len(data) > store.size:
        raise SimFlashError(f"{image}: {len(data)} bytes, larger than the board's "
                            f"{store.size}-byte store (use --fresh or another --flash)")
    link = _connect(gdb_path, alive, timeout)
    try:
        zero = bytes(_WRITE_CHUNK)
        for off in range(0, len(data), _WRITE_CHUNK):
            part = data[off:off + _WRITE_CHUNK]
            if part != zero[:len(part)]:  # QEMU's RAM starts zeroed
                link.write(store.base + off, part)
        link.command("D")  # detach: the guest starts
    finally:
        link.close()
    return len(data)


def save(gdb_path: str, store: StoreRegion, image: Path, timeout: float = 10.0,
         resume: bool = False) -> None:
    """Reads the store region from the running guest (pausing it) into `image`; with
    `resume` the guest then goes on (else it stays paused, as before QEMU ends)."""
    link = _connect(gdb_path, lambda: True, timeout)
    try:
        parts = [link.read(store.base + off, min(_READ_CHUNK, store.size - off))
                 for off in range(0, store.size, _READ_CHUNK)]
        if resume:
            link.command("D")  # detach: the guest goes on
    finally:
        link.close()
    image.parent.mkdir(parents=True, exist_ok=True)
    tmp = image.with_name(f".{image.name}.{os.getpid()}.tmp")
    tmp.write_bytes(b"".join(parts))
    tmp.replace(image)
