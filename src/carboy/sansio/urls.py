"""Query strings and URL quoting.

Plain values in, plain values out; standard library only. Every function here runs
in time linear in the length of its input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any
from urllib.parse import unquote as _unquote_text
from urllib.parse import unquote_to_bytes as _unquote_to_bytes

__all__ = [
    "TooManyFieldsError",
    "iri_to_uri",
    "parse_qsl",
    "quote_path",
    "url_encode",
    "url_quote",
    "url_quote_plus",
    "url_unquote",
    "url_unquote_plus",
]


class TooManyFieldsError(ValueError):
    """A query string or form body has more fields than the configured limit."""


# NOTE: RFC 3986 section 2.3, unreserved characters are never percent-encoded.
_UNRESERVED = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"

# Characters a decoded path may keep literally: "/" plus the sub-delims, ":" and "@"
# (RFC 3986 section 3.3, pchar).
_PATH_SAFE = "/!$&'()*+,;=:@"

# PERF: one (unsafe-char pattern, byte -> text table) pair per distinct `safe` value.
_Quoter = tuple["re.Pattern[str]", tuple[str, ...]]
_quoters: dict[tuple[str, bool], _Quoter] = {}


def _quoter(safe: str, plus: bool) -> _Quoter:
    key = (safe, plus)
    quoter = _quoters.get(key)
    if quoter is not None:
        return quoter
    chars = set(_UNRESERVED)
    chars.update(c for c in safe if c.isascii())
    if plus:
        # NOTE: with "+" meaning space, a literal "+" must always be encoded.
        chars.discard("+")
    ordered = "".join(sorted(chars))
    pattern = re.compile("[^" + re.escape(ordered) + "]")
    table = [chr(b) if chr(b) in chars else f"%{b:02X}" for b in range(256)]
    if plus:
        table[0x20] = "+"
    quoter = (pattern, tuple(table))
    if len(_quoters) >= 64:  # bound the cache; callers normally use a few values
        _quoters.clear()
    _quoters[key] = quoter
    return quoter


def _quote(value: str | bytes, safe: str, plus: bool) -> str:
    pattern, table = _quoter(safe, plus)
    if isinstance(value, str):
        # PERF: most values need no quoting at all.
        if pattern.search(value) is None:
            return value
        value = value.encode("utf-8")
    return "".join(map(table.__getitem__, value))


def url_quote(value: str | bytes, safe: str = "/:") -> str:
    """Percent-encode text for use in a URL.

    Text is encoded as UTF-8 first; bytes are encoded as they are. Unreserved
    characters (letters, digits, ``-._~``) and the ASCII characters in ``safe`` are
    kept. ``url_quote("a b/é")`` gives ``"a%20b/%C3%A9"``.
    """
    return _quote(value, safe, False)


def url_quote_plus(value: str | bytes, safe: str = "") -> str:
    """Percent-encode text for a query string, writing spaces as ``+``.

    ``url_quote_plus("a b&c")`` gives ``"a+b%26c"``.
    """
    return _quote(value, safe, True)


def url_unquote(value: str | bytes, errors: str = "replace") -> str:
    """Decode percent escapes (as UTF-8) in a URL component; ``+`` stays ``+``.

    Invalid escapes such as ``%zz`` are kept literally. Bytes that are not UTF-8 are
    decoded with the ``errors`` handler (``"strict"`` raises ``UnicodeDecodeError``).
    """
    if isinstance(value, bytes):
        return _unquote_to_bytes(value).decode("utf-8", errors)
    if "%" not in value:
        return value
    if value.isascii():
        return _unquote_to_bytes(value).decode("utf-8", errors)
    # NOTE: text that is already decoded keeps its non-ASCII characters; only the
    # ASCII runs hold escapes.
    return _unquote_text(value, "utf-8", errors)


def url_unquote_plus(value: str | bytes, errors: str = "replace") -> str:
    """Like :func:`url_unquote`, but ``+`` decodes to a space (form encoding)."""
    if isinstance(value, bytes):
        return url_unquote(value.replace(b"+", b" "), errors)
    return url_unquote(value.replace("+", " "), errors)


def parse_qsl(
    qs: str | bytes,
    *,
    keep_blank: bool = True,
    max_fields: int | None = None,
    errors: str = "replace",
) -> list[tuple[str, str]]:
    """Parse a query string (or form-urlencoded body) into ``(name, value)`` pairs.

    Splits on ``&`` only (never ``;``), decodes ``+`` as space and percent escapes as
    UTF-8. Empty segments are dropped; a segment without ``=`` has the value ``""``;
    with ``keep_blank=False`` pairs whose value is empty are dropped as well. Invalid
    escapes such as ``%zz`` are kept literally, and bytes that are not UTF-8 are
    decoded with ``errors`` (``"strict"`` raises ``UnicodeDecodeError``, which a
    caller turns into a 400).

    Text input is taken as already-decoded text; bytes input may hold any octet.
    If ``max_fields`` is given and the input has more non-empty segments than that,
    :class:`TooManyFieldsError` is raised.

    ``parse_qsl("a=1&b=x+y&a=%C3%A9")`` gives ``[("a", "1"), ("b", "x y"),
    ("a", "é")]``.
    """
    if isinstance(qs, bytes):
        if not qs.isascii():
            return _parse_qsl_bytes(qs, keep_blank, max_fields, errors)
        # PERF: ASCII bytes decode the same way as the equivalent text.
        qs = qs.decode("ascii")
    if not qs:
        return []
    segments = qs.split("&")
    if max_fields is not None:
        _check_field_count(segments, max_fields)
    result: list[tuple[str, str]] = []
    append = result.append
    for segment in segments:
        if not segment:
            continue
        name, _, value = segment.partition("=")
        if not value and not keep_blank:
            continue
        # PERF: decode only what needs decoding; most names need nothing.
        if "+" in name:
            name = name.replace("+", " ")
        if "%" in name:
            name = url_unquote(name, errors)
        if "+" in value:
            value = value.replace("+", " ")
        if "%" in value:
            value = url_unquote(value, errors)
        append((name, value))
    return result


def _check_field_count(segments: list[str] | list[bytes], max_fields: int) -> None:
    if len(segments) <= max_fields:
        return  # PERF: no count needed
    empty: Any = segments[0][:0]  # "" or b""
    count = len(segments) - segments.count(empty)
    if count > max_fields:
        raise TooManyFieldsError(
            f"The query string or form has {count} fields, more than the limit of"
            f" {max_fields}. Send fewer fields, or raise the limit if this many"
            " are expected."
        )


def _parse_qsl_bytes(
    qs: bytes, keep_blank: bool, max_fields: int | None, errors: str
) -> list[tuple[str, str]]:
    segments = qs.split(b"&")
    if max_fields is not None:
        _check_field_count(segments, max_fields)
    result: list[tuple[str, str]] = []
    for segment in segments:
        if not segment:
            continue
        name, _, value = segment.partition(b"=")
        if not value and not keep_blank:
            continue
        result.append(
            (
                _unquote_to_bytes(name.replace(b"+", b" ")).decode("utf-8", errors),
                _unquote_to_bytes(value.replace(b"+", b" ")).decode("utf-8", errors),
            )
        )
    return result


def _iter_pairs(
    items: Iterable[tuple[str, Any]] | Mapping[str, Any],
) -> Iterator[tuple[Any, Any]]:
    pairs = items.items() if isinstance(items, Mapping) else items
    for key, value in pairs:
        if isinstance(value, list | tuple):
            for item in value:
                if item is not None:
                    yield key, item
        elif value is not None:
            yield key, value


def _encode_part(value: Any) -> str:
    if isinstance(value, bytes):
        # NOTE: bytes are encoded octet by octet, which for UTF-8 is the same as
        # decoding and re-encoding, and never fails on other bytes.
        return url_quote_plus(value)
    if not isinstance(value, str):
        value = str(value)
    return url_quote_plus(value)


def url_encode(
    items: Iterable[tuple[str, Any]] | Mapping[str, Any], sort: bool = False
) -> str:
    """Build a query string from pairs or a mapping.

    A list or tuple value repeats its key once per item; ``None`` values are
    skipped; other non-text values are converted with ``str()``; bytes are taken as
    UTF-8. With ``sort=True`` pairs are ordered by key (stable for repeated keys).
    ``url_encode({"q": "a b", "tag": ["x", "y"]})`` gives ``"q=a+b&tag=x&tag=y"``.
    """
    pairs = [(_encode_part(k), _encode_part(v)) for k, v in _iter_pairs(items)]
    if sort:
        pairs.sort(key=lambda pair: pair[0])
    return "&".join([f"{k}={v}" for k, v in pairs])


# NOTE: characters that stay as they are in a URI: unreserved, reserved (RFC 3986
# section 2.2) and "%" when it starts a valid escape. Everything else, including
# space, controls (CR, LF, NUL), quotes, "<>", "\\", "^", "`", "{|}" and non-ASCII,
# is percent-encoded.
_IRI_UNSAFE = re.compile(
    r"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+",
)


def _encode_iri_match(match: re.Match[str]) -> str:
    data = match.group().encode("utf-8", "surrogatepass")
    return "".join([f"%{b:02X}" for b in data])


def iri_to_uri(value: str) -> str:
    """Turn an IRI (or a URL with unsafe characters) into a plain-ASCII URI.

    Non-ASCII characters (as UTF-8), spaces, control characters (CR, LF, NUL, ...)
    and other characters that may not appear in a URI are percent-encoded; reserved
    URL characters and existing ``%XX`` escapes are kept, and a ``%`` that does not
    start an escape becomes ``%25``. The result can never split a header, so it is
    safe for ``Location``. Never raises (a lone surrogate is encoded as its UTF-8
    form). ``iri_to_uri("/caf\u00e9?q=a b")`` gives ``"/caf%C3%A9?q=a%20b"``.

    The host is percent-encoded like the rest, not IDNA-encoded.
    """
    if _IRI_UNSAFE.search(value) is None:
        return value
    return _IRI_UNSAFE.sub(_encode_iri_match, value)


def quote_path(path: str) -> str:
    """Percent-encode a decoded URL path.

    Keeps ``/``, ``:``, ``@`` and the sub-delimiters that are legal in a path
    (``!$&'()*+,;=``); encodes ``%``, ``?``, ``#``, spaces and non-ASCII text.
    ``quote_path("/files/a b?.txt")`` gives ``"/files/a%20b%3F.txt"``.
    """
    return _quote(path, _PATH_SAFE, False)
