"""The value intervals behind the AOT compiler's unchecked accesses (aot/ranges.py): every
i32 operation's interval must hold every result the operation can give on operands from
its operands' intervals (sampled at the edges and inside), and the flow-insensitive local
intervals must cover every value a local takes (a wrong interval is a missed bounds check:
tests/aot/test_aot_optimizations.py holds the compiled code against the interpreter)."""

from __future__ import annotations

import random
from collections.abc import Callable

from wasmote.aot.ranges import Interval, _binary, analyse
from wasmote.wasm.module import I32, Instr

M = 0xFFFFFFFF
OPS: dict[int, Callable[[int, int], int | None]] = {
       0x46: lambda a, b: int(a == b), 0x49: lambda a, b: int(a < b),
       0x6A: lambda a, b: (a + b) & M, 0x6B: lambda a, b: (a - b) & M,
       0x6C: lambda a, b: (a * b) & M, 0x6E: lambda a, b: a // b if b else None,
       0x70: lambda a, b: a % b if b else None, 0x71: lambda a, b: a & b,
       0x72: lambda a, b: a | b, 0x73: lambda a, b: a ^ b,
       0x74: lambda a, b: (a << (b & 31)) & M, 0x76: lambda a, b: a >> (b & 31)}


def _interval(rng: random.Random) -> Interval | None:
    kind = rng.random()
    if kind < 0.15:
        return None
    if kind < 0.4:
        v = rng.choice([0, 1, 2, 3, 7, 31, 32, 255, 256, 0xFFFF, 0x7FFFFFFF, M])
        return Interval(v, v)
    lo = rng.choice([0, 0, 1, rng.randrange(0, 1 << rng.randrange(1, 33))])
    hi = min(M, lo + rng.choice([0, 1, 255, 4095, rng.randrange(0, 1 << rng.randrange(1, 33))]))
    return Interval(lo, hi)


def _samples(r: Interval | None, rng: random.Random) -> list[int]:
    if r is None:
        return [0, 1, 255, 0x7FFFFFFF, 0x80000000, M, rng.randrange(0, 1 << 32)]
    inside = [rng.randint(r.lo, r.hi) for _ in range(3)]
    return [r.lo, r.hi, *inside]


def test_every_binary_interval_holds_its_results():
    rng = random.Random(2026)
    for _ in range(20000):
        op = rng.choice(list(OPS))
        a, b = _interval(rng), _interval(rng)
        got = _binary(op, a, b)
        if got is None:
            continue
        assert 0 <= got.lo <= got.hi <= M
        for x in _samples(a, rng):
            for y in _samples(b, rng):
                v = OPS[op](x, y)
                assert v is None or got.lo <= v <= got.hi, (hex(op), a, b, x, y, v, got)


def _i(op: int, *imm: int) -> Instr:
    return Instr(op, tuple(imm))


def test_local_intervals_cover_every_assignment():
    # $k = x & 255; loop { $j = $k + 4; $k = load8_u($j); br_if (k) }; $big = $k << 30
    body = [_i(0x20, 0), _i(0x41, 255), _i(0x71), _i(0x21, 1),
            _i(0x03, -64),
            _i(0x20, 1), _i(0x41, 4), _i(0x6A), _i(0x22, 2), _i(0x2D, 0, 0), _i(0x22, 1),
            _i(0x0D, 0), _i(0x0B),
            _i(0x20, 1), _i(0x41, 30), _i(0x74), _i(0x21, 3),
            _i(0x20, 3), _i(0x28, 2, 0), _i(0x1A), _i(0x0B)]
    r = analyse(body, [I32, I32, I32, I32], 1, [], [], [])
    assert r.locals[0] is None  # a parameter: anything
    assert r.locals[1] == Interval(0, 255)  # initial 0, the mask, loaded bytes
    assert r.locals[2] == Interval(0, 259)  # its initial 0, then $k + 4
    assert r.locals[3] is None  # 255 << 30 wraps
    assert r.addr[9] == Interval(4, 259) and r.addr[18] is None


def test_a_growing_local_is_widened():
    # $i = 0; loop { $i = $i + 1; br 0 }: no bound (the counter itself is loops.py's business)
    body = [_i(0x03, -64), _i(0x20, 0), _i(0x41, 1), _i(0x6A), _i(0x21, 0), _i(0x0C, 0),
            _i(0x0B), _i(0x0B)]
    assert analyse(body, [I32], 0, [], [], []).locals[0] is None
