"""Byte streams to a device: a serial port or socket (pyserial), or a child process's pipes.
(Wrappers for testing and measuring, a line-rate throttle and fault injectors, are
tests/harness/transports.py.)"""

from __future__ import annotations

import os
import select
import subprocess
import time
from typing import Protocol

import serial

from wasmote.device.errors import LinkError


class Transport(Protocol):
    """A bidirectional byte stream."""

    description: str
    baud: int | None

    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes:
        """Whatever bytes arrive within `timeout` seconds (b"" if none)."""
        ...

    def close(self) -> None: ...


def resolve_port(port: str) -> str:
    """`auto` becomes the only USB serial device; anything else is used as given."""
    if port != "auto":
        return port
    from wasmote.device.ports import resolve_auto

    return resolve_auto()


class SerialTransport:
    """pyserial's serial_for_url: a device path, or socket://host:port, rfc2217://..."""

    def __init__(self, port: str, baud: int = 115200, open_timeout: float = 2.0) -> None:
        url = resolve_port(port)
        self.description = url
        self.baud: int | None = None if "://" in url else baud
        deadline = time.monotonic() + open_timeout
        while True:
            try:
                self._s = serial.serial_for_url(url, baudrate=baud, timeout=0,
                                                write_timeout=10)
                break
            except (serial.SerialException, OSError, ValueError) as e:
                # A device that is just (re)starting refuses connections for a moment.
                if time.monotonic() > deadline or "://" not in url:
                    raise LinkError(f"cannot open {url}: {e}") from e
                time.sleep(0.05)

    def write(self, data: bytes) -> None:
        try:
            self._s.write(data)
        except (serial.SerialException, OSError) as e:
            raise LinkError(f"write to {self.description} failed: {e}") from e

    def read(self, timeout: float) -> bytes:
        try:
            self._s.timeout = max(0.0, timeout)
            first = self._s.read(1)
            if not first:
                return b""
            self._s.timeout = 0
            rest = self._s.read(65536)
            return bytes(first + rest)
        except (serial.SerialException, OSError) as e:
            raise LinkError(f"read from {self.description} failed: {e}") from e

    def close(self) -> None:
        self._s.close()


class PipeTransport:
    """The stdin/stdout of a child process (e.g. `wasmote-device --stdio`) as the line."""

    def __init__(self, proc: subprocess.Popen[bytes], description: str = "pipe") -> None:
        if proc.stdin is None or proc.stdout is None:
            raise LinkError("PipeTransport needs a process with stdin and stdout pipes")
        self.proc = proc
        self.description = description
        self.baud: int | None = None
        self._in = proc.stdout.fileno()
        self._out = proc.stdin.fileno()

    def write(self, data: bytes) -> None:
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(self._out, view):]
        except OSError as e:
            raise LinkError(f"write to {self.description} failed: {e}") from e

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self._in], [], [], max(0.0, timeout))
        if not ready:
            return b""
        data = os.read(self._in, 65536)
        if not data:
            raise LinkError(f"{self.description}: the device closed the line")
        return data

    def close(self) -> None:
        for f in (self.proc.stdin, self.proc.stdout):
            if f is not None:
                f.close()
