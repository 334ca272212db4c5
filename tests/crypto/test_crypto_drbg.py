"""HMAC-SHA-256 (crypto/hmac_sha256.c) against Python's hmac, and the device's DRBG
(core/random: HMAC-DRBG of NIST SP 800-90A with SHA-256) against an independent model of
the standard written here from its section 10.1.2."""

from __future__ import annotations

import hashlib
import hmac
import random

from .conftest import Harness, hx

SEED_BYTES = 48  # WM_RANDOM_SEED_BYTES: entropy the DRBG asks of the port


class HmacDrbg:
    """SP 800-90A HMAC_DRBG, SHA-256, no prediction resistance, no additional input."""

    def __init__(self, entropy: bytes, personalization: bytes) -> None:
        self.k, self.v = b"\0" * 32, b"\1" * 32
        self._update(entropy + personalization)

    def _mac(self, data: bytes) -> bytes:
        return hmac.new(self.k, data, hashlib.sha256).digest()

    def _update(self, data: bytes) -> None:
        self.k = self._mac(self.v + b"\0" + data)
        self.v = self._mac(self.v)
        if data:
            self.k = self._mac(self.v + b"\1" + data)
            self.v = self._mac(self.v)

    def generate(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            self.v = self._mac(self.v)
            out += self.v
        self._update(b"")
        return out[:n]


def test_hmac_sha256_matches_python(harness: Harness) -> None:
    rng = random.Random(14)
    # RFC 4231 test case 2, then keys around the block size and random messages
    assert harness.ask(f"hmac {hx(b'Jefe')} {hx(b'what do ya want for nothing?')}") == \
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    for klen in (0, 1, 31, 32, 63, 64, 65, 200):
        key = rng.randbytes(klen)
        msg = rng.randbytes(rng.randrange(0, 300))
        assert harness.ask(f"hmac {hx(key)} {hx(msg)}") == \
            hmac.new(key, msg, hashlib.sha256).hexdigest()


def test_drbg_matches_the_standard(harness: Harness) -> None:
    rng = random.Random(3)
    for extra_len, size, count in ((0, 16, 5), (32, 32, 3), (40, 100, 4), (0, 1, 7)):
        entropy = rng.randbytes(SEED_BYTES)
        extra = rng.randbytes(extra_len)
        model = HmacDrbg(entropy, extra)
        want = "".join(model.generate(size).hex() for _ in range(count))
        assert harness.ask(f"drbg {hx(entropy)} {hx(extra)} {size} {count}") == want
