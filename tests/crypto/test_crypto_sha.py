"""SHA-256 and SHA-512 (firmware/src/core/crypto) against known vectors and hashlib."""

from __future__ import annotations

import hashlib
import random

from hypothesis import given, settings
from hypothesis import strategies as st

from .conftest import Harness, hx

NIST_2BLOCK_256 = b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
NIST_2BLOCK_512 = (
    b"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmno"
    b"ijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"
)
# Lengths around the block and padding boundaries of both hashes.
EDGE_LENGTHS = sorted({0, 1, 3, 55, 56, 57, 63, 64, 65, 111, 112, 113, 119, 120, 127, 128, 129,
                       191, 192, 255, 256, 257, 1000, 4096, 10007})


def digest(h: Harness, algo: str, data: bytes, chunks: list[int] | None = None) -> str:
    spec = ",".join(map(str, chunks)) if chunks else "-"
    return h.ask(f"{algo} {hx(data)} {spec}")


def test_sha256_published_vectors(harness):
    assert digest(harness, "sha256", b"") == (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    assert digest(harness, "sha256", b"abc") == (
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    assert digest(harness, "sha256", NIST_2BLOCK_256) == (
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")


def test_sha512_published_vectors(harness):
    assert digest(harness, "sha512", b"abc") == (
        "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
        "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
    assert digest(harness, "sha512", NIST_2BLOCK_512) == (
        "8e959b75dae313da8cf4f72814fc143f8f7779c6eb9f7fa17299aeadb6889018"
        "501d289e4900f7e4331b99dec4b5433ac7d329eeb6dd26545e96e55b874be909")


def test_million_a_streamed_in_odd_chunks(harness):
    data = b"a" * 1_000_000
    chunks = [1, 63, 64, 65, 127, 128, 129, 4093] * 100
    assert digest(harness, "sha256", data, chunks) == (
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    assert digest(harness, "sha512", data, chunks) == hashlib.sha512(data).hexdigest()


def test_edge_lengths_match_hashlib(harness):
    rng = random.Random(1)
    for n in EDGE_LENGTHS:
        data = rng.randbytes(n)
        assert digest(harness, "sha256", data) == hashlib.sha256(data).hexdigest(), n
        assert digest(harness, "sha512", data) == hashlib.sha512(data).hexdigest(), n


def test_random_lengths_random_chunks_match_hashlib(harness):
    rng = random.Random(2)
    for _ in range(150):
        n = rng.randrange(0, 700)
        data = rng.randbytes(n)
        chunks = [rng.choice([0, 1, 2, rng.randrange(0, 200)]) for _ in range(rng.randrange(8))]
        assert digest(harness, "sha256", data, chunks) == hashlib.sha256(data).hexdigest()
        assert digest(harness, "sha512", data, chunks) == hashlib.sha512(data).hexdigest()


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=600), chunks=st.lists(st.integers(0, 300), max_size=10))
def test_streaming_is_chunking_independent(harness, data, chunks):
    assert digest(harness, "sha256", data, chunks) == hashlib.sha256(data).hexdigest()
    assert digest(harness, "sha512", data, chunks) == hashlib.sha512(data).hexdigest()


def test_api_misuse_is_reported_not_ignored(harness):
    # SHA and Ed25519 APIs: NULL with a length, update/final after final, the length limits
    # (see misuse() in crypto_harness.c).
    assert harness.ask("misuse") == "ok"
