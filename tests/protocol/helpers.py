"""Small helpers shared by the protocol tests."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import TypeVar

from tests.harness.posix_device import filler_module
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient


def image(size: int, seed: int) -> bytes:
    """A valid wasm module of exactly `size` bytes (the device validates every push)."""
    return filler_module(size, seed)


def sha(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def raw_exchange(c: DeviceClient, frame: p.Frame, timeout: float = 2.0) -> p.Frame | None:
    """Send a hand-made frame; return the response with its seq, or None."""
    c.transport.write(frame.encode())
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for f in c.receive(0.1):
            if f.seq == frame.seq:
                return f
    return None


def request(c: DeviceClient, msg: int, body: bytes = b"", seq: int = 100,
            version: int = p.PROTO_VERSION) -> p.Frame:
    f = raw_exchange(c, p.Frame(p.FrameType.REQUEST, msg, seq, 0, body, 0, version))
    assert f is not None, f"no response to msg 0x{msg:02x}"
    return f


def held(c: DeviceClient) -> dict[str, bytes]:
    return {m.name: m.sha256 for m in c.modules()}


T = TypeVar("T")


def until(get: Callable[[], T], ok: Callable[[T], bool], timeout: float = 60.0) -> T:
    """get() once ok() holds for it, else the last one at the timeout (only an upper bound:
    the caller asserts on what it got, waiting for the state, not for time)."""
    deadline = time.monotonic() + timeout
    while not ok(got := get()) and time.monotonic() < deadline:
        time.sleep(0.05)
    return got


def logs_with(c: DeviceClient, *needles: str, timeout: float = 60.0) -> str:
    """The device's LOGS once they contain every needle (modules run after boot)."""
    logs = until(c.logs, lambda text: all(n in text for n in needles), timeout)
    assert all(n in logs for n in needles), logs
    return logs


def events_until(c: DeviceClient, done: Callable[[p.Event], bool],
                 timeout: float = 30.0) -> list[p.Event]:
    """Events up to and including the first one `done` accepts (the timeout is only an
    upper bound: the test waits for the event, not for time)."""
    events: list[p.Event] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ev = c.wait_event(0.2)
        if ev is not None:
            events.append(ev)
            if done(ev):
                return events
    raise AssertionError(f"no such event within {timeout} s: {events}")
