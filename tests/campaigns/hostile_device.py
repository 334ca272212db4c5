"""A device that lies: a TCP server speaking the wire protocol whose answers come from a
script (real answers of a real posix device, mutated by hypothesis), for checking that the
host library and the CLI cope with anything a broken or hostile device sends."""

from __future__ import annotations

import select
import socket
import threading
from collections import deque
from dataclasses import dataclass

from wasmote.device import protocol as p


@dataclass(frozen=True)
class Answer:
    """What the device does with one request."""

    kind: str = "answer"   # answer | silent | wrong_seq | request_echo
    status: int = 0
    body: bytes = b""
    before: bytes = b""    # raw bytes sent first (garbage, a stray event frame, ...)


class HostileDevice:
    """Serves one connection at a time; `script(...)` sets the answers for the next
    requests (then it goes silent)."""

    def __init__(self) -> None:
        self._srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind(("127.0.0.1", 0))
        self._srv.listen(4)
        self.url = f"socket://127.0.0.1:{self._srv.getsockname()[1]}"
        self._lock = threading.Lock()
        self._answers: deque[Answer] = deque()
        self.requests = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def script(self, answers: list[Answer]) -> None:
        with self._lock:
            self._answers = deque(answers)

    def _next(self) -> Answer:
        with self._lock:
            self.requests += 1
            return self._answers.popleft() if self._answers else Answer("silent")

    def _serve(self) -> None:
        while not self._stop:
            ready, _, _ = select.select([self._srv], [], [], 0.1)
            if not ready:
                continue
            conn, _ = self._srv.accept()
            with conn:
                self._talk(conn)

    def _talk(self, conn: socket.socket) -> None:
        dec = p.FrameDecoder()
        while not self._stop:
            ready, _, _ = select.select([conn, self._srv], [], [], 0.1)
            if self._srv in ready:
                return  # a new connection replaces this one (like the real device)
            if conn not in ready:
                continue
            try:
                data = conn.recv(65536)
            except OSError:
                return
            if not data:
                return
            for f in dec.feed(data):
                a = self._next()
                out = a.before
                msg, seq = int(f.msg), f.seq
                if a.kind == "wrong_seq":
                    seq = (seq + 1) & 0xFFFF
                ftype = p.FrameType.REQUEST if a.kind == "request_echo" else \
                    p.FrameType.RESPONSE
                if a.kind != "silent":
                    out += p.Frame(ftype, msg, seq, a.status & 0xFFFF, a.body).encode()
                try:
                    conn.sendall(out)
                except OSError:
                    return

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self._srv.close()
