"""LEB128 edge cases: the spec's exact overlong and overflow rules."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wasmote.wasm.errors import MalformedError
from wasmote.wasm.leb128 import decode_signed, decode_unsigned, encode_signed, encode_unsigned


@pytest.mark.parametrize(("raw", "bits", "value"), [
    (b"\x00", 32, 0),
    (b"\x7f", 32, 127),
    (b"\x80\x01", 32, 128),
    (b"\x80\x80\x80\x80\x00", 32, 0),          # 5 bytes, padded: allowed
    (b"\xff\xff\xff\xff\x0f", 32, 0xFFFFFFFF),
    (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 64, 2**64 - 1),
])
def test_unsigned_valid(raw, bits, value):
    assert decode_unsigned(raw, 0, bits) == (value, len(raw))


@pytest.mark.parametrize(("raw", "bits", "message"), [
    (b"\x80\x80\x80\x80\x80\x00", 32, "integer representation too long"),
    (b"\xff\xff\xff\xff\x1f", 32, "integer too large"),
    (b"\x80\x80\x80\x80\x10", 32, "integer too large"),
    (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02", 64, "integer too large"),
    (b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x00", 64, "integer representation too long"),
    (b"\x80", 32, "unexpected end"),
    (b"", 32, "unexpected end"),
])
def test_unsigned_invalid(raw, bits, message):
    with pytest.raises(MalformedError) as e:
        decode_unsigned(raw, 0, bits)
    assert e.value.message == message


@pytest.mark.parametrize(("raw", "bits", "value"), [
    (b"\x7f", 32, -1),
    (b"\x40", 32, -64),
    (b"\xc0\x00", 32, 64),
    (b"\xff\xff\xff\xff\x07", 32, 2**31 - 1),
    (b"\x80\x80\x80\x80\x78", 32, -(2**31)),
    (b"\xff\xff\xff\xff\x7f", 32, -1),         # padded -1 in 5 bytes
    (b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", 64, -(2**63)),
    (b"\x40", 33, -64),
    (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x00", 64, 2**63 - 1),
    (b"\xff\xff\xff\xff\x0f", 33, 2**32 - 1),
])
def test_signed_valid(raw, bits, value):
    assert decode_signed(raw, 0, bits) == (value, len(raw))


@pytest.mark.parametrize(("raw", "bits", "message"), [
    (b"\xff\xff\xff\xff\x0f", 32, "integer too large"),   # 2**32-1 does not fit s32
    (b"\x80\x80\x80\x80\x70", 32, "integer too large"),   # sign bits not all ones
    (b"\xff\xff\xff\xff\x4f", 32, "integer too large"),
    (b"\x80\x80\x80\x80\x80\x00", 32, "integer representation too long"),
    (b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\x41", 64, "integer too large"),
    (b"\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x7f", 64, "integer representation too long"),
    (b"\xff", 64, "unexpected end"),
])
def test_signed_invalid(raw, bits, message):
    with pytest.raises(MalformedError) as e:
        decode_signed(raw, 0, bits)
    assert e.value.message == message


def test_decode_respects_end_bound():
    with pytest.raises(MalformedError):
        decode_unsigned(b"\x80\x01", 0, 32, end=1)


@settings(database=None)  # keep no example database in the repo
@given(st.integers(min_value=0, max_value=2**64 - 1))
def test_unsigned_roundtrip(v):
    raw = encode_unsigned(v)
    assert decode_unsigned(raw, 0, 64) == (v, len(raw))
    if v < 2**32:
        assert decode_unsigned(raw, 0, 32) == (v, len(raw))
        assert len(raw) <= 5


@settings(database=None)  # keep no example database in the repo
@given(st.integers(min_value=-(2**63), max_value=2**63 - 1))
def test_signed_roundtrip(v):
    raw = encode_signed(v)
    assert decode_signed(raw, 0, 64) == (v, len(raw))
    if -(2**31) <= v < 2**31:
        assert decode_signed(raw, 0, 32) == (v, len(raw))


@settings(database=None)  # keep no example database in the repo
@given(st.integers(min_value=0, max_value=2**32 - 1), st.integers(min_value=0, max_value=4))
def test_padded_unsigned_within_limit(v, pad):
    # Non-canonical (padded) encodings are accepted as long as they fit in 5 bytes.
    raw = bytearray(encode_unsigned(v))
    for _ in range(pad):
        if len(raw) >= 5:
            break
        raw[-1] |= 0x80
        raw.append(0x00)
    assert decode_unsigned(bytes(raw), 0, 32) == (v, len(raw))


@settings(database=None)  # keep no example database in the repo
@given(st.integers(min_value=2**32, max_value=2**35 - 1))
def test_u32_overflow_rejected(v):
    with pytest.raises(MalformedError):
        decode_unsigned(encode_unsigned(v), 0, 32)


@pytest.mark.parametrize(("raw", "message"), [
    (b"\x02", "integer too large"),
    (b"\x81\x00", "integer representation too long"),
])
def test_one_bit_flag(raw, message):
    # Limits flags are 1-bit LEB128 numbers.
    with pytest.raises(MalformedError) as e:
        decode_unsigned(raw, 0, 1)
    assert e.value.message == message
    assert decode_unsigned(b"\x01", 0, 1) == (1, 1)
