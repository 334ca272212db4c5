"""Frame codec: COBS, CRC-32, frame parsing and resynchronisation, C and Python agreeing."""

from __future__ import annotations

import random
import subprocess
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.protocol.conftest import CORE, build_c_test
from wasmote.device import protocol as p
from wasmote.device.errors import ProtocolError


@given(st.binary(max_size=2000))
def test_cobs_round_trip_has_no_zero(data: bytes) -> None:
    enc = p.cobs_encode(data)
    assert 0 not in enc
    assert len(enc) <= len(data) + len(data) // 254 + 1
    assert p.cobs_decode(enc) == data


def test_cobs_known_vectors() -> None:
    assert p.cobs_encode(b"") == b"\x01"
    assert p.cobs_encode(b"\x00") == b"\x01\x01"
    assert p.cobs_encode(b"\x11\x22\x00\x33") == b"\x03\x11\x22\x02\x33"
    assert p.cobs_encode(bytes(range(1, 255))) == b"\xff" + bytes(range(1, 255)) + b"\x01"


def test_cobs_rejects_bad_input() -> None:
    with pytest.raises(ProtocolError):
        p.cobs_decode(b"\x05\x11")
    with pytest.raises(ProtocolError):
        p.cobs_decode(b"\x03\x11\x00")


def test_crc_matches_the_ieee_check_value() -> None:
    assert p.crc32(b"123456789") == 0xCBF43926


def test_c_codec_agrees_with_python() -> None:
    exe = build_c_test("codec_check", [CORE / "protocol" / "cobs.c",
                                       CORE / "base" / "wm_crc32.c"])
    rng = random.Random(5)
    cases = [b"", b"\x00", b"\x00" * 300, bytes(range(1, 255)), bytes(range(1, 256)),
             bytes(range(256)) * 3]
    cases += [bytes(rng.choice((0, 1, 0xFF, rng.randrange(256))) for _ in range(n))
              for n in (1, 2, 253, 254, 255, 508, 509, 1100) for _ in range(3)]
    proc = subprocess.run([str(exe)], input="".join(c.hex() + "\n" for c in cases),
                          capture_output=True, text=True, check=True)
    lines = proc.stdout.splitlines()
    assert len(lines) == len(cases)
    for data, line in zip(cases, lines, strict=True):
        assert line != "MISMATCH", data.hex()
        enc, crc = line.split(" ") if " " in line else ("", line)
        assert bytes.fromhex(enc) == p.cobs_encode(data)
        assert int(crc, 16) == zlib.crc32(data)


def test_decoder_resynchronises_after_garbage() -> None:
    f1 = p.Frame(p.FrameType.RESPONSE, p.Msg.INFO, 7, 0, b"abc")
    f2 = p.Frame(p.FrameType.EVENT, p.Msg.EV_LOG, 8, 0, b"\x00\x01log")
    damaged = bytearray(f1.encode())
    damaged[3] ^= 0x40
    dec = p.FrameDecoder()
    stream = b"\x17garbage\xff" + bytes(damaged) + b"\x00\x00" + f1.encode() + f2.encode()
    got = []
    for i in range(0, len(stream), 5):  # arbitrary splits
        got += list(dec.feed(stream[i:i + 5]))
    assert got == [f1, f2]
    assert dec.bad >= 1  # garbage and the damaged frame run together into one bad chunk


def test_frame_layout_is_as_documented() -> None:
    f = p.Frame(p.FrameType.REQUEST, p.Msg.REMOVE, 0x1234, 0, b"\x01x")
    payload = f.payload()
    assert payload[:8] == bytes([1, 1, 0x09, 0, 0x34, 0x12, 0, 0])
    assert payload[8:10] == b"\x01x"
    assert int.from_bytes(payload[-4:], "little") == zlib.crc32(payload[:-4])
    assert p.parse_payload(payload) == f
    with pytest.raises(ProtocolError):
        p.parse_payload(payload[:-1] + bytes([payload[-1] ^ 1]))
