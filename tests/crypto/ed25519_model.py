"""A small pure-Python model of the Ed25519 group (RFC 8032 sections 5.1.3-5.1.4), written
for the tests: it predicts what the C decoder must answer on any 32-byte string."""

from __future__ import annotations

import functools

P = 2**255 - 19
L = 2**252 + 27742317777372353535851937790883648493
D = (-121665 * pow(121666, P - 2, P)) % P
SQRT_M1 = pow(2, (P - 1) // 4, P)

# Decode results, the same numbers as wm_ge25519_decode_result.
DECODED, NONCANONICAL_Y, NOT_ON_CURVE, NEGATIVE_ZERO = 0, 1, 2, 3

Point = tuple[int, int]  # affine (x, y)


def recover_x(y: int, sign: int) -> tuple[int, int | None]:
    """(result, x) per RFC 8032 5.1.3 for a y < P."""
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    if x2 == 0:
        return (NEGATIVE_ZERO, None) if sign else (DECODED, 0)
    x = pow(x2, (P + 3) // 8, P)
    if (x * x - x2) % P != 0:
        x = x * SQRT_M1 % P
    if (x * x - x2) % P != 0:
        return NOT_ON_CURVE, None
    if (x & 1) != sign:
        x = P - x
    return DECODED, x


def decode(data: bytes) -> tuple[int, Point | None]:
    n = int.from_bytes(data, "little")
    y, sign = n & ((1 << 255) - 1), n >> 255
    if y >= P:
        return NONCANONICAL_Y, None
    result, x = recover_x(y, sign)
    return (result, None) if x is None else (result, (x, y))


def encode(pt: Point) -> bytes:
    x, y = pt
    return (y | ((x & 1) << 255)).to_bytes(32, "little")


Extended = tuple[int, int, int, int]  # (X, Y, Z, T), x = X/Z, y = Y/Z, xy = T/Z


def _ext_add(p: Extended, q: Extended) -> Extended:
    """RFC 8032 5.1.4 addition (complete: also doubles and handles the identity)."""
    a = (p[1] - p[0]) * (q[1] - q[0]) % P
    b = (p[1] + p[0]) * (q[1] + q[0]) % P
    c = 2 * p[3] * q[3] * D % P
    d = 2 * p[2] * q[2] % P
    e, f, g, h = b - a, d - c, d + c, b + a
    return e * f % P, g * h % P, f * g % P, e * h % P


def _to_affine(p: Extended) -> Point:
    zi = pow(p[2], P - 2, P)
    return p[0] * zi % P, p[1] * zi % P


def add(a: Point, b: Point) -> Point:
    return _to_affine(_ext_add((a[0], a[1], 1, a[0] * a[1] % P),
                               (b[0], b[1], 1, b[0] * b[1] % P)))


def mul(k: int, pt: Point) -> Point:
    acc: Extended = (0, 1, 1, 0)
    q: Extended = (pt[0], pt[1], 1, pt[0] * pt[1] % P)
    while k:
        if k & 1:
            acc = _ext_add(acc, q)
        q = _ext_add(q, q)
        k >>= 1
    return _to_affine(acc)


def base() -> Point:
    y = 4 * pow(5, P - 2, P) % P
    _, x = recover_x(y, 0)
    assert x is not None
    return x, y


def has_small_order(pt: Point) -> bool:
    return mul(8, pt) == (0, 1)


@functools.cache
def small_order_points() -> list[Point]:
    """The 8 points of order dividing 8: identity, (0,-1), (+-sqrt(-1), 0), and four of order 8."""
    pts: set[Point] = {(0, 1), (0, P - 1), (SQRT_M1, 0), (P - SQRT_M1, 0)}
    # [L]X keeps only the torsion part of a curve point X; X with an order-8 part gives
    # the order-8 points as [L]X, [2L]X, [4L]X.
    seed = 2
    while len(pts) < 8:
        result, pt = decode(seed.to_bytes(32, "little"))
        seed += 1
        if result != DECODED or pt is None:
            continue
        q = mul(L, pt)  # kills the prime-order part, leaves the torsion component
        for _ in range(3):
            pts.add(q)
            q = add(q, q)
    return sorted(pts)
