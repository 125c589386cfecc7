"""HTTP header values: cookies, options, authorization, dates, ETags, ranges.

Plain values in, plain values out; standard library only. Parsers never raise on
client input (they return ``None`` or what could be parsed) and run in time linear
in the length of their input: no regular expression here can backtrack
catastrophically, and nothing loops over its input more than a fixed number of times.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import time
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote as _quote
from urllib.parse import unquote as _unquote

__all__ = [
    "HTTP_STATUS_CODES",
    "Authorization",
    "ContentRange",
    "ETags",
    "IfRange",
    "Range",
    "content_disposition",
    "dump_cookie",
    "generate_etag",
    "http_date",
    "is_valid_header_name",
    "is_valid_header_value",
    "parse_accept_header",
    "parse_authorization",
    "parse_cookie",
    "parse_date",
    "parse_dict_header",
    "parse_etags",
    "parse_if_range_header",
    "parse_list_header",
    "parse_options_header",
    "parse_range_header",
    "quote_etag",
    "status_line",
    "unquote_etag",
]

# NOTE: RFC 9110 section 5.6.2, token = 1*tchar.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")

# Splits a header on a separator that is not inside a double-quoted string. An
# unterminated quote runs to the end. PERF/NOTE: the alternatives start with
# disjoint characters and nothing follows the repetition, so matching never
# backtracks: linear time on any input.
_SEMI_ITEMS = re.compile(r'(?:[^;"]|"(?:[^"\\]|\\.)*"?)+', re.S)
_COMMA_ITEMS = re.compile(r'(?:[^,"]|"(?:[^"\\]|\\.)*"?)+', re.S)

_QUOTED_PAIR = re.compile(r"\\(.)", re.S)


def _split_semicolons(value: str) -> list[str]:
    # PERF: plain str.split when there is no quoted string to respect.
    if '"' not in value:
        return value.split(";")
    return _SEMI_ITEMS.findall(value)


def _split_commas(value: str) -> list[str]:
    if '"' not in value:
        return value.split(",")
    return _COMMA_ITEMS.findall(value)


def _unquote_string(value: str) -> str:
    """Remove the quotes of a quoted-string and undo its quoted-pairs."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
        if "\\" in value:
            value = _QUOTED_PAIR.sub(r"\1", value)
    return value


def _quote_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


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
    ``Secure``. ``max_size`` is accepted for compatibility; larger cookies are
    allowed (browsers may ignore them).

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
    return "; ".join(parts)


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


def is_valid_header_value(value: str) -> bool:
    """Return whether ``value`` may be sent as a header value (no CR, LF or NUL)."""
    return "\r" not in value and "\n" not in value and "\x00" not in value


def is_valid_header_name(name: str) -> bool:
    """Return whether ``name`` is a valid header field name (an RFC 9110 token)."""
    return _TOKEN.fullmatch(name) is not None


# ----------------------------------------------------------------- authorization

_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")


class Authorization:
    """The parsed ``Authorization`` (or ``Proxy-Authorization``) header.

    ``type`` is the lowercased scheme (``"basic"``, ``"bearer"``, ``"digest"``).
    ``token`` holds a ``token68`` credential (a Bearer token), ``parameters`` the
    auth-params of schemes such as Digest, and for Basic the ``username`` and
    ``password``.
    """

    __slots__ = ("type", "parameters", "token")

    def __init__(
        self,
        auth_type: str,
        parameters: dict[str, str] | None = None,
        token: str | None = None,
    ) -> None:
        self.type = auth_type.lower()
        self.parameters: dict[str, str] = parameters if parameters is not None else {}
        self.token = token

    @property
    def username(self) -> str | None:
        """The user name, for Basic and Digest credentials."""
        return self.parameters.get("username")

    @property
    def password(self) -> str | None:
        """The password, for Basic credentials."""
        return self.parameters.get("password")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Authorization):
            return NotImplemented
        return (self.type, self.parameters, self.token) == (
            other.type,
            other.parameters,
            other.token,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Authorization {self.type!r}>"


def _parse_basic(credentials: str) -> Authorization | None:
    try:
        data = base64.b64decode(credentials, validate=True)
    except (binascii.Error, ValueError):
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    username, colon, password = text.partition(":")
    if not colon:
        return None
    return Authorization("basic", {"username": username, "password": password})


def parse_authorization(value: str | None) -> Authorization | None:
    """Parse an ``Authorization`` header, or return ``None`` if it is malformed.

    Understands ``Basic`` (base64 of ``user:password``, UTF-8 with a latin-1
    fallback), token schemes such as ``Bearer <token>``, and auth-param schemes such
    as ``Digest username="u", realm="r"``. Never raises.
    """
    if not value:
        return None
    scheme, _, rest = value.strip().partition(" ")
    if not _TOKEN.fullmatch(scheme):
        return None
    scheme = scheme.lower()
    rest = rest.strip()
    if scheme == "basic":
        return _parse_basic(rest)
    if not rest:
        return None if scheme == "bearer" else Authorization(scheme)
    if scheme == "bearer" or _TOKEN68.fullmatch(rest):
        return Authorization(scheme, token=rest)
    params = {k: v for k, v in parse_dict_header(rest).items() if v is not None}
    return Authorization(scheme, params)


# ------------------------------------------------------------------------- dates

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_MONTH_NUMBERS = {name.lower(): i for i, name in enumerate(_MONTHS, 1)}


def http_date(value: datetime | date | int | float | None = None) -> str:
    """Format a time as an HTTP date (IMF-fixdate), e.g.

    ``Sun, 06 Nov 1994 08:49:37 GMT``. ``None`` means now; a naive datetime is
    taken as UTC; a date means its midnight UTC; numbers are Unix timestamps.
    """
    if value is None:
        value = time.time()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        t = value.timetuple()
    elif isinstance(value, date):
        t = value.timetuple()
    else:
        t = time.gmtime(value)
    return (
        f"{_WEEKDAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]}"
        f" {t.tm_year:04d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
# NOTE: RFC 9110 section 5.6.7: IMF-fixdate, the obsolete RFC 850 form and asctime.
# Recipients are lenient about case, one-digit days and "UTC" for "GMT".
_IMF_FIXDATE = re.compile(
    rf"{_DAY}, ([0-9]{{1,2}}) {_MONTH} ([0-9]{{4}}) {_TIME} (?:GMT|UTC)",
    re.I,
)
_RFC850_DATE = re.compile(
    rf"{_LONG_DAY}, ([0-9]{{1,2}})-{_MONTH}-([0-9]{{2}}|[0-9]{{4}}) {_TIME}"
    r" (?:GMT|UTC)",
    re.I,
)
_ASCTIME_DATE = re.compile(
    rf"{_DAY} {_MONTH} +([0-9]{{1,2}}) {_TIME} ([0-9]{{4}})",
    re.I,
)


def _make_date(
    year: int, month: str, day: str, hour: str, minute: str, second: str
) -> datetime | None:
    try:
        return datetime(
            year,
            _MONTH_NUMBERS[month.lower()],
            int(day),
            int(hour),
            int(minute),
            # NOTE: a leap second (60) is read as the last second of the minute.
            min(int(second), 59),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def _full_year(two_digits: int, this_year: int) -> int:
    # NOTE: RFC 9110 section 5.6.7: a two-digit year more than 50 years in the
    # future means the most recent past year with the same last two digits; any
    # other means the nearest year not more than 50 years ahead.
    year = this_year - this_year % 100 + two_digits
    if year > this_year + 50:
        year -= 100
    elif year + 100 <= this_year + 50:
        year += 100
    return year


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date into an aware UTC datetime, or ``None`` if malformed.

    Accepts IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``), the obsolete RFC 850
    form (``Sunday, 06-Nov-94 08:49:37 GMT``) and asctime
    (``Sun Nov  6 08:49:37 1994``). Never raises.
    """
    if not value:
        return None
    value = value.strip()
    match = _IMF_FIXDATE.fullmatch(value)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        return _make_date(int(year), month, day, hour, minute, second)
    match = _RFC850_DATE.fullmatch(value)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        if len(year) == 2:
            full = _full_year(int(year), datetime.now(UTC).year)
        else:
            full = int(year)
        return _make_date(full, month, day, hour, minute, second)
    match = _ASCTIME_DATE.fullmatch(value)
    if match is not None:
        month, day, hour, minute, second, year = match.groups()
        return _make_date(int(year), month, day, hour, minute, second)
    return None


# ------------------------------------------------------------------------- ETags


def quote_etag(etag: str, weak: bool = False) -> str:
    """Quote an entity tag for a header: ``"abc"``, or ``W/"abc"`` when weak.

    Raises ``ValueError`` if ``etag`` contains a double quote.
    """
    if '"' in etag:
        raise ValueError(f"Invalid ETag {etag!r}: an entity tag cannot contain '\"'.")
    return f'W/"{etag}"' if weak else f'"{etag}"'


def unquote_etag(value: str | None) -> tuple[str | None, bool]:
    """Split a header entity tag into ``(etag, weak)``.

    ``W/"abc"`` gives ``("abc", True)``; ``None`` or an empty value gives
    ``(None, False)``. An unquoted value is returned as it is.
    """
    if not value:
        return None, False
    value = value.strip()
    weak = value[:2] in ("W/", "w/")
    if weak:
        value = value[2:]
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    return value, weak


def generate_etag(data: bytes) -> str:
    """Return an entity tag (unquoted) for ``data``: the SHA-1 hex digest."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


class ETags:
    """A set of entity tags from ``If-Match`` or ``If-None-Match``.

    Tags are stored unquoted. ``etag in etags`` and :meth:`contains` use strong
    comparison (for ``If-Match`` and ``If-Range``); ``If-None-Match`` needs
    :meth:`contains_weak`. ``*`` matches any tag (:attr:`is_any`).
    """

    __slots__ = ("_strong", "_weak", "star_tag")

    def __init__(
        self,
        strong_etags: Iterable[str] = (),
        weak_etags: Iterable[str] = (),
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(strong_etags)
        self._weak = frozenset(weak_etags)
        self.star_tag = star_tag

    @property
    def is_any(self) -> bool:
        """Whether the header was ``*`` (any current representation matches)."""
        return self.star_tag

    def is_weak(self, etag: str) -> bool:
        """Whether ``etag`` was sent as a weak tag."""
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        """Whether ``etag`` was sent as a strong tag."""
        return etag in self._strong

    def contains(self, etag: str) -> bool:
        """Strong comparison: ``etag`` matches a strong tag (or ``*`` was sent)."""
        return self.star_tag or etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Weak comparison: ``etag`` matches a strong or a weak tag (or ``*``)."""
        return self.star_tag or etag in self._strong or etag in self._weak

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The tags as a set; weak tags only when ``include_weak`` is true."""
        result = set(self._strong)
        if include_weak:
            result.update(self._weak)
        return result

    def to_header(self) -> str:
        """Serialise back to a header value."""
        if self.star_tag:
            return "*"
        return ", ".join(
            [f'"{tag}"' for tag in sorted(self._strong)]
            + [f'W/"{tag}"' for tag in sorted(self._weak)]
        )

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __repr__(self) -> str:
        return f"<ETags {self.to_header()!r}>"


_ETAG_SKIP = re.compile(r"[\s,]*")
_ETAG_ITEM = re.compile(r'([Ww]/)?"([^"]*)"|[^\s,]+')


def parse_etags(value: str | None) -> ETags:
    """Parse an ``If-Match`` / ``If-None-Match`` header into :class:`ETags`.

    Unquoted tags are accepted leniently as strong tags. Never raises.
    """
    if not value:
        return ETags()
    strong: list[str] = []
    weak: list[str] = []
    pos, end = 0, len(value)
    while True:
        pos = _ETAG_SKIP.match(value, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            break
        # NOTE: never None here: any non-separator character starts an item.
        match = _ETAG_ITEM.match(value, pos)
        assert match is not None
        pos = match.end()
        quoted = match.group(2)
        if quoted is None:
            if match.group() == "*":
                return ETags(star_tag=True)
            strong.append(match.group())
        elif match.group(1):
            weak.append(quoted)
        else:
            strong.append(quoted)
    return ETags(strong, weak)


# ------------------------------------------------------------------------ ranges


class Range:
    """A parsed ``Range`` header.

    ``ranges`` holds ``(start, stop)`` pairs with an *exclusive* stop:
    ``bytes=0-99`` is ``(0, 100)``, ``bytes=500-`` is ``(500, None)`` and the suffix
    ``bytes=-500`` is ``(-500, None)``.
    """

    __slots__ = ("units", "ranges")

    def __init__(self, units: str, ranges: list[tuple[int, int | None]]) -> None:
        self.units = units
        self.ranges = ranges

    def range_for_length(self, length: int) -> tuple[int, int] | None:
        """The half-open ``(start, stop)`` this single range selects in a body of
        ``length`` bytes, or ``None`` if it is unsatisfiable, not ``bytes`` or
        holds several ranges."""
        if self.units != "bytes" or len(self.ranges) != 1 or length <= 0:
            return None
        start, stop = self.ranges[0]
        if start < 0:
            return max(0, length + start), length
        if start >= length:
            return None
        if stop is None or stop > length:
            return start, length
        return start, stop

    def make_content_range(self, length: int) -> ContentRange | None:
        """The :class:`ContentRange` answering this range for ``length`` bytes."""
        selected = self.range_for_length(length)
        if selected is None:
            return None
        return ContentRange(self.units, selected[0], selected[1], length)

    def to_content_range_header(self, length: int) -> str | None:
        """The ``Content-Range`` value answering this range, e.g.
        ``bytes 0-99/1000``, or ``None`` if unsatisfiable."""
        content_range = self.make_content_range(length)
        return None if content_range is None else content_range.to_header()

    def to_header(self) -> str:
        """Serialise back to a ``Range`` header value."""
        specs = []
        for start, stop in self.ranges:
            if start < 0:
                specs.append(str(start))
            elif stop is None:
                specs.append(f"{start}-")
            else:
                specs.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(specs)}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Range):
            return NotImplemented
        return (self.units, self.ranges) == (other.units, other.ranges)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Range {self.to_header()!r}>"


class ContentRange:
    """A ``Content-Range`` value; ``stop`` is exclusive, ``length`` may be unknown.

    ``ContentRange("bytes", 0, 100, 1000)`` is ``bytes 0-99/1000``;
    ``ContentRange("bytes", None, None, 1000)`` is the unsatisfiable
    ``bytes */1000``.
    """

    __slots__ = ("units", "start", "stop", "length")

    def __init__(
        self,
        units: str,
        start: int | None,
        stop: int | None,
        length: int | None = None,
    ) -> None:
        self.units = units
        self.start = start
        self.stop = stop
        self.length = length

    def to_header(self) -> str:
        """Serialise to a header value."""
        length = "*" if self.length is None else str(self.length)
        if self.start is None or self.stop is None:
            return f"{self.units} */{length}"
        return f"{self.units} {self.start}-{self.stop - 1}/{length}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContentRange):
            return NotImplemented
        return (self.units, self.start, self.stop, self.length) == (
            other.units,
            other.start,
            other.stop,
            other.length,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<ContentRange {self.to_header()!r}>"


# NOTE: no whitespace inside a range spec (RFC 9110 section 14.1.1); only around the
# list items, which are stripped first.
_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
# PERF/NOTE: longer numbers are beyond any body (and int() would refuse very long
# digit strings).
_MAX_DIGITS = 18


def parse_range_header(value: str | None, max_ranges: int = 100) -> Range | None:
    """Parse a ``Range`` header (RFC 9110 section 14.2).

    Returns ``None`` if the header is missing or malformed, its unit is not
    ``bytes``, a range ends before it starts, or it holds more than ``max_ranges``
    ranges; a server then ignores it and sends the whole body. A suffix of zero
    (``bytes=-0``) can select nothing and is dropped. A last position too large to
    matter means "to the end".
    """
    if not value:
        return None
    units, eq, specs = value.partition("=")
    units = units.strip().lower()
    if units != "bytes" or not eq or specs.count(",") >= max_ranges:
        return None
    ranges: list[tuple[int, int | None]] = []
    for spec in specs.split(","):
        spec = spec.strip(" \t")
        if not spec:
            continue
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            return None
        first, last = match.groups()
        if len(first) > _MAX_DIGITS:
            return None
        if not first:
            if not last:
                return None
            if len(last) > _MAX_DIGITS:
                # A suffix longer than any body selects all of it.
                ranges.append((0, None))
                continue
            suffix = int(last)
            if suffix:
                ranges.append((-suffix, None))
        elif not last or len(last) > _MAX_DIGITS:
            ranges.append((int(first), None))
        else:
            start, end = int(first), int(last)
            if end < start:
                return None
            ranges.append((start, end + 1))
    return Range("bytes", ranges) if ranges else None


class IfRange:
    """A parsed ``If-Range`` header: an entity tag or a date (or neither).

    Use :meth:`matches` to decide whether to honour the ``Range`` header.
    """

    __slots__ = ("etag", "date")

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    def matches(self, etag: str | None, last_modified: datetime | None) -> bool:
        """Whether the current representation (its strong ``etag``, unquoted, and
        ``last_modified`` time) still matches, so the range may be served.

        False for a malformed or weak validator: the whole body is sent then.
        """
        if self.etag is not None:
            return etag is not None and etag == self.etag
        if self.date is not None and last_modified is not None:
            if last_modified.tzinfo is None:
                last_modified = last_modified.replace(tzinfo=UTC)
            return last_modified.replace(microsecond=0) == self.date
        return False

    def to_header(self) -> str:
        """Serialise back to a header value (empty if there is no validator)."""
        if self.etag is not None:
            return quote_etag(self.etag)
        if self.date is not None:
            return http_date(self.date)
        return ""

    def __repr__(self) -> str:
        return f"<IfRange {self.to_header()!r}>"


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse an ``If-Range`` header into an :class:`IfRange`.

    A weak entity tag cannot be used with ``If-Range`` (RFC 9110 section 13.1.5),
    so it gives an empty :class:`IfRange`, as does a malformed value. Never raises.
    """
    if not value:
        return IfRange()
    value = value.strip()
    if value[:1] == '"' or value[:2] in ("W/", "w/"):
        etag, weak = unquote_etag(value)
        return IfRange() if weak else IfRange(etag=etag)
    return IfRange(date=parse_date(value))


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


# ----------------------------------------------------------------- status codes

HTTP_STATUS_CODES: dict[int, str] = {
    100: "Continue",
    101: "Switching Protocols",
    102: "Processing",
    103: "Early Hints",
    200: "OK",
    201: "Created",
    202: "Accepted",
    203: "Non-Authoritative Information",
    204: "No Content",
    205: "Reset Content",
    206: "Partial Content",
    207: "Multi-Status",
    208: "Already Reported",
    226: "IM Used",
    300: "Multiple Choices",
    301: "Moved Permanently",
    302: "Found",
    303: "See Other",
    304: "Not Modified",
    305: "Use Proxy",
    307: "Temporary Redirect",
    308: "Permanent Redirect",
    400: "Bad Request",
    401: "Unauthorized",
    402: "Payment Required",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    406: "Not Acceptable",
    407: "Proxy Authentication Required",
    408: "Request Timeout",
    409: "Conflict",
    410: "Gone",
    411: "Length Required",
    412: "Precondition Failed",
    413: "Content Too Large",
    414: "URI Too Long",
    415: "Unsupported Media Type",
    416: "Range Not Satisfiable",
    417: "Expectation Failed",
    418: "I'm a Teapot",
    421: "Misdirected Request",
    422: "Unprocessable Content",
    423: "Locked",
    424: "Failed Dependency",
    425: "Too Early",
    426: "Upgrade Required",
    428: "Precondition Required",
    429: "Too Many Requests",
    431: "Request Header Fields Too Large",
    451: "Unavailable For Legal Reasons",
    500: "Internal Server Error",
    501: "Not Implemented",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
    505: "HTTP Version Not Supported",
    506: "Variant Also Negotiates",
    507: "Insufficient Storage",
    508: "Loop Detected",
    510: "Not Extended",
    511: "Network Authentication Required",
}

# PERF: status lines are built once, not per response.
_STATUS_LINES = {code: f"{code} {reason}" for code, reason in HTTP_STATUS_CODES.items()}


def status_line(code: int) -> str:
    """The status line for ``code``: ``"404 Not Found"``, or ``"599 Unknown"``."""
    line = _STATUS_LINES.get(code)
    return line if line is not None else f"{code} Unknown"
