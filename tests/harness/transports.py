"""Wrappers around a device transport for testing and measuring: a line-rate throttle, a
seeded fault injector (drop, flip, duplicate, delay), a cable cut, and bytes already read
given back first."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field

from wasmote.device.errors import LinkError
from wasmote.device.transport import Transport


class _Wrapper:
    """Passes everything to the transport it wraps; each wrapper below changes one thing."""

    def __init__(self, inner: Transport, description: str | None = None) -> None:
        self.inner = inner
        self.baud: int | None = inner.baud
        self.description = description or inner.description

    def write(self, data: bytes) -> None:
        self.inner.write(data)

    def read(self, timeout: float) -> bytes:
        return self.inner.read(timeout)

    def close(self) -> None:
        self.inner.close()


class ThrottledTransport(_Wrapper):
    """Paces both directions to a UART's line rate (8N1: 10 bits per byte), so a fast link
    (TCP to the posix device) behaves like a serial line at `baud`."""

    def __init__(self, inner: Transport, baud: int) -> None:
        super().__init__(inner, f"{inner.description} throttled to {baud} baud")
        self.baud = baud
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


class FaultyTransport(_Wrapper):
    """Drops, flips, duplicates or delays (reorders) bytes at `rate` per byte, in either
    direction, from a seeded generator so a failing run can be replayed."""

    KINDS = ("drop", "flip", "dup", "delay")

    def __init__(self, inner: Transport, rate: float, *, seed: int = 0,
                 kinds: tuple[str, ...] = KINDS, directions: str = "both") -> None:
        unknown = set(kinds) - set(self.KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
        super().__init__(inner, f"{inner.description} with faults ({rate:g}/byte)")
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


class CuttingTransport(_Wrapper):
    """Fails like an unplugged cable once `after` bytes have been written (for resume tests)."""

    def __init__(self, inner: Transport, after: int) -> None:
        super().__init__(inner)
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


class ReplayingTransport(_Wrapper):
    """Returns bytes already read from the line first (what followed a boot banner someone
    waited for: tests/sim_client.py), then reads the line."""

    def __init__(self, inner: Transport, first: bytes) -> None:
        super().__init__(inner)
        self._first = first

    def read(self, timeout: float) -> bytes:
        if self._first:
            data, self._first = self._first, b""
            return data
        return self.inner.read(timeout)
