"""LEB128 integers with the spec's exact limits.

A u32 takes at most 5 bytes, an s33 5 bytes, an s64/u64 10 bytes. A longer encoding is
"integer representation too long"; unused bits of the last byte that are not zero
(unsigned) or not a copy of the sign bit (signed) make it "integer too large".
"""

from __future__ import annotations

from wasmote.wasm.errors import MalformedError


def decode_unsigned(data: bytes, pos: int, bits: int, end: int | None = None) -> tuple[int, int]:
    """Decode an unsigned LEB128 of at most `bits` bits at `pos`; return (value, next pos)."""
    limit = len(data) if end is None else end
    if pos < limit and bits >= 7:
        b = data[pos]
        if b < 0x80:
            return b, pos + 1
    start = pos
    max_bytes = (bits + 6) // 7
    result = 0
    shift = 0
    for i in range(max_bytes):
        if pos >= limit:
            raise MalformedError("unexpected end", pos)
        b = data[pos]
        pos += 1
        if i == max_bytes - 1:
            if b & 0x80:
                raise MalformedError("integer representation too long", start)
            # The bits above `bits` in the final byte must all be zero.
            if b >> (bits - shift):
                raise MalformedError("integer too large", start)
        result |= (b & 0x7F) << shift
        if not b & 0x80:
            return result, pos
        shift += 7
    raise AssertionError("unreachable")  # pragma: no cover


def decode_signed(data: bytes, pos: int, bits: int, end: int | None = None) -> tuple[int, int]:
    """Decode a signed LEB128 of at most `bits` bits at `pos`; return (value, next pos)."""
    limit = len(data) if end is None else end
    if pos < limit and bits >= 7:
        b = data[pos]
        if b < 0x80:
            return (b - 0x80 if b & 0x40 else b), pos + 1
    start = pos
    max_bytes = (bits + 6) // 7
    result = 0
    shift = 0
    for i in range(max_bytes):
        if pos >= limit:
            raise MalformedError("unexpected end", pos)
        b = data[pos]
        pos += 1
        if i == max_bytes - 1:
            if b & 0x80:
                raise MalformedError("integer representation too long", start)
            # The unused high bits must all equal the sign bit of the value.
            used = bits - shift  # value bits that live in this byte (1..7)
            rest = b >> (used - 1) & 0x7F
            if rest not in (0, (0x7F >> (used - 1))):
                raise MalformedError("integer too large", start)
        result |= (b & 0x7F) << shift
        shift += 7
        if not b & 0x80:
            if b & 0x40:
                result -= 1 << shift
            return result, pos
    raise AssertionError("unreachable")  # pragma: no cover


def encode_unsigned(value: int) -> bytes:
    """Shortest (canonical) unsigned LEB128 encoding."""
    if value < 0:
        raise ValueError(f"negative value {value} for unsigned LEB128")
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if value:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def encode_signed(value: int) -> bytes:
    """Shortest (canonical) signed LEB128 encoding."""
    out = bytearray()
    while True:
        b = value & 0x7F
        value >>= 7
        if (value == 0 and not b & 0x40) or (value == -1 and b & 0x40):
            out.append(b)
            return bytes(out)
        out.append(b | 0x80)
