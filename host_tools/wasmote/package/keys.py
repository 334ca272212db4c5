"""Ed25519 keys for package signing: generate, save, load, sign, verify.

Key files are PEM (PKCS#8 private / SubjectPublicKeyInfo public, what `openssl` writes) or
raw: exactly 32 bytes (private seed or public key), or the same as 64 hex digits. The loader
detects which. Private keys are written unencrypted with mode 0600.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from wasmote.atomic_file import write_atomic
from wasmote.input_file import KEY_FILE_MAX, read_capped
from wasmote.package.container import SIGNATURE_ALG_ED25519, Package, Signature
from wasmote.package.errors import KeyFileError, SignatureError

KeyFormat = Literal["pem", "raw"]
KEY_BYTES = 32


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def public_key_bytes(key: Ed25519PublicKey | Ed25519PrivateKey) -> bytes:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(public_key: bytes) -> str:
    """A short fingerprint for messages: the first 8 bytes of SHA-256(public key), hex."""
    return hashlib.sha256(public_key).hexdigest()[:16]


def save_private_key(key: Ed25519PrivateKey, path: str | Path, fmt: KeyFormat = "pem",
                     overwrite: bool = True) -> None:
    """Mode 0600 from its first byte, through a new file renamed into place: never written
    through a symlink, never keeping an old file's mode (wasmote.atomic_file)."""
    if fmt == "pem":
        data = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
    else:
        data = key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    write_atomic(Path(path), data, 0o600, overwrite)


def save_public_key(key: Ed25519PublicKey | Ed25519PrivateKey, path: str | Path,
                    fmt: KeyFormat = "pem", overwrite: bool = True) -> None:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    if fmt == "pem":
        data = pub.public_bytes(serialization.Encoding.PEM,
                                serialization.PublicFormat.SubjectPublicKeyInfo)
    else:
        data = public_key_bytes(pub)
    write_atomic(Path(path), data, None, overwrite)


def _read(path: str | Path) -> bytes:
    try:
        return read_capped(path, KEY_FILE_MAX, "a key file")
    except OSError as e:
        raise KeyFileError(f"{path}: cannot read key file: {e.strerror or e}") from None


def _raw(data: bytes) -> bytes | None:
    """32 raw bytes, or 64 hex digits (optionally followed by whitespace)."""
    if len(data) == KEY_BYTES:
        return data
    text = data.strip()
    if len(text) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(text.decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return None
    return None


def load_private_key(path: str | Path) -> Ed25519PrivateKey:
    data = _read(path)
    if data.lstrip().startswith(b"-----BEGIN"):
        if b"PUBLIC KEY" in data:
            raise KeyFileError(f"{path}: this is a public key; signing needs the private key")
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except TypeError:
            raise KeyFileError(f"{path}: the private key is password-protected; wasmote "
                               f"needs an unencrypted key") from None
        except (ValueError, UnsupportedAlgorithm) as e:
            raise KeyFileError(f"{path}: not a readable PEM private key ({_short(e)})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{path}: not an Ed25519 key (found {type(key).__name__})")
        return key
    raw = _raw(data)
    if raw is None:
        raise KeyFileError(f"{path}: not a key file (expected PEM, 32 raw bytes or 64 hex "
                           f"digits; got {len(data)} bytes)")
    return Ed25519PrivateKey.from_private_bytes(raw)


def load_public_key(path: str | Path) -> bytes:
    """Load a public key file; returns the 32-byte raw key."""
    data = _read(path)
    if data.lstrip().startswith(b"-----BEGIN"):
        if b"PRIVATE KEY" in data:
            raise KeyFileError(f"{path}: this is a private key; give the public key (.pub)")
        try:
            key = serialization.load_pem_public_key(data)
        except (ValueError, UnsupportedAlgorithm) as e:
            raise KeyFileError(f"{path}: not a readable PEM public key ({_short(e)})") from None
        if not isinstance(key, Ed25519PublicKey):
            raise KeyFileError(f"{path}: not an Ed25519 key (found {type(key).__name__})")
        return public_key_bytes(key)
    raw = _raw(data)
    if raw is None:
        raise KeyFileError(f"{path}: not a key file (expected PEM, 32 raw bytes or 64 hex "
                           f"digits; got {len(data)} bytes)")
    return raw


def _short(e: Exception) -> str:
    return str(e).split(".")[0]


def sign_package(package: Package, key: Ed25519PrivateKey) -> Package:
    """Return the package with a signature by `key` (replacing any earlier signature)."""
    sig = key.sign(package.signed_message())
    return package.with_signature(Signature(public_key_bytes(key), sig, SIGNATURE_ALG_ED25519))


def signature_valid(package: Package) -> bool:
    """Whether the embedded signature verifies under the embedded key (trust not checked)."""
    sig = package.signature
    if sig is None or sig.algorithm != SIGNATURE_ALG_ED25519:
        return False
    try:
        Ed25519PublicKey.from_public_bytes(sig.public_key).verify(sig.signature,
                                                                  package.signed_message())
    except (InvalidSignature, ValueError):
        return False
    return True


def verify_package(package: Package, trusted: list[bytes]) -> Signature:
    """Apply the device's policy: signed, by one of `trusted`, and the signature verifies."""
    sig = package.signature
    if sig is None:
        raise SignatureError("package is not signed")
    if sig.public_key not in trusted:
        ids = ", ".join(key_id(k) for k in trusted)
        raise SignatureError(f"package is signed by key {key_id(sig.public_key)}, which is not "
                             f"a trusted key ({ids})")
    if not signature_valid(package):
        raise SignatureError(f"signature by key {key_id(sig.public_key)} does not verify: the "
                             f"package was modified after signing or the signature is forged")
    return sig
