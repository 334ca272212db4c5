"""Golden packages: fixed bytes that pin format version 1 for other implementations.

tests/package/golden/hello.wmp is signed (Ed25519 is deterministic) by the private key
whose seed is bytes 0..31; the device-side parser and verifier can test against it:
hello-unsigned.wmp is the same without the signature section. Changing the format must
change FORMAT_VERSION and these files deliberately (rerun with WASMOTE_REGEN_GOLDEN=1).
"""

import hashlib
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from wasmote.package.container import Package, parse_package
from wasmote.package.keys import public_key_bytes, sign_package, verify_package
from wasmote.package.manifest import parse_manifest_toml

GOLDEN = Path(__file__).parent / "golden"
HELLO_WASM = bytes.fromhex(
    "0061736d01000000010b0260027f7f017f6000017f020f01077761736d6f7465036c6f670000030201"
    "010503010001071002066d656d6f727902000372756e00010a0a0108004100410510000b0b0b010041"
    "000b0568656c6c6f")
HELLO_TOML = """
name = "hello"
version = "1.0.2"
entry = "run"
autostart = true
capabilities = ["log", "pubsub:sensors/*"]

[limits]
memory = "64KiB"
stack = 4096
fuel = 10000
"""
SEED = bytes(range(32))


def _build() -> tuple[bytes, bytes]:
    pkg = Package(parse_manifest_toml(HELLO_TOML), HELLO_WASM)
    signed = sign_package(pkg, Ed25519PrivateKey.from_private_bytes(SEED))
    return pkg.to_bytes(), signed.to_bytes()


def test_golden_files_match():
    unsigned, signed = _build()
    if os.environ.get("WASMOTE_REGEN_GOLDEN"):
        (GOLDEN / "hello-unsigned.wmp").write_bytes(unsigned)
        (GOLDEN / "hello.wmp").write_bytes(signed)
    assert (GOLDEN / "hello-unsigned.wmp").read_bytes() == unsigned
    assert (GOLDEN / "hello.wmp").read_bytes() == signed
    assert signed[:len(unsigned)] == unsigned


def test_golden_parses_and_verifies():
    data = (GOLDEN / "hello.wmp").read_bytes()
    pkg = parse_package(data)
    assert pkg.manifest.name == "hello" and str(pkg.manifest.version) == "1.0.2"
    assert pkg.module == HELLO_WASM
    pub = public_key_bytes(Ed25519PrivateKey.from_private_bytes(SEED))
    assert verify_package(pkg, [pub]).public_key == pub
    content_len = int.from_bytes(data[8:12], "little")
    assert data[content_len + 8:content_len + 40] == hashlib.sha256(data[:content_len]).digest()
