"""Byte streams to a device: a serial port or socket (pyserial), and two wrappers for
testing and measuring: a line-rate throttle and a fault injector."""

from __future__ import annotations

import os
import random
import select
import subprocess
import time
from dataclasses import dataclass, field
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


class ThrottledTransport:
    """Paces both directions to a UART's line rate (8N1: 10 bits per byte), so a fast link
    (TCP to the posix device) behaves like a serial line at `baud`."""

    def __init__(self, inner: Transport, baud: int) -> None:
        self.inner = inner
        self.baud: int | None = baud
        self.description = f"{inner.description} throttled to {baud} baud"
        self._byte_time = 10.0 / baud
        self._tx_free = 0.0
        self._rx_free = 0.0

    def _pace(self, free_at: float, n: int) -> float:
        start = max(time.perf_counter(), free_at)
        done = start + n * self._byte_time
        delay = done - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        return done

    def write(self, data: bytes) -> None:
        # Bytes leave no faster than the line carries them; the write returns when the last
        # one would have arrived.
        self._tx_free = self._pace(self._tx_free, len(data))
        self.inner.write(data)

    def read(self, timeout: float) -> bytes:
        data = self.inner.read(timeout)
        if data:
            self._rx_free = self._pace(self._rx_free, len(data))
        return data

    def close(self) -> None:
        self.inner.close()


@dataclass
class FaultStats:
    dropped: int = 0
    flipped: int = 0
    duplicated: int = 0
    delayed: int = 0

    def total(self) -> int:
        return self.dropped + self.flipped + self.duplicated + self.delayed


@dataclass
class _Mangler:
    rate: float
    kinds: tuple[str, ...]
    rng: random.Random
    stats: FaultStats
    held: list[tuple[int, int]] = field(default_factory=list)  # (bytes still to pass, byte)

    def apply(self, data: bytes) -> bytes:
        out = bytearray()
        for b in data:
            for item in list(self.held):
                self.held.remove(item)
                if item[0] <= 0:
                    out.append(item[1])
                else:
                    self.held.append((item[0] - 1, item[1]))
            if self.rng.random() >= self.rate:
                out.append(b)
                continue
            kind = self.rng.choice(self.kinds)
            if kind == "drop":
                self.stats.dropped += 1
            elif kind == "flip":
                self.stats.flipped += 1
                out.append(b ^ (1 << self.rng.randrange(8)))
            elif kind == "dup":
                self.stats.duplicated += 1
                out += bytes([b, b])
            else:  # delay: the byte comes out later, after a few others (reordering)
                self.stats.delayed += 1
                self.held.append((self.rng.randrange(1, 64), b))
        return bytes(out)


class FaultyTransport:
    """Drops, flips, duplicates or delays (reorders) bytes at `rate` per byte, in either
    direction, from a seeded generator so a failing run can be replayed."""

    KINDS = ("drop", "flip", "dup", "delay")

    def __init__(self, inner: Transport, rate: float, *, seed: int = 0,
                 kinds: tuple[str, ...] = KINDS, directions: str = "both") -> None:
        unknown = set(kinds) - set(self.KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        self.inner = inner
        self.baud = inner.baud
        self.description = f"{inner.description} with faults ({rate:g}/byte)"
        self.stats = FaultStats()
        rng = random.Random(seed)
        self._tx = _Mangler(rate if directions in ("both", "tx") else 0.0, kinds, rng,
                            self.stats)
        self._rx = _Mangler(rate if directions in ("both", "rx") else 0.0, kinds, rng,
                            self.stats)

    def write(self, data: bytes) -> None:
        self.inner.write(self._tx.apply(data))

    def read(self, timeout: float) -> bytes:
        return self._rx.apply(self.inner.read(timeout))

    def close(self) -> None:
        self.inner.close()


class CuttingTransport:
    """Fails like an unplugged cable once `after` bytes have been written (for resume tests)."""

    def __init__(self, inner: Transport, after: int) -> None:
        self.inner = inner
        self.baud = inner.baud
        self.description = inner.description
        self._left = after

    def write(self, data: bytes) -> None:
        if self._left <= 0:
            raise LinkError(f"{self.description}: link cut")
        part = data[:self._left]
        self._left -= len(part)
        self.inner.write(part)
        if len(part) < len(data):
            self.inner.close()
            raise LinkError(f"{self.description}: link cut")

    def read(self, timeout: float) -> bytes:
        return self.inner.read(timeout)

    def close(self) -> None:
        self.inner.close()
