"""Mosquitto's password file, written by the tooling (the format `mosquitto_passwd` writes
for Mosquitto 2.0: `user:$7$ITERATIONS$BASE64(salt)$BASE64(PBKDF2-HMAC-SHA512)`, a 12-byte
salt and a 64-byte hash). The passwords themselves are random (256 bits), so the
iteration count guards nothing a guess could find; it stays Mosquitto's default."""

from __future__ import annotations

import base64
import hashlib
import os
import secrets

ITERATIONS = 101
SALT_BYTES = 12


def new_password() -> str:
    return secrets.token_urlsafe(32)


def password_line(user: str, password: str, salt: bytes | None = None,
                  iterations: int = ITERATIONS) -> str:
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, iterations, 64)
    return (f"{user}:$7${iterations}${base64.b64encode(salt).decode()}$"
            f"{base64.b64encode(digest).decode()}")
