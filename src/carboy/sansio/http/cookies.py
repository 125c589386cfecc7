"""Cookies: a linear-time ``Cookie`` parser and a validating ``Set-Cookie`` writer.

Plain values in, plain values out; standard library only. Parsers never raise on
client input and run in time linear in the length of their input.
"""

from __future__ import annotations

import re
import time
import warnings
from datetime import datetime, timedelta
from urllib.parse import quote as _quote

from ._common import _TOKEN
from .dates import http_date

# --------------------------------------------------------------------------- cookies

# NOTE: RFC 6265 section 4.1.1, cookie-octet: printable US-ASCII except
# space, DQUOTE, comma, semicolon and backslash.
_COOKIE_OCTETS = re.compile(r"[!#-+\--:<-\[\]-~]*")
_COOKIE_ESCAPES = re.compile(r"((?:\\[0-3][0-7]{2})+)|\\(.)", re.S)
_FORBIDDEN_ATTR = re.compile(r"[\x00-\x1f\x7f;]")
_SAMESITE = {"strict": "Strict", "lax": "Lax", "none": "None"}


def _cookie_escape_table() -> tuple[str, ...]:
    table = []
    for byte in range(256):
        char = chr(byte)
        if char == '"' or char == "\\":
            table.append("\\" + char)
        elif char == " " or _COOKIE_OCTETS.fullmatch(char):
            table.append(char)
        else:
            table.append(f"\\{byte:03o}")
    return tuple(table)


_COOKIE_ESCAPE = _cookie_escape_table()


def _cookie_unescape(match: re.Match[str]) -> str:
    octal = match.group(1)
    if octal is not None:
        # NOTE: a run of octal escapes holds the UTF-8 bytes of the original text.
        data = bytes(int(octal[i + 1 : i + 4], 8) for i in range(0, len(octal), 4))
        return data.decode("utf-8", "replace")
    return match.group(2)


def parse_cookie(header: str | None) -> list[tuple[str, str]]:
    """Parse a ``Cookie`` request header into ``(name, value)`` pairs.

    Order and duplicates are kept; the caller decides which of several cookies with
    the same name wins. Only spaces and tabs are trimmed around names and values,
    so other whitespace (such as ``\\x0b`` or ``\\xa0``) stays part of the name and
    can never turn ``\\x0b__Host-id`` into ``__Host-id``. Segments without a name
    are dropped; a segment without ``=`` is a name with the value ``""``. A value in
    double quotes is unquoted, undoing ``\\"``, ``\\\\`` and octal escapes such as
    ``\\012`` (as written by :func:`dump_cookie`).
    """
    if not header:
        return []
    result: list[tuple[str, str]] = []
    append = result.append
    for segment in header.split(";"):
        name, _, value = segment.partition("=")
        name = name.strip(" \t")
        if not name:
            continue
        value = value.strip(" \t")
        if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
            value = value[1:-1]
            if "\\" in value:
                value = _COOKIE_ESCAPES.sub(_cookie_unescape, value)
        append((name, value))
    return result


def _check_attribute(name: str, value: str) -> None:
    if _FORBIDDEN_ATTR.search(value):
        raise ValueError(
            f"Cookie {name} {value!r} contains a control character (such as CR, LF"
            " or NUL) or ';', which would corrupt the Set-Cookie header. Remove it."
        )


def _expires_attribute(expires: str | datetime | int | float) -> str:
    if isinstance(expires, str):
        _check_attribute("expires", expires)
        return expires
    return http_date(expires)


def _samesite_attribute(samesite: str) -> str:
    canonical = _SAMESITE.get(samesite.lower())
    if canonical is None:
        raise ValueError(
            f"Invalid samesite value {samesite!r}: use 'Strict', 'Lax' or"
            " 'None' (or None to leave the attribute out)."
        )
    return canonical


def _quote_cookie_value(value: str) -> str:
    if _COOKIE_OCTETS.fullmatch(value):
        return value
    escaped = "".join(map(_COOKIE_ESCAPE.__getitem__, value.encode("utf-8")))
    return f'"{escaped}"'


def dump_cookie(
    key: str,
    value: str = "",
    max_age: int | timedelta | None = None,
    expires: str | datetime | int | float | None = None,
    path: str | None = "/",
    domain: str | None = None,
    secure: bool = False,
    httponly: bool = False,
    samesite: str | None = None,
    partitioned: bool = False,
    max_size: int = 4093,
) -> str:
    """Build a ``Set-Cookie`` header value (RFC 6265).

    The key must be an HTTP token. A value that is not made only of cookie-octets is
    double-quoted, with ``"`` and ``\\`` backslash-escaped and other octets of its
    UTF-8 form written as octal escapes (``\\073`` for ``;``), which
    :func:`parse_cookie` reverses. ``max_age`` (seconds or a timedelta) also sets
    ``Expires`` computed from now, unless ``expires`` is given. ``expires`` may be a
    datetime, a Unix timestamp or a preformatted string. ``samesite`` is
    ``"Strict"``, ``"Lax"`` or ``"None"`` in any case; ``partitioned`` implies
    ``Secure``. A header longer than ``max_size`` characters (``0`` for no
    limit) is still returned, with a ``UserWarning`` naming its size, as Flask
    warns: browsers silently drop cookies past about 4 KB.

    Raises ``ValueError`` for an invalid key, for a control character or ``;`` in
    the path, domain or expires string, for a non-ASCII domain that cannot be
    IDNA-encoded, and for an unknown ``samesite``.
    """
    if not _TOKEN.fullmatch(key):
        raise ValueError(
            f"Invalid cookie name {key!r}: a cookie name must be a non-empty HTTP"
            " token (letters, digits and !#$%&'*+-.^_`|~; no spaces, control"
            " characters, quotes or separators such as ';', ',' and '=')."
        )
    parts = [f"{key}={_quote_cookie_value(value)}"]
    if domain is not None:
        _check_attribute("domain", domain)
        if not domain.isascii():
            domain = domain.encode("idna").decode("ascii")
        parts.append(f"Domain={domain}")
    if isinstance(max_age, timedelta):
        max_age = int(max_age.total_seconds())
    if expires is None and max_age is not None:
        expires = time.time() + max_age
    if expires is not None:
        parts.append(f"Expires={_expires_attribute(expires)}")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    if secure or partitioned:
        parts.append("Secure")
    if httponly:
        parts.append("HttpOnly")
    if path is not None:
        _check_attribute("path", path)
        if not path.isascii():
            path = _quote(path, safe="/!$&'()*+,:=@%~")
        parts.append(f"Path={path}")
    if samesite is not None:
        parts.append(f"SameSite={_samesite_attribute(samesite)}")
    if partitioned:
        parts.append("Partitioned")
    header = "; ".join(parts)
    _check_size(key, header, len(parts[0]) - len(key) - 1, max_size)
    return header


def _check_size(key: str, header: str, value_size: int, max_size: int) -> None:
    """Warn, as Flask does, when a Set-Cookie header is past ``max_size``."""
    if not max_size or len(header) <= max_size:
        return
    warnings.warn(
        f"The {key!r} cookie is too large: its Set-Cookie value is {len(header)}"
        f" bytes ({value_size} for the value, {len(header) - value_size} for the"
        f" name and attributes), over the {max_size}-byte limit. Browsers may"
        " silently ignore it. Store less in it (keep large data server-side), or"
        " raise MAX_COOKIE_SIZE if you know your clients accept it.",
        stacklevel=4,
    )
