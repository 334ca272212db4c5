"""The push against a device whose PUSH_CHUNK acks lie. A device writes whole chunks only,
so every true ack is the end of a chunk the host sent; an ack of one more byte each time
counted as progress, so a lying device held an 8 KiB push for about 8 minutes (64 KiB: an
hour), the host resending windows from odd offsets. Now such an ack ends the push with a
ProtocolError at once."""

from __future__ import annotations

import struct
from collections.abc import Callable

import pytest

from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import ProtocolError


class LyingDevice:
    """A transport answering PUSH_BEGIN (nothing held), every PUSH_CHUNK with
    `ack(previous ack, offset, length)`, and anything else with an empty OK."""

    description = "lying device"
    baud: int | None = None

    def __init__(self, ack: Callable[[int, int, int], int]) -> None:
        self.ack_of = ack
        self.last = 0
        self.chunks = 0
        self.out = b""
        self.decoder = p.FrameDecoder()

    def write(self, data: bytes) -> None:
        for f in self.decoder.feed(data):
            body = b""
            if f.msg == p.Msg.PUSH_BEGIN:
                body = struct.pack("<IHH", 0, p.MAX_CHUNK, p.WINDOW)
            elif f.msg == p.Msg.PUSH_CHUNK:
                self.chunks += 1
                (offset,) = struct.unpack_from("<I", f.body)
                self.last = self.ack_of(self.last, offset, len(f.body) - 4)
                body = struct.pack("<I", self.last)
            self.out += p.Frame(p.FrameType.RESPONSE, f.msg, f.seq, 0, body).encode()

    def read(self, timeout: float) -> bytes:
        out, self.out = self.out, b""
        return out

    def close(self) -> None:
        pass


@pytest.mark.parametrize("ack", [
    lambda last, off, n: last + 1,          # a byte at a time
    lambda last, off, n: off + n // 2,      # half of each chunk
    lambda last, off, n: off + n + 4096,    # past anything sent
], ids=["byte", "half", "past"])
def test_an_ack_that_ends_no_chunk_sent_ends_the_push(
        ack: Callable[[int, int, int], int]) -> None:
    dev = LyingDevice(ack)
    with pytest.raises(ProtocolError, match="ends no chunk sent"):
        DeviceClient(dev, timeout=2.0).push("x", bytes(64 * 1024))
    assert dev.chunks <= p.WINDOW  # refused at the first answer read, not after a window more


def test_true_acks_complete_the_push() -> None:
    dev = LyingDevice(lambda last, off, n: off + n if off == last else last)
    r = DeviceClient(dev, timeout=2.0).push("x", bytes(10_000))
    assert r.size == 10_000 and dev.last == 10_000
