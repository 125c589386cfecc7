"""carboy.security: Werkzeug's hash-string format, checked against vectors built here
from the documented format with hashlib (no Werkzeug involved)."""

from __future__ import annotations

import hashlib
import hmac
from unittest import mock

import pytest

from carboy import security
from carboy.security import check_password_hash, gen_salt, generate_password_hash

SALT = "pepperpepper1234"

# Written out once from the documented format: method$salt$hex.
SCRYPT_HUNTER2 = (
    "scrypt:32768:8:1$pepperpepper1234$e94f8706c0c74cdde13e1cbd89470a18b4f08cc8acc3f71ebc0"
    "557615284a169ba4a3ef97f770df26538cb8afaaae65dc5d76f5847cf3dd7b3cadf4ff95fc525"
)
PBKDF2_HUNTER2 = (
    "pbkdf2:sha256:600000$pepperpepper1234$"
    "e6134e16db64a9f54d8641c6bd8c2b37f74fb73a24ba4c926b997d351fa5856b"
)


def test_written_out_vectors_match_the_documented_computation() -> None:
    scrypt_key = hashlib.scrypt(
        b"hunter2", salt=SALT.encode(), n=32768, r=8, p=1, maxmem=132 * 32768 * 8
    )
    assert SCRYPT_HUNTER2 == f"scrypt:32768:8:1${SALT}${scrypt_key.hex()}"
    pbkdf2_key = hashlib.pbkdf2_hmac("sha256", b"hunter2", SALT.encode(), 600_000)
    assert PBKDF2_HUNTER2 == f"pbkdf2:sha256:600000${SALT}${pbkdf2_key.hex()}"


@pytest.mark.parametrize("stored", [SCRYPT_HUNTER2, PBKDF2_HUNTER2])
def test_hashes_stored_by_a_flask_app_verify_unchanged(stored: str) -> None:
    assert check_password_hash(stored, "hunter2") is True
    assert check_password_hash(stored, "hunter3") is False


def test_other_parameters_from_the_format() -> None:
    key = hashlib.pbkdf2_hmac("sha512", "pässword".encode(), b"abc", 1000).hex()
    assert check_password_hash(f"pbkdf2:sha512:1000$abc${key}", "pässword") is True
    key = hashlib.scrypt(
        b"pw", salt=b"s", n=1024, r=4, p=2, maxmem=132 * 1024 * 8
    ).hex()
    assert check_password_hash(f"scrypt:1024:4:2$s${key}", "pw") is True
    # Defaults fill in parameters a short method string leaves out.
    key = hashlib.pbkdf2_hmac("sha1", b"pw", b"s", 600_000).hex()
    assert check_password_hash(f"pbkdf2:sha1$s${key}", "pw") is True


def test_generate_defaults_to_scrypt_with_a_16_character_salt() -> None:
    pwhash = generate_password_hash("secret")
    method, salt, key = pwhash.split("$")
    assert method == "scrypt:32768:8:1"
    assert len(salt) == 16 and set(salt) <= set(security.SALT_CHARS)
    expected = hashlib.scrypt(
        b"secret", salt=salt.encode(), n=32768, r=8, p=1, maxmem=132 * 32768 * 8
    )
    assert key == expected.hex()
    assert check_password_hash(pwhash, "secret") is True
    assert check_password_hash(pwhash, "Secret") is False


def test_generate_pbkdf2_spells_out_its_parameters() -> None:
    pwhash = generate_password_hash(
        "secret", method="pbkdf2:sha256:1000", salt_length=8
    )
    method, salt, key = pwhash.split("$")
    assert method == "pbkdf2:sha256:1000"
    assert len(salt) == 8
    assert key == hashlib.pbkdf2_hmac("sha256", b"secret", salt.encode(), 1000).hex()
    assert generate_password_hash("x", method="pbkdf2").startswith(
        "pbkdf2:sha256:600000$"
    )


def test_each_hash_gets_a_fresh_salt() -> None:
    a = generate_password_hash("same", method="pbkdf2:sha256:1")
    b = generate_password_hash("same", method="pbkdf2:sha256:1")
    assert a != b
    assert check_password_hash(a, "same") and check_password_hash(b, "same")


@pytest.mark.parametrize(
    "method",
    ["md5", "sha256", "plain", "", "scrypt:1:2", "pbkdf2:sha256:1:2", "argon2"],
)
def test_unknown_method_is_a_value_error(method: str) -> None:
    with pytest.raises(ValueError, match="Unknown password hash method"):
        generate_password_hash("pw", method=method)
    with pytest.raises(ValueError, match="Unknown password hash method"):
        check_password_hash(f"{method}$salt$00", "pw")


def test_unknown_digest_and_bad_parameters_are_value_errors() -> None:
    with pytest.raises(ValueError, match="Unknown hash function 'nope'"):
        generate_password_hash("pw", method="pbkdf2:nope:10")
    with pytest.raises(ValueError, match="iteration count 'many'"):
        generate_password_hash("pw", method="pbkdf2:sha256:many")
    with pytest.raises(ValueError, match="parameter '0'"):
        check_password_hash("scrypt:0:8:1$s$00", "pw")
    with pytest.raises(ValueError, match="salt length must be at least 1"):
        generate_password_hash("pw", salt_length=0)
    with pytest.raises(ValueError, match="salt length"):
        gen_salt(-1)


@pytest.mark.parametrize(
    "pwhash", ["", "garbage", "scrypt$abc", "a$b$c$d", "$$", PBKDF2_HUNTER2 + "$"]
)
def test_malformed_hash_does_not_match(pwhash: str) -> None:
    if pwhash == "$$":
        with pytest.raises(ValueError):
            check_password_hash(pwhash, "pw")
    else:
        assert check_password_hash(pwhash, "hunter2") is False


def test_comparison_is_constant_time() -> None:
    with mock.patch.object(
        security.hmac, "compare_digest", wraps=hmac.compare_digest
    ) as compare:
        assert check_password_hash("pbkdf2:sha256:1$s$00", "pw") is False
    compare.assert_called_once()
