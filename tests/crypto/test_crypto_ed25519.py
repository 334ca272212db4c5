"""Ed25519 verification (firmware/src/core/crypto/ed25519.c): RFC 8032 vectors, signatures
made by the `cryptography` package, and every class of bad encoding RFC 8032 5.1.7 refuses."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from . import ed25519_model as model
from .conftest import Harness, hx

# wm_crypto_status values (crypto_status.h).
OK, BAD_S, BAD_KEY, WEAK_KEY, BAD_R, WEAK_R, BAD_SIGNATURE = 0, 4, 5, 6, 7, 8, 9

VECTORS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "rfc8032_vectors.json").read_text())["vectors"]


def verify(h: Harness, pub: bytes, msg: bytes, sig: bytes) -> int:
    return int(h.ask(f"verify {pub.hex()} {sig.hex()} {hx(msg)}"))


def verify_streamed(h: Harness, pub: bytes, msg: bytes, sig: bytes, chunks: list[int]) -> int:
    spec = ",".join(map(str, chunks)) if chunks else "-"
    return int(h.ask(f"verifys {pub.hex()} {sig.hex()} {hx(msg)} {spec}"))


def keypair(seed: bytes) -> tuple[Ed25519PrivateKey, bytes]:
    key = Ed25519PrivateKey.from_private_bytes(seed)
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return key, pub


def flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 1 << (bit % 8)
    return bytes(out)


@pytest.mark.parametrize("vec", VECTORS, ids=[v["name"] for v in VECTORS])
def test_rfc8032_vectors(harness, vec):
    pub, msg, sig = (bytes.fromhex(vec[k]) for k in ("public", "message", "signature"))
    # The vector file itself is checked: cryptography re-derives key and signature.
    key, derived_pub = keypair(bytes.fromhex(vec["secret"]))
    assert derived_pub == pub and key.sign(msg) == sig
    assert verify(harness, pub, msg, sig) == OK
    assert verify_streamed(harness, pub, msg, sig, [1, 7, 64, 200]) == OK
    assert verify(harness, pub, msg + b"\0", sig) == BAD_SIGNATURE


def test_signatures_from_cryptography_verify_and_any_flip_fails(harness):
    rng = random.Random(6)
    for i in range(40):
        key, pub = keypair(rng.randbytes(32))
        msg = rng.randbytes(rng.choice([0, 1, 31, 64, 127, 128, 129, rng.randrange(2000)]))
        sig = key.sign(msg)
        assert verify(harness, pub, msg, sig) == OK
        chunks = [rng.randrange(0, 150) for _ in range(4)]
        assert verify_streamed(harness, pub, msg, sig, chunks) == OK
        if msg:
            assert verify(harness, pub, flip(msg, rng.randrange(len(msg) * 8)), sig) \
                == BAD_SIGNATURE
        # A flipped R bit gives an R that no longer decodes or a wrong R.
        assert verify(harness, pub, msg, flip(sig, rng.randrange(256))) in (BAD_R, BAD_SIGNATURE)
        # A flipped S bit: S >= L (top bits) or a wrong S.
        s_bit = 256 + (rng.randrange(256) if i % 2 else rng.randrange(253, 256))
        assert verify(harness, pub, msg, flip(sig, s_bit)) in (BAD_S, BAD_SIGNATURE)
        assert verify(harness, flip(pub, rng.randrange(256)), msg, sig) in (BAD_KEY,
                                                                           BAD_SIGNATURE)


@settings(max_examples=60, deadline=None)
@given(seed=st.binary(min_size=32, max_size=32), msg=st.binary(max_size=300),
       bit=st.integers(0, 8 * (32 + 64) - 1))
def test_hypothesis_sign_then_tamper(harness, seed, msg, bit):
    key, pub = keypair(seed)
    sig = key.sign(msg)
    assert verify(harness, pub, msg, sig) == OK
    blob = flip(pub + sig, bit)
    assert verify(harness, blob[:32], msg, blob[32:]) != OK


def test_s_not_below_l_is_rejected_even_when_the_equation_holds(harness):
    key, pub = keypair(bytes(range(32)))
    msg = b"package manifest"
    sig = key.sign(msg)
    s = int.from_bytes(sig[32:], "little")
    # S + L satisfies [S]B = R + [k]A just as well: the classic malleability.
    for bad_s in (s + model.L, model.L, model.L + 1, 2**253, 2**256 - 1):
        if bad_s < 2**256:
            assert verify(harness, pub, msg, sig[:32] + bad_s.to_bytes(32, "little")) == BAD_S
    assert verify(harness, pub, msg, sig[:32] + (model.L - 1).to_bytes(32, "little")) \
        == BAD_SIGNATURE


def test_small_order_keys_are_refused(harness):
    """Policy: a key of order 1, 2, 4 or 8 (including all-zero) never verifies anything."""
    points = model.small_order_points()
    assert len(points) == 8
    encodings = [model.encode(p) for p in points]
    assert bytes(32) in encodings  # the all-zero key is one of them (x = sqrt(-1), y = 0)
    identity = model.encode((0, 1))
    for enc in encodings:
        # With A = identity and R = identity, S = 0 satisfies the equation for any message.
        sig = identity + bytes(32)
        assert verify(harness, enc, b"any message", sig) == WEAK_KEY
        assert verify(harness, enc, b"", bytes(64)) == WEAK_KEY


def test_small_order_r_is_refused(harness):
    _, pub = keypair(b"\x07" * 32)
    for pt in model.small_order_points():
        sig = model.encode(pt) + bytes(32)
        assert verify(harness, pub, b"m", sig) == WEAK_R


def noncanonical_encodings() -> list[bytes]:
    """y >= p (the 19 values p..2^255-1 that still decode mod p), with either sign bit,
    and x = 0 with the sign bit set ("negative zero")."""
    out = []
    for y in range(model.P, 2**255):
        for sign in (0, 1):
            out.append((y | (sign << 255)).to_bytes(32, "little"))
    out.append((1 | (1 << 255)).to_bytes(32, "little"))             # y = 1, x = -0
    out.append(((model.P - 1) | (1 << 255)).to_bytes(32, "little"))  # y = -1, x = -0
    return out


def test_noncanonical_and_offcurve_keys_and_r_are_refused(harness):
    key, pub = keypair(b"\x09" * 32)
    msg = b"m"
    sig = key.sign(msg)
    for enc in noncanonical_encodings():
        assert verify(harness, enc, msg, sig) == BAD_KEY, enc.hex()
        assert verify(harness, pub, msg, enc + sig[32:]) == BAD_R, enc.hex()
    off_curve = [y for y in range(2, 40) if model.decode(y.to_bytes(32, "little"))[0]
                 == model.NOT_ON_CURVE]
    assert off_curve
    for y in off_curve:
        enc = y.to_bytes(32, "little")
        assert verify(harness, enc, msg, sig) == BAD_KEY
        assert verify(harness, pub, msg, enc + sig[32:]) == BAD_R


def test_decoder_refuses_the_twins_of_small_y(harness):
    """y and y + p encode the same field element for y < 19: only the first is accepted."""
    for y in range(0, 19):
        for sign in (0, 1):
            canon = (y | (sign << 255)).to_bytes(32, "little")
            twin = ((y + model.P) | (sign << 255)).to_bytes(32, "little")
            assert harness.ask(f"decode {twin.hex()}").split()[0] == str(model.NONCANONICAL_Y)
            expected, _ = model.decode(canon)
            assert harness.ask(f"decode {canon.hex()}").split()[0] == str(expected)


@settings(max_examples=200, deadline=None)
@given(data=st.binary(min_size=32, max_size=32))
def test_point_decoding_matches_model(harness, data):
    result, pt = model.decode(data)
    answer = harness.ask(f"decode {data.hex()}").split()
    assert int(answer[0]) == result
    if pt is not None:
        assert answer[1] == model.encode(pt).hex() == data.hex()  # canonical round trip
        assert answer[2] == ("1" if model.has_small_order(pt) else "0")


scalars = st.one_of(st.integers(0, 2**256 - 1), st.integers(0, 64),
                    st.sampled_from([model.L - 1, model.L, 2**253 - 1, 2**255, 2**256 - 1,
                                     int("7" * 64, 16), int("9" * 64, 16)]))


@settings(max_examples=60, deadline=None)
@given(a=scalars, b=scalars, seed=st.integers(0, 2**32))
def test_double_scalar_multiplication_matches_model(harness, a, b, seed):
    """[a]P + [b]Q with P the base point and Q a random point, which may have a small-order
    component: the signed-window recoding must handle every 256-bit scalar."""
    rng = random.Random(seed)
    while True:
        _, q = model.decode(rng.randbytes(32))
        if q is not None:
            break
    p = model.base()
    expected = model.add(model.mul(a, p), model.mul(b, q))
    answer = harness.ask(f"dsm {a.to_bytes(32, 'little').hex()} {model.encode(p).hex()} "
                         f"{b.to_bytes(32, 'little').hex()} {model.encode(q).hex()}")
    assert answer == model.encode(expected).hex()


def test_mixed_order_key_does_not_verify_prime_order_signature(harness):
    key, pub = keypair(b"\x0b" * 32)
    msg = b"firmware"
    sig = key.sign(msg)
    result, a = model.decode(pub)
    assert result == model.DECODED and a is not None
    torsion = [p for p in model.small_order_points() if p != (0, 1)]
    mixed = model.encode(model.add(a, torsion[0]))
    assert verify(harness, mixed, msg, sig) == BAD_SIGNATURE


@settings(max_examples=150, deadline=None)
@given(pub=st.binary(min_size=32, max_size=32), sig=st.binary(min_size=64, max_size=64),
       msg=st.binary(max_size=200), chunk=st.integers(1, 64), canonical_s=st.booleans())
def test_garbage_never_verifies_and_both_apis_agree(harness, pub, sig, msg, chunk,
                                                    canonical_s):
    if canonical_s:  # get past the S check to the decoding and the equation
        sig = sig[:32] + (int.from_bytes(sig[32:], "little") % model.L).to_bytes(32, "little")
    one_shot = verify(harness, pub, msg, sig)
    assert one_shot in (BAD_S, BAD_KEY, WEAK_KEY, BAD_R, WEAK_R, BAD_SIGNATURE)
    assert verify_streamed(harness, pub, msg, sig, [chunk] * (len(msg) // chunk + 1)) == one_shot
