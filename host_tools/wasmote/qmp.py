"""A small client of QEMU's machine protocol (QMP): JSON objects over a socket, one per
line. `wasmote sim` starts QEMU with a QMP socket; tests and `wasmote sim set` use it to
change what an emulated part measures (the TMP105's temperature) while the firmware runs.

    with QmpClient(sim.qmp) as q:
        q.qom_set("/machine/peripheral/temp0", "temperature", 23500)

Replies are read up to the one that answers the command; asynchronous events in between
are skipped. Errors come back as QmpError with QEMU's own description.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from wasmote.errors import WasmoteError

MAX_LINE = 1 << 20  # a reply longer than this is not from a QEMU we started


class QmpError(WasmoteError):
    """QEMU refused a command, or its QMP socket does not answer."""


class QmpClient:
    def __init__(self, path: str | Path, timeout: float = 5.0) -> None:
        self.path = str(path)
        self.timeout = timeout
        self._buf = b""
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        while True:  # QEMU creates the socket while it starts
            try:
                self._sock.connect(self.path)
                break
            except (FileNotFoundError, ConnectionRefusedError) as e:
                if time.monotonic() > deadline:
                    self._sock.close()
                    raise QmpError(f"no QMP socket at {self.path} (is the sim running?)") from e
                time.sleep(0.05)
        try:
            greeting = self._read()
            if "QMP" not in greeting:
                raise QmpError(f"{self.path}: not a QMP greeting: {str(greeting)[:80]}")
            self.execute("qmp_capabilities")
        except BaseException:
            self._sock.close()
            raise

    def _read(self) -> dict[str, Any]:
        while b"\n" not in self._buf:
            try:
                chunk = self._sock.recv(65536)
            except TimeoutError as e:
                raise QmpError(f"QMP at {self.path}: no answer within {self.timeout} s") from e
            if not chunk:
                raise QmpError(f"QMP at {self.path}: QEMU closed the connection")
            self._buf += chunk
            if len(self._buf) > MAX_LINE:
                raise QmpError(f"QMP at {self.path}: reply longer than {MAX_LINE} bytes")
        line, self._buf = self._buf.split(b"\n", 1)
        try:
            msg = json.loads(line)
        except ValueError as e:
            raise QmpError(f"QMP at {self.path}: not JSON: {line[:80]!r}") from e
        if not isinstance(msg, dict):
            raise QmpError(f"QMP at {self.path}: unexpected reply {line[:80]!r}")
        return msg

    def execute(self, command: str, **arguments: Any) -> Any:
        """Runs one command; returns its `return` value."""
        req: dict[str, Any] = {"execute": command}
        if arguments:
            req["arguments"] = arguments
        self._sock.sendall(json.dumps(req).encode() + b"\n")
        while True:
            msg = self._read()
            if "return" in msg:
                return msg["return"]
            if "error" in msg:
                err = msg["error"]
                desc = err.get("desc", err) if isinstance(err, dict) else err
                raise QmpError(f"QEMU: {command}: {desc}")
            # an asynchronous event: not our answer

    def qom_set(self, path: str, prop: str, value: Any) -> None:
        self.execute("qom-set", path=path, property=prop, value=value)

    def qom_get(self, path: str, prop: str) -> Any:
        return self.execute("qom-get", path=path, property=prop)

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> QmpClient:
        return self

    def __exit__(self, et: type[BaseException] | None, e: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()
