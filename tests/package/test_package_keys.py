import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from wasmote.package.container import parse_package
from wasmote.package.errors import KeyFileError, SignatureError
from wasmote.package.keys import (
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    public_key_bytes,
    save_private_key,
    save_public_key,
    sign_package,
    signature_valid,
    verify_package,
)

from .helpers import sample_package


@pytest.mark.parametrize("fmt", ["pem", "raw"])
def test_save_load(tmp_path, fmt):
    key = generate_private_key()
    save_private_key(key, tmp_path / "k.key", fmt)
    save_public_key(key, tmp_path / "k.pub", fmt)
    assert stat.S_IMODE(os.stat(tmp_path / "k.key").st_mode) == 0o600
    loaded = load_private_key(tmp_path / "k.key")
    assert public_key_bytes(loaded) == public_key_bytes(key)
    assert load_public_key(tmp_path / "k.pub") == public_key_bytes(key)


def test_hex_keys(tmp_path):
    key = generate_private_key()
    seed = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                             serialization.NoEncryption())
    (tmp_path / "k.key").write_text(seed.hex() + "\n")
    (tmp_path / "k.pub").write_text(public_key_bytes(key).hex().upper())
    assert public_key_bytes(load_private_key(tmp_path / "k.key")) == public_key_bytes(key)
    assert load_public_key(tmp_path / "k.pub") == public_key_bytes(key)


def _pem_private(key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def test_bad_key_files(tmp_path):
    ec_key = ec.generate_private_key(ec.SECP256R1())
    cases = {
        "ec.key": (_pem_private(ec_key), load_private_key, "not an Ed25519 key"),
        "ec.pub": (ec_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
            load_public_key, "not an Ed25519 key"),
        "short.key": (b"\1" * 31, load_private_key, "got 31 bytes"),
        "junk.pub": (b"z" * 64, load_public_key, "not a key file"),
        "broken.key": (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                       load_private_key, "not a readable PEM private key"),
        "swapped.pub": (_pem_private(ed25519.Ed25519PrivateKey.generate()), load_public_key,
                        "this is a private key"),
        "enc.key": (ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw")), load_private_key,
            "password-protected"),
    }
    for name, (data, loader, fragment) in cases.items():
        (tmp_path / name).write_bytes(data)
        with pytest.raises(KeyFileError, match=fragment):
            loader(tmp_path / name)
    with pytest.raises(KeyFileError, match="cannot read key file"):
        load_public_key(tmp_path / "missing.pub")
    pub = tmp_path / "p.pub"
    save_public_key(generate_private_key(), pub)
    with pytest.raises(KeyFileError, match="this is a public key"):
        load_private_key(pub)


def test_sign_verify_and_tamper():
    key, other = generate_private_key(), generate_private_key()
    pub, other_pub = public_key_bytes(key), public_key_bytes(other)
    pkg = sample_package()
    with pytest.raises(SignatureError, match="not signed"):
        verify_package(pkg, [pub])
    signed = parse_package(sign_package(pkg, key).to_bytes())
    assert signature_valid(signed)
    assert verify_package(signed, [other_pub, pub]).public_key == pub
    with pytest.raises(SignatureError, match=f"signed by key {key_id(pub)}, which is not a "
                                             f"trusted key \\({key_id(other_pub)}\\)"):
        verify_package(signed, [other_pub])
    # Re-signing replaces the signature.
    resigned = sign_package(signed, other)
    assert verify_package(resigned, [other_pub]).public_key == other_pub
    # A tampered package whose hash was recomputed: the signature no longer verifies.
    from dataclasses import replace
    tampered = replace(signed, module=signed.module + b"\x00\x01x")
    with pytest.raises(SignatureError, match="does not verify"):
        verify_package(tampered, [pub])
    # A signature moved to another key's slot does not verify either.
    assert signed.signature is not None
    swapped = signed.with_signature(replace(signed.signature, public_key=other_pub))
    with pytest.raises(SignatureError, match="does not verify"):
        verify_package(swapped, [other_pub])


def test_key_id_is_stable():
    assert key_id(b"\0" * 32) == "66687aadf862bd77"


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=200) | st.builds(
    lambda body: b"-----BEGIN PRIVATE KEY-----\n" + body + b"\n-----END PRIVATE KEY-----\n",
    st.binary(max_size=80)))
def test_random_key_files(tmp_path, data):
    path = tmp_path / "random.key"
    path.write_bytes(data)
    for loader in (load_private_key, load_public_key):
        try:
            loader(path)
        except KeyFileError as e:
            assert str(e).startswith(str(path))
