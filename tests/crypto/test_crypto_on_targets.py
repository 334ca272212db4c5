"""The crypto core on the target instruction sets: the same checks as the host tests, answered
by bare-metal images running under QEMU (Cortex-M4 on mps2-an386, RV32IMAC on virt), so the
cross compilers' lowering of the 64-bit arithmetic is covered too."""

from __future__ import annotations

import hashlib
import json
import random
import select
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from bench.crypto_m4.image import build_image

from . import ed25519_model as model
from .conftest import BUILD_DIR

pytestmark = pytest.mark.qemu

OK, BAD_S, BAD_KEY, WEAK_KEY, BAD_R, WEAK_R, BAD_SIGNATURE = 0, 4, 5, 6, 7, 8, 9
DRIVER = Path(__file__).resolve().parent / "crypto_target_driver.c"
BOARDS = {"mps2-an386": ("arm-none-eabi-gcc", "qemu-system-arm"),
          "riscv32-virt": ("riscv64-unknown-elf-gcc", "qemu-system-riscv32")}
VECTORS = json.loads((Path(__file__).parent / "rfc8032_vectors.json").read_text())["vectors"]


class TargetDevice:
    def __init__(self, cmd: list[str]) -> None:
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, bufsize=1)
        banner = self._readline()
        assert "crypto-target ready" in banner, banner

    def _readline(self, timeout: float = 60.0) -> str:
        assert self.proc.stdout is not None
        # A wedged guest must fail the test, not hang CI.
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            raise AssertionError(f"no answer from the QEMU target within {timeout} s")
        line = self.proc.stdout.readline()
        if not line:
            raise AssertionError(f"QEMU exited ({self.proc.poll()})")
        return line.strip()

    def ask(self, line: str) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self._readline()

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=10)


@pytest.fixture(scope="module", params=sorted(BOARDS))
def target(request: pytest.FixtureRequest) -> Iterator[TargetDevice]:
    """A QEMU board running the driver image."""
    for tool in BOARDS[request.param]:
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} not installed (scripts/bootstrap.sh installs it)")
    image = build_image(DRIVER, BUILD_DIR / f"driver-{request.param}",
                        board_name=request.param)
    dev = TargetDevice(image.qemu_command())
    yield dev
    dev.close()


def hx(b: bytes) -> str:
    return b.hex() if b else "-"


def verify(target: TargetDevice, pub: bytes, msg: bytes, sig: bytes, chunk: int = 0) -> int:
    if chunk:
        return int(target.ask(f"s {pub.hex()} {sig.hex()} {hx(msg)} {chunk}"))
    return int(target.ask(f"v {pub.hex()} {sig.hex()} {hx(msg)}"))


def test_sha_on_target_matches_hashlib(target):
    rng = random.Random(4)
    for n in (0, 1, 3, 55, 56, 63, 64, 65, 111, 112, 119, 120, 127, 128, 129, 1000, 4096):
        data = rng.randbytes(n)
        assert target.ask(f"h2 {hx(data)}") == "0 " + hashlib.sha256(data).hexdigest(), n
        assert target.ask(f"h5 {hx(data)}") == "0 " + hashlib.sha512(data).hexdigest(), n


def test_sha256_from_unaligned_input_on_target(target):
    # Whole blocks are hashed straight from the caller's buffer with word loads: every
    # alignment, lengths around the block and padding boundaries.
    rng = random.Random(6)
    for off in range(8):
        for n in (1, 55, 56, 64, 65, 119, 128, 129, 1000):
            data = rng.randbytes(n)
            want = "0 " + hashlib.sha256(data).hexdigest()
            assert target.ask(f"u2 {off} {hx(data)}") == want, (off, n)


def test_rfc8032_vectors_on_target(target):
    for v in VECTORS:
        pub, msg, sig = (bytes.fromhex(v[k]) for k in ("public", "message", "signature"))
        assert verify(target, pub, msg, sig) == OK, v["name"]
        assert verify(target, pub, msg, sig, chunk=7) == OK, v["name"]
        assert verify(target, pub, msg + b"!", sig) == BAD_SIGNATURE, v["name"]


def test_cryptography_signatures_and_rejections_on_target(target):
    rng = random.Random(5)
    for _ in range(12):
        key = Ed25519PrivateKey.from_private_bytes(rng.randbytes(32))
        pub = key.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
        msg = rng.randbytes(rng.randrange(300))
        sig = key.sign(msg)
        assert verify(target, pub, msg, sig) == OK
        if msg:
            bad = bytearray(msg)
            bad[rng.randrange(len(bad))] ^= 1 << rng.randrange(8)
            assert verify(target, pub, bytes(bad), sig) == BAD_SIGNATURE
        s_plus_l = int.from_bytes(sig[32:], "little") + model.L
        if s_plus_l < 2**256:
            assert verify(target, pub, msg, sig[:32] + s_plus_l.to_bytes(32, "little")) == BAD_S
    identity = model.encode((0, 1))
    for pt in model.small_order_points():
        assert verify(target, model.encode(pt), b"x", identity + bytes(32)) == WEAK_KEY
        assert verify(target, pub, b"x", model.encode(pt) + bytes(32)) == WEAK_R
    twin = (1 + model.P).to_bytes(32, "little")  # y = p + 1, the non-canonical twin of y = 1
    assert verify(target, twin, msg, sig) == BAD_KEY
    assert verify(target, pub, msg, twin + sig[32:]) == BAD_R
