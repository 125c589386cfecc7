"""Password hashing with the standard library (Werkzeug's helpers, rewritten)."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def generate_password_hash(password: str) -> str:
    salt = secrets.token_hex(16)
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=2**14, r=8, p=1)
    return f"scrypt${salt}${digest.hex()}"


def check_password_hash(pwhash: str, password: str) -> bool:
    try:
        method, salt, digest = pwhash.split("$", 2)
    except ValueError:
        return False
    if method != "scrypt":
        return False
    actual = hashlib.scrypt(password.encode(), salt=salt.encode(), n=2**14, r=8, p=1)
    return hmac.compare_digest(actual.hex(), digest)
