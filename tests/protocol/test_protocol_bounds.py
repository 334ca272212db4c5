"""Length fields at their boundaries (0, the largest, one more, 2^16 - 1, 2^32 - 1) in
requests to the posix device (ASan): each is taken or refused with a clear status and the
device goes on answering. A module a little smaller than the store (too large once its
128-byte record header is counted) was refused MALFORMED "bad module name, size or
offset", an empty one the same; now TOO_LARGE and a message that says which."""

from __future__ import annotations

import struct

from tests.harness.posix_device import PosixDevice
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient
from wasmote.device.errors import DeviceRefused

HEADER = 128


def status(c: DeviceClient, msg: p.Msg, body: bytes) -> tuple[str, str]:
    try:
        c.request(msg, body)
    except DeviceRefused as e:
        return e.status_name, e.message
    return "OK", ""


def test_length_fields_at_their_boundaries(device: PosixDevice,
                                           client: DeviceClient) -> None:
    c = client
    cap = c.info().store_capacity

    def begin(size: int) -> tuple[str, str]:
        return status(c, p.Msg.PUSH_BEGIN, p.push_begin_body("x", size, bytes(32), 0))

    assert begin(0) == ("MALFORMED", "PUSH_BEGIN: an empty module")
    assert begin(1)[0] == "OK" and begin(cap - HEADER)[0] == "OK"
    for size in (cap - HEADER + 1, cap, cap + 1, 2**31, 2**32 - 1):
        name, text = begin(size)
        assert name == "TOO_LARGE" and "larger than the whole store" in text, size
    assert begin(1024)[0] == "OK"
    chunk = p.Msg.PUSH_CHUNK
    assert status(c, chunk, struct.pack("<I", 0) + bytes(1025))[0] == "MALFORMED"
    assert status(c, chunk, struct.pack("<I", 2**32 - 1) + bytes(1))[0] == "MALFORMED"
    assert status(c, chunk, struct.pack("<I", 2**32 - 1024) + bytes(1024))[0] == "OK"
    assert status(c, chunk, struct.pack("<I", 0) + bytes(1024))[0] == "OK"
    assert status(c, p.Msg.PUSH_COMMIT, b"")[0] == "HASH_MISMATCH"
    for first in (0, 1, 0xFFFF):
        assert status(c, p.Msg.LIST, struct.pack("<HB", first, 1))[0] == "OK"
    for seconds, want in ((0, "OK"), (3600, "OK"), (3601, "MALFORMED"), (65535, "MALFORMED")):
        assert status(c, p.Msg.SUBSCRIBE, struct.pack("<H", seconds))[0] == want
    assert status(c, p.Msg.BRIDGE_IN, bytes([255]) + b"a" * 100)[0] == "MALFORMED"
    assert status(c, p.Msg.BRIDGE_IN, bytes([33]) + b"a" * 33)[0] == "BAD_ARGS"
    assert status(c, p.Msg.PROVISION, bytes([0, 5]) + bytes(33 * 5))[0] == "MALFORMED"
    assert status(c, p.Msg.PROVISION, bytes([0, 255]))[0] == "MALFORMED"
    assert status(c, p.Msg.RUN, p.str8("x") + p.str8("") + bytes([255]))[0] == "MALFORMED"
    assert status(c, p.Msg.START, bytes([255]) + b"a" * 255)[0] == "MALFORMED"
    assert device.alive() and c.info().store_capacity == cap
