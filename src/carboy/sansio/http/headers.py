"""Options, list, dict, ``Accept`` and ``Content-Disposition`` header values.

Plain values in, plain values out; standard library only. Parsers never raise on
client input and run in time linear in the length of their input.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from urllib.parse import quote as _quote
from urllib.parse import unquote as _unquote

from ._common import (
    _TOKEN,
    _quote_string,
    _split_commas,
    _split_semicolons,
    _unquote_string,
)

# ----------------------------------------------------------------- options headers

_CHARSET_VALUE = re.compile(r"([^']*)'[^']*'(.*)", re.S)
# NOTE: RFC 8187 requires UTF-8 and ISO-8859-1; a client never picks a codec here.
_RFC2231_CHARSETS = {
    "": "utf-8",
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "iso-8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
    "us-ascii": "ascii",
    "ascii": "ascii",
}


def _decode_rfc2231(value: str) -> str | None:
    match = _CHARSET_VALUE.fullmatch(value)
    if match is None:
        return None
    charset = _RFC2231_CHARSETS.get(match.group(1).strip().lower())
    if charset is None:
        return None
    return _unquote(match.group(2), charset, "replace")


_FILENAME_ESCAPE = re.compile(r'\\([\\"])')


def parse_options_header(value: str | None) -> tuple[str, dict[str, str]]:
    """Split a header such as ``Content-Type`` into a value and its parameters.

    ``text/html; charset="utf-8"`` gives ``("text/html", {"charset": "utf-8"})``.
    The value and parameter names are lowercased. In quoted parameter values only
    ``\\\\`` and ``\\"`` are unescaped (browsers send Windows paths with bare
    backslashes). An RFC 2231 extended parameter such as
    ``filename*=UTF-8''%E2%82%AC.txt`` is decoded and preferred over the plain
    ``filename``. RFC 2231 continuations (``name*0``) are not joined. Never raises:
    malformed parts are skipped.
    """
    if not value:
        return "", {}
    if ";" not in value:
        return value.strip().lower(), {}  # PERF: no parameters (the common case)
    parts = _split_semicolons(value)
    main = parts[0].strip().lower()
    params: dict[str, str] = {}
    extended: dict[str, str] = {}
    for part in parts[1:]:
        name, eq, raw = part.partition("=")
        name = name.strip().lower()
        if not name or not eq:
            continue
        raw = raw.strip()
        if name[-1] == "*":
            decoded = _decode_rfc2231(raw)
            if decoded is not None:
                extended[name[:-1]] = decoded
            continue
        if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
            raw = _FILENAME_ESCAPE.sub(r"\1", raw[1:-1])
        params[name] = raw
    params.update(extended)
    return main, params


# ------------------------------------------------------------------- list headers


def parse_list_header(value: str) -> list[str]:
    """Split a comma-separated header into items, respecting quoted strings.

    Items are stripped, empty items dropped and quoted items unquoted:
    ``'a, "b, c", d'`` gives ``["a", "b, c", "d"]``.
    """
    result = []
    for item in _split_commas(value):
        item = item.strip()
        if item:
            result.append(_unquote_string(item))
    return result


def parse_dict_header(value: str) -> dict[str, str | None]:
    """Parse a comma-separated list of ``key=value`` pairs into a dict.

    Quoted values are unquoted; a key without ``=`` maps to ``None``; for a repeated
    key the first wins. ``'a=1, b="x, y", c'`` gives
    ``{"a": "1", "b": "x, y", "c": None}``.
    """
    result: dict[str, str | None] = {}
    for item in _split_commas(value):
        name, eq, raw = item.partition("=")
        name = name.strip()
        if not name or name in result:
            continue
        result[name] = _unquote_string(raw.strip()) if eq else None
    return result


_QVALUE = re.compile(r"[ \t]*(?:0(?:\.[0-9]*)?|1(?:\.0*)?|\.[0-9]+)[ \t]*")


def parse_accept_header(value: str | None) -> list[tuple[str, float]]:
    """Parse an ``Accept``-style header into ``(value, quality)`` pairs.

    Sorted by quality, best first; items of equal quality keep their order.
    Parameters other than ``q`` stay in the value (``text/html;level=1``). A
    malformed or out-of-range ``q`` is ignored (the quality stays 1). Items with
    quality 0 are kept: they say what is *not* acceptable. Never raises.
    """
    if not value:
        return []
    result: list[tuple[str, float]] = []
    for item in _split_commas(value):
        parts = _split_semicolons(item)
        name = parts[0].strip()
        if not name:
            continue
        quality = 1.0
        params = []
        for param in parts[1:]:
            key, eq, raw = param.partition("=")
            key = key.strip()
            if key.lower() == "q":
                if _QVALUE.fullmatch(raw):
                    quality = float(raw)
            elif key:
                params.append(f"{key}={raw.strip()}" if eq else key)
        if params:
            name = ";".join([name, *params])
        result.append((name, quality))
    result.sort(key=lambda item: -item[1])
    return result


class Accept:
    """A parsed ``Accept``-style header (``Accept``, ``Accept-Language``...).

    ``request.accept_mimetypes.best_match(["application/json", "text/html"])`` picks
    what the client prefers; ``"text/html" in request.accept_mimetypes`` tells whether
    it accepts it at all. Wildcards (``*/*``, ``text/*``, ``*``) match as in RFC 9110.
    """

    __slots__ = ("_items",)

    def __init__(self, items: Iterable[tuple[str, float]] = ()) -> None:
        self._items = list(items)

    @staticmethod
    def _matches(pattern: str, value: str) -> bool:
        pattern = pattern.partition(";")[0].strip().lower()
        value = value.partition(";")[0].strip().lower()
        if pattern in {"*", "*/*"} or pattern == value:
            return True
        major, _, minor = pattern.partition("/")
        return minor == "*" and value.partition("/")[0] == major

    def quality(self, value: str) -> float:
        """The quality the client gives ``value`` (0 when it does not accept it)."""
        best = 0.0
        for pattern, quality in self._items:
            if self._matches(pattern, value):
                # NOTE: the most specific matching range decides (RFC 9110 §12.5.1).
                if pattern.partition(";")[0].strip().lower() == value.lower():
                    return quality
                best = max(best, quality)
        return best

    def __contains__(self, value: object) -> bool:
        return isinstance(value, str) and self.quality(value) > 0

    def best_match(
        self, matches: Iterable[str], default: str | None = None
    ) -> str | None:
        """The value among ``matches`` the client prefers (the first on a tie)."""
        best, best_quality = default, 0.0
        for value in matches:
            quality = self.quality(value)
            if quality > best_quality:
                best, best_quality = value, quality
        return best

    @property
    def best(self) -> str | None:
        """The client's most preferred value, or ``None``."""
        for value, quality in self._items:
            if quality > 0:
                return value
        return None

    def __iter__(self) -> Iterator[tuple[str, float]]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __repr__(self) -> str:
        return f"Accept({self._items!r})"


def is_valid_header_value(value: str) -> bool:
    """Return whether ``value`` may be sent as a header value (no CR, LF or NUL)."""
    return "\r" not in value and "\n" not in value and "\x00" not in value


def is_valid_header_name(name: str) -> bool:
    """Return whether ``name`` is a valid header field name (an RFC 9110 token)."""
    return _TOKEN.fullmatch(name) is not None


# ----------------------------------------------------------- content disposition

_UNSAFE_FILENAME_CHARS = re.compile(r"[\x00-\x1f\x7f]")
# NOTE: RFC 5987 section 3.2.1, attr-char minus ALPHA / DIGIT (always safe).
_ATTR_CHAR_SAFE = "!#$&+-.^_`|~"


def content_disposition(disposition: str, filename: str | None) -> str:
    """Build a ``Content-Disposition`` value (RFC 6266, RFC 5987).

    ``content_disposition("attachment", "report.pdf")`` gives
    ``attachment; filename="report.pdf"``. A non-ASCII name also gets an ASCII
    fallback (accents stripped) and ``filename*=UTF-8''`` with the exact name.
    Control characters (CR, LF, NUL, ...) are removed from the name, so the header
    can never be split. Raises ``ValueError`` if ``disposition`` is not a token.
    """
    if not _TOKEN.fullmatch(disposition):
        raise ValueError(
            f"Invalid disposition {disposition!r}: use a token such as 'inline' or"
            " 'attachment'."
        )
    if filename is None:
        return disposition
    filename = _UNSAFE_FILENAME_CHARS.sub("", filename)
    if filename.isascii():
        return f"{disposition}; filename={_quote_string(filename)}"
    fallback = (
        unicodedata.normalize("NFKD", filename)
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    fallback = _UNSAFE_FILENAME_CHARS.sub("", fallback)
    encoded = _quote(filename, safe=_ATTR_CHAR_SAFE, errors="surrogatepass")
    if fallback.strip():
        return (
            f"{disposition}; filename={_quote_string(fallback)};"
            f" filename*=UTF-8''{encoded}"
        )
    return f"{disposition}; filename*=UTF-8''{encoded}"


def is_json_mimetype(mimetype: str | None) -> bool:
    """Whether a mimetype is JSON: ``application/json`` or ``application/*+json``."""
    if not mimetype:
        return False
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )
