"""Wasm modules the device campaigns push: each one says who it is when run, so a campaign
checks not only the hash the device lists but that the module it runs is the right one."""

from __future__ import annotations

import random


def _uleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _sleb(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        done = (n == 0 and not b & 0x40) or (n == -1 and b & 0x40)
        out.append(b if done else b | 0x80)
        if done:
            return bytes(out)


def _section(sid: int, payload: bytes) -> bytes:
    return bytes([sid]) + _uleb(len(payload)) + payload


def tagged_module(tag: int, size: int, seed: int = 0) -> bytes:
    """A valid module of exactly `size` bytes (>= 64) exporting `id: () -> i64` that returns
    `tag` (0 <= tag < 2**63); the rest is a custom section of seeded random bytes."""
    body = b"\x00\x42" + _sleb(tag) + b"\x0b"  # no locals; i64.const tag; end
    base = (b"\0asm\1\0\0\0"
            + _section(1, b"\x01\x60\x00\x01\x7e")              # type () -> i64
            + _section(3, b"\x01\x00")                          # one function of type 0
            + _section(7, b"\x01\x02id\x00\x00")                # export "id" = func 0
            + _section(10, b"\x01" + _uleb(len(body)) + body))  # its code
    room = size - len(base)
    for leb_len in range(1, 6):
        content = room - 1 - leb_len
        if content >= 4 and len(_uleb(content)) == leb_len:
            pad = random.Random(seed).randbytes(content - 4)
            return base + b"\0" + _uleb(content) + b"\x03pad" + pad
    raise ValueError(f"cannot make a {size}-byte tagged module")
