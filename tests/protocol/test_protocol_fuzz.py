"""Random and mutated frames at the device (ASan+UBSan build): it never crashes and keeps
answering INFO."""

from __future__ import annotations

import random
import struct

from tests.harness.posix_device import PosixDevice
from tests.protocol.helpers import image, sha
from wasmote.device import protocol as p
from wasmote.device.client import DeviceClient


def _seeds() -> list[p.Frame]:
    data = image(3000, 1)
    bodies = [
        (p.Msg.INFO, b""),
        (p.Msg.PUSH_BEGIN, p.push_begin_body("fz", len(data), sha(data), 1)),
        (p.Msg.PUSH_CHUNK, struct.pack("<I", 0) + data[:1024]),
        (p.Msg.PUSH_COMMIT, b""),
        (p.Msg.LIST, b"\0\0"),
        (p.Msg.RUN, p.run_body("fz", "main", [p.WireValue("i64", 5)])),
        (p.Msg.START, p.str8("fz")),
        (p.Msg.STOP, p.str8("fz")),
        (p.Msg.REMOVE, p.str8("fz")),
        (p.Msg.LOGS, b""),
        (p.Msg.RESET, b""),
    ]
    return [p.Frame(p.FrameType.REQUEST, m, i, 0, b) for i, (m, b) in enumerate(bodies)]


def _mutate(rng: random.Random, f: p.Frame) -> bytes:
    """A mutated frame that still has a valid CRC, so it reaches the parsers."""
    payload = bytearray(f.payload()[:-4])
    for _ in range(rng.randrange(1, 6)):
        op = rng.randrange(5)
        if op == 0 and payload:
            payload[rng.randrange(len(payload))] = rng.randrange(256)
        elif op == 1:
            del payload[rng.randrange(len(payload) + 1):]
        elif op == 2:
            payload += rng.randbytes(rng.randrange(1, 300))
        elif op == 3 and len(payload) > 2:
            payload[2] = rng.choice([*list(p.Msg), rng.randrange(256)])
        elif op == 4 and len(payload) > 9:
            payload[8] = rng.choice((0, 1, 31, 32, 64, 200, 255))  # a string length
    if len(payload) >= 2 and rng.random() < 0.8:
        payload[0], payload[1] = 1, p.FrameType.REQUEST
    payload += struct.pack("<I", p.crc32(bytes(payload)))
    return p.cobs_encode(bytes(payload)) + b"\0"


def _junk(rng: random.Random) -> bytes:
    kind = rng.randrange(3)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 400))
    if kind == 1:  # longer than any frame, no delimiter until the end
        return bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1100, 3000))) + b"\0"
    return p.cobs_encode(rng.randbytes(rng.randrange(0, 40))) + b"\0"  # bad CRC


def test_random_and_mutated_frames_never_crash_the_device(device: PosixDevice,
                                                          client: DeviceClient) -> None:
    rng = random.Random(1234)
    seeds = _seeds()
    sent = 0
    statuses: dict[int, int] = {}
    for batch in range(30):
        stream = bytearray()
        for _ in range(60):
            stream += _mutate(rng, rng.choice(seeds)) if rng.random() < 0.7 else _junk(rng)
            sent += 1
        client.transport.write(bytes(stream) + b"\0")
        while answers := client.receive(0.1):
            for f in answers:
                statuses[f.status] = statuses.get(f.status, 0) + 1
        assert device.alive(), f"device died in batch {batch}"
        info = client.info()  # still answering, with sane values
        assert info.protocol_version == 1 and info.store_capacity == 256 * 1024
    assert sent == 1800
    # the mutated frames got past the CRC into the parsers and were answered
    assert statuses.get(p.Status.MALFORMED, 0) > 50
    assert statuses.get(p.Status.UNKNOWN_MSG, 0) > 5
    assert sum(statuses.values()) > 500
    # and still does real work afterwards
    data = image(5000, 2)
    client.push("after-fuzz", data)
    assert {m.name: m.sha256 for m in client.modules()}["after-fuzz"] == sha(data)
