"""Password hashing in the hash-string format Flask apps already store.

A hash is ``method$salt$hex``, where ``method`` names the key derivation function and
its parameters:

- ``scrypt:32768:8:1$salt$hex``: ``hashlib.scrypt`` with ``n=32768, r=8, p=1``, a
  64-byte key (the default);
- ``pbkdf2:sha256:600000$salt$hex``: ``hashlib.pbkdf2_hmac`` with SHA-256 and 600,000
  iterations, a key as long as the digest.

This is the format of ``werkzeug.security``, so hashes a Flask app stored with
``generate_password_hash`` verify here unchanged, and the other way round::

    from carboy.security import check_password_hash, generate_password_hash

    stored = generate_password_hash("correct horse")
    assert check_password_hash(stored, "correct horse")
    assert not check_password_hash(stored, "wrong horse")

Only the standard library does the hashing; this module is the format.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import string

__all__ = ["check_password_hash", "gen_salt", "generate_password_hash"]

SALT_CHARS = string.ascii_letters + string.digits
DEFAULT_PBKDF2_ITERATIONS = 600_000
DEFAULT_SCRYPT_N = 2**15
DEFAULT_SCRYPT_R = 8
DEFAULT_SCRYPT_P = 1

_METHODS = (
    "'scrypt' or 'pbkdf2', optionally with parameters, as in 'scrypt:32768:8:1' or"
    " 'pbkdf2:sha256:600000'"
)


def gen_salt(length: int) -> str:
    """A random salt of ``length`` letters and digits, from :mod:`secrets`."""
    if length <= 0:
        raise ValueError(f"The salt length must be at least 1, not {length}.")
    return "".join(secrets.choice(SALT_CHARS) for _ in range(length))


def _int_param(method: str, value: str, what: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise ValueError(
            f"Invalid {what} {value!r} in password hash method {method!r}: it must be a"
            " positive integer."
        )
    return int(value)


def _hash(method: str, salt: str, password: str) -> tuple[str, str]:
    """The key for ``password`` as hex, and the method with all its parameters spelled
    out (what goes before the first ``$``)."""
    name, _, params = method.partition(":")
    args = params.split(":") if params else []
    secret = password.encode()
    salt_bytes = salt.encode()
    if name == "scrypt" and len(args) in (0, 3):
        if args:
            n, r, p = (_int_param(method, a, "parameter") for a in args)
        else:
            n, r, p = DEFAULT_SCRYPT_N, DEFAULT_SCRYPT_R, DEFAULT_SCRYPT_P
        # NOTE: scrypt needs 128 * n * r * p bytes; the default limit (32 MiB) is too
        # small for the default parameters, so allow what these parameters need.
        key = hashlib.scrypt(
            secret, salt=salt_bytes, n=n, r=r, p=p, maxmem=132 * n * r * p
        )
        return key.hex(), f"scrypt:{n}:{r}:{p}"
    if name == "pbkdf2" and len(args) in (0, 1, 2):
        digest = args[0] if args else "sha256"
        if len(args) == 2:
            iterations = _int_param(method, args[1], "iteration count")
        else:
            iterations = DEFAULT_PBKDF2_ITERATIONS
        try:
            key = hashlib.pbkdf2_hmac(digest, secret, salt_bytes, iterations)
        except ValueError:
            raise ValueError(
                f"Unknown hash function {digest!r} in password hash method {method!r}."
            ) from None
        return key.hex(), f"pbkdf2:{digest}:{iterations}"
    raise ValueError(f"Unknown password hash method {method!r}: use {_METHODS}.")


def generate_password_hash(
    password: str, method: str = "scrypt", salt_length: int = 16
) -> str:
    """Hash ``password`` with a random salt, as ``method$salt$hex``.

    ``method`` is ``"scrypt"`` (the default) or ``"pbkdf2"``, optionally with
    parameters (``"scrypt:65536:8:1"``, ``"pbkdf2:sha512:800000"``); anything else is a
    ``ValueError``.
    """
    salt = gen_salt(salt_length)
    key, actual_method = _hash(method, salt, password)
    return f"{actual_method}${salt}${key}"


def check_password_hash(pwhash: str, password: str) -> bool:
    """Whether ``password`` matches ``pwhash`` (made by :func:`generate_password_hash`,
    or by ``werkzeug.security``).

    A string that is not ``method$salt$hex`` does not match; an unknown method is a
    ``ValueError`` (the stored hash names a scheme this module cannot check).
    The comparison takes the same time wherever the two keys differ.
    """
    if pwhash.count("$") != 2:
        return False
    method, salt, expected = pwhash.split("$")
    key, _ = _hash(method, salt, password)
    return hmac.compare_digest(key.encode(), expected.encode())
