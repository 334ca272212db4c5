"""The operator's signature on a fleet message (docs/fleet.md, "Signed messages").

The broker is not trusted: it may drop, replay, reorder or forge anything. So every
message that changes what devices run is signed by a fleet key the gateways were given,
and a gateway checks the signature before it parses anything else. The envelope is JSON:

    {"v": 1, "key": HEX(32-byte Ed25519 public key), "sig": HEX(64 bytes),
     "payload": BASE64(the message's own canonical JSON)}

with `sig` over "wasmote-fleet-v1" NUL || payload. The signature covers the payload bytes
as sent, so nothing is re-serialized before it is checked.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from wasmote.fleet.errors import MessageRejected
from wasmote.package.keys import key_id, public_key_bytes

DOMAIN = b"wasmote-fleet-v1\0"
ENVELOPE_VERSION = 1
# The largest signed message a gateway reads; anything longer is refused unparsed.
MAX_MESSAGE = 64 * 1024


@dataclass(frozen=True)
class SignedMessage:
    payload: bytes
    key: bytes  # the signer's public key
    sig: bytes

    def to_bytes(self) -> bytes:
        return json.dumps({"v": ENVELOPE_VERSION, "key": self.key.hex(), "sig": self.sig.hex(),
                           "payload": base64.b64encode(self.payload).decode()},
                          sort_keys=True, separators=(",", ":")).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> SignedMessage:
        if len(data) > MAX_MESSAGE:
            raise MessageRejected(f"message of {len(data)} bytes is longer than "
                                  f"{MAX_MESSAGE}: not read")
        try:
            doc = json.loads(data)
        except (UnicodeDecodeError, ValueError, RecursionError):
            raise MessageRejected("not a signed message (not JSON)") from None
        if not isinstance(doc, dict) or set(doc) != {"v", "key", "sig", "payload"}:
            raise MessageRejected("not a signed message (expected v, key, sig and payload "
                                  "only: unsigned?)")
        if doc["v"] != ENVELOPE_VERSION:
            raise MessageRejected(f"unknown envelope version {doc['v']!r}")
        try:
            key, sig = bytes.fromhex(doc["key"]), bytes.fromhex(doc["sig"])
            payload = base64.b64decode(doc["payload"], validate=True)
        except (TypeError, ValueError, binascii.Error):
            raise MessageRejected("signed message: key, sig or payload is not encoded "
                                  "right") from None
        if len(key) != 32 or len(sig) != 64:
            raise MessageRejected("signed message: the key must be 32 bytes, the signature "
                                  "64")
        return cls(payload, key, sig)


def sign(payload: bytes, key: Ed25519PrivateKey) -> SignedMessage:
    return SignedMessage(payload, public_key_bytes(key), key.sign(DOMAIN + payload))


def verify(msg: SignedMessage, trusted: Collection[bytes]) -> bytes:
    """The payload, if one of the `trusted` public keys signed it; MessageRejected saying
    why otherwise."""
    if msg.key not in trusted:
        raise MessageRejected(f"signed by key {key_id(msg.key)}, which this gateway does not "
                              f"trust")
    try:
        Ed25519PublicKey.from_public_bytes(msg.key).verify(msg.sig, DOMAIN + msg.payload)
    except (InvalidSignature, ValueError):
        raise MessageRejected(f"the signature by key {key_id(msg.key)} does not "
                              f"verify") from None
    return msg.payload
