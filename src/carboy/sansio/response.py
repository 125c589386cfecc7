"""The response object: status, headers and a body of bytes or an iterable of chunks.

The protocol adapters read ``status``, ``headers`` and iterate the body; nothing here
knows how the bytes are sent.
"""

from __future__ import annotations

import json as _json
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime, timedelta
from typing import Any

from ..exceptions import RequestedRangeNotSatisfiable
from . import http
from .datastructures import Headers, _check_value, _str_pairs
from .header_properties import ResponseHeaderProperties
from .http import (
    HTTP_STATUS_CODES,
    dump_cookie,
    generate_etag,
    is_json_mimetype,
    parse_options_header,
    quote_etag,
)

_STATUS_LINES: dict[int, str] = {
    code: f"{code} {phrase}" for code, phrase in HTTP_STATUS_CODES.items()
}


def status_line(code: int) -> str:
    """``"404 Not Found"`` for 404; an unknown code gets ``"UNKNOWN"`` as its phrase."""
    line = _STATUS_LINES.get(code)
    if line is None:
        line = f"{code} UNKNOWN"
    return line


def _text_content_type(mimetype: str, charset: str) -> str:
    if mimetype.startswith("text/") or mimetype in _CHARSET_TYPES:
        return f"{mimetype}; charset={charset}"
    return mimetype


_content_types: dict[tuple[str, str], str] = {}
# PERF: tuples, not ``A | B`` unions, which are built anew at each isinstance call.
_BODY_TYPES = (str, bytes, bytearray)
_SEQUENCES = (list, tuple)


def _content_type_for(mimetype: str, charset: str) -> str:
    """The ``Content-Type`` for a mimetype, validated once and cached."""
    key = (mimetype, charset)
    value = _content_types.get(key)
    if value is None:
        value = _check_value(_text_content_type(mimetype, charset))
        if len(_content_types) < 256:
            _content_types[key] = value
            if charset == "utf-8":
                _utf8_types[mimetype] = value
    return value


#: The same cache keyed by mimetype alone, for the default charset.
_utf8_types: dict[str, str] = {}


_CHARSET_TYPES = frozenset(
    {"application/xml", "application/javascript", "application/ecmascript"}
)


class Response(ResponseHeaderProperties):
    """An HTTP response.

    ``Response("hi", 201, {"X-Id": "7"}, mimetype="text/plain")``; the body may also be
    bytes, or an iterable (a generator, say) of ``str``/``bytes`` that is streamed.
    """

    __slots__ = (
        "_headers",
        "_pairs",
        "response",
        "_status_code",
        "_status",
        "__weakref__",
        "__dict__",
    )

    charset = "utf-8"
    default_status = 200
    default_mimetype: str | None = "text/html"
    #: Whether ``Location`` headers are made absolute (carboy keeps them as given).
    autocorrect_location_header = False
    # PERF: class-level defaults; an instance stores them only when they change.
    _on_close: list[Callable[[], Any]] | None = None
    direct_passthrough = False

    def __init__(
        self,
        response: Iterable[bytes]
        | Iterable[str]
        | bytes
        | bytearray
        | str
        | None = None,
        status: int | str | None = None,
        headers: Any = None,
        mimetype: str | None = None,
        content_type: str | None = None,
        direct_passthrough: bool = False,
    ) -> None:
        # PERF: without caller headers, the header pairs are a plain list and the
        # ``Headers`` object over them is made only if someone asks for ``headers``.
        if headers is None:
            self._headers: Headers | None = None
            pairs: list[tuple[str, str]] = []
            self._pairs = pairs
            if content_type is None:
                content_type = self._content_type_for(mimetype)
            else:
                _check_value(content_type)
            if content_type is not None:
                pairs.append(("Content-Type", content_type))
            has_length = False
        else:
            has_length = self._take_headers(headers, mimetype, content_type)
        self._status_code = 200
        self._status = "200 OK"
        if status is not None and status != 200:
            self.status = status
        elif self.default_status != 200:
            self.status = self.default_status
        if direct_passthrough:
            self.direct_passthrough = True
        if response is None:
            self.response: Iterable[bytes] = []
        elif isinstance(response, _BODY_TYPES):
            data = (
                response.encode(self.charset)
                if isinstance(response, str)
                else bytes(response)
            )
            self.response = [data]
            if has_length:
                self.headers.set("Content-Length", str(len(data)))
            else:
                self._pairs.append(("Content-Length", str(len(data))))
        else:
            self.response = response  # type: ignore[assignment]

    def _content_type_for(self, mimetype: str | None) -> str | None:
        mimetype = mimetype or self.default_mimetype
        if mimetype is None:
            return None
        if self.charset == "utf-8":
            cached = _utf8_types.get(mimetype)
            if cached is not None:
                return cached
        return _content_type_for(mimetype, self.charset)

    def _take_headers(
        self, headers: Any, mimetype: str | None, content_type: str | None
    ) -> bool:
        """Adopt the caller's headers (validated), add ``Content-Type`` as Flask does;
        whether they carry a ``Content-Length``."""
        pairs = _str_pairs(headers) if type(headers) is dict else None
        if pairs is None:
            given = headers if isinstance(headers, Headers) else Headers(headers)
            self._headers = given
            pairs = given._list
        else:
            self._headers = None  # PERF: a view's dict: Headers made on first use
        self._pairs = pairs
        has_type = has_length = False
        for name, _ in pairs:
            lower = name.lower()
            if lower == "content-type":
                has_type = True
            elif lower == "content-length":
                has_length = True
        if content_type is None:
            if mimetype is not None or not has_type:
                content_type = self._content_type_for(mimetype)
        else:
            _check_value(content_type)
        if content_type is not None:
            if has_type:
                self.headers.set("Content-Type", content_type)
            else:
                pairs.append(("Content-Type", content_type))
        return has_length

    @property
    def headers(self) -> Headers:
        """The response headers (case-insensitive, multi-valued, validated on set)."""
        headers = self._headers
        if headers is None:
            headers = self._headers = Headers._trusted(self._pairs)
        return headers

    @headers.setter
    def headers(self, value: Any) -> None:
        self._headers = value if isinstance(value, Headers) else Headers(value)

    def header_list(self) -> list[tuple[str, str]]:
        """The ``(name, value)`` pairs to send, as the adapters hand them to servers."""
        headers = self._headers
        return self._pairs if headers is None else headers._list

    # -- status --------------------------------------------------------------------------

    @property
    def status_code(self) -> int:
        """The status as an int, such as ``404``."""
        return self._status_code

    @status_code.setter
    def status_code(self, code: int) -> None:
        self._status_code = code
        self._status = status_line(code)

    @property
    def status(self) -> str:
        """The status line, such as ``"404 Not Found"``."""
        return self._status

    @status.setter
    def status(self, value: int | str) -> None:
        if isinstance(value, int):
            self.status_code = value
            return
        value = value.strip()
        if not value:
            raise ValueError("Empty status argument")
        code, _, phrase = value.partition(" ")
        if not code.isdigit():
            raise ValueError(f"The status {value!r} does not start with a status code.")
        self._status_code = int(code)
        self._status = value if phrase else status_line(int(code))

    # -- body --------------------------------------------------------------------------

    @property
    def is_streamed(self) -> bool:
        """Whether the body is an iterable of unknown length (a generator, say)."""
        return not isinstance(self.response, _SEQUENCES)

    @property
    def is_sequence(self) -> bool:
        return isinstance(self.response, _SEQUENCES)

    def get_data(self, as_text: bool = False) -> Any:
        """The whole body (consuming and buffering a streamed one)."""
        self._ensure_sequence()
        data = b"".join(self.iter_encoded())
        return data.decode(self.charset) if as_text else data

    def set_data(self, value: bytes | bytearray | str) -> None:
        """Replace the body and set ``Content-Length``."""
        if isinstance(value, str):
            value = value.encode(self.charset)
        else:
            value = bytes(value)
        self.response = [value]
        self.headers.set("Content-Length", str(len(value)))

    data = property(get_data, set_data, doc="The body as bytes.")

    @property
    def text(self) -> str:
        return self.get_data(as_text=True)  # type: ignore[no-any-return]

    def _ensure_sequence(self) -> None:
        if not self.is_sequence:
            self.response = list(self.iter_encoded())
            self.headers.set("Content-Length", str(sum(map(len, self.response))))

    def iter_encoded(self) -> Iterator[bytes]:
        """The body chunks as bytes (``str`` chunks are encoded)."""
        charset = self.charset
        for item in self.response:
            if isinstance(item, str):
                yield item.encode(charset)
            else:
                yield item

    def freeze(self) -> None:
        """Buffer a streamed body so it can be read again and has a length."""
        self._ensure_sequence()
        self.headers.set("Content-Length", str(sum(map(len, self.response))))

    def call_on_close(self, func: Callable[[], Any]) -> Callable[[], Any]:
        """Register ``func`` to run when the server closes the response."""
        if self._on_close is None:
            self._on_close = []
        self._on_close.append(func)
        return func

    def close(self) -> None:
        """Close the body iterable (if it can be) and run ``call_on_close`` callbacks."""
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        for func in self._on_close or ():
            func()

    # -- headers -----------------------------------------------------------------------

    @property
    def mimetype(self) -> str | None:
        """The content type without parameters."""
        ct = self.headers.get("content-type")
        return parse_options_header(ct)[0] if ct else None

    @mimetype.setter
    def mimetype(self, value: str) -> None:
        self.headers.set("Content-Type", _text_content_type(value, self.charset))

    @property
    def mimetype_params(self) -> dict[str, str]:
        return parse_options_header(self.headers.get("content-type"))[1]

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")  # type: ignore[no-any-return]

    @content_type.setter
    def content_type(self, value: str) -> None:
        self.headers.set("Content-Type", value)

    @property
    def content_length(self) -> int | None:
        value = self.headers.get("content-length")
        return int(value) if value is not None and value.isdigit() else None

    @content_length.setter
    def content_length(self, value: int | None) -> None:
        if value is None:
            self.headers.remove("Content-Length")
        else:
            self.headers.set("Content-Length", str(value))

    @property
    def is_json(self) -> bool:
        return is_json_mimetype(self.mimetype)

    @property
    def json(self) -> Any:
        """The body parsed as JSON (``None`` when it is not JSON)."""
        return self.get_json()

    def get_json(self, force: bool = False, silent: bool = False) -> Any:
        if not (force or self.is_json):
            return None
        try:
            return _json.loads(self.get_data())
        except ValueError:
            if silent:
                return None
            raise

    def add_vary(self, header: str) -> None:
        """Add ``header`` to ``Vary`` unless it is there already."""
        current = self.headers.get("vary")
        if current is None:
            self.headers.add("Vary", header)
            return
        names = {part.strip().lower() for part in current.split(",")}
        if header.lower() not in names and "*" not in names:
            self.headers.set("Vary", f"{current}, {header}")

    # -- cookies -----------------------------------------------------------------------

    def set_cookie(
        self,
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
    ) -> None:
        """Add a ``Set-Cookie`` header; invalid names or values raise ``ValueError``.

        A header longer than :attr:`max_cookie_size` gives a ``UserWarning`` naming
        its size (the cookie is still set), as in Flask.
        """
        self.headers.add(
            "Set-Cookie",
            dump_cookie(
                key,
                value,
                max_age=max_age,
                expires=expires,
                path=path,
                domain=domain,
                secure=secure,
                httponly=httponly,
                samesite=samesite,
                partitioned=partitioned,
                max_size=self.max_cookie_size,
            ),
        )

    def delete_cookie(
        self,
        key: str,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: str | None = None,
        partitioned: bool = False,
    ) -> None:
        """Expire cookie ``key`` (the path and domain must match the ones it was set with)."""
        self.set_cookie(
            key,
            expires=0,
            max_age=0,
            path=path,
            domain=domain,
            secure=secure,
            httponly=httponly,
            samesite=samesite,
            partitioned=partitioned,
        )

    # -- conditional -------------------------------------------------------------------

    def add_etag(self, overwrite: bool = False, weak: bool = False) -> None:
        """Set an ``ETag`` from a hash of the body unless one is set."""
        if overwrite or "etag" not in self.headers:
            self.set_etag(generate_etag(self.get_data()), weak)

    def set_etag(self, etag: str, weak: bool = False) -> None:
        self.headers.set("ETag", quote_etag(etag, weak))

    def get_etag(self) -> tuple[str, bool] | tuple[None, None]:
        """``(etag, is_weak)`` from the ``ETag`` header, or ``(None, None)``."""
        etag, weak = http.unquote_etag(self.headers.get("etag"))
        if etag is None:
            return None, None
        return etag, weak

    def make_conditional(
        self,
        request_or_environ: Any,
        accept_ranges: bool | str = False,
        complete_length: int | None = None,
    ) -> Response:
        """Answer a conditional or range ``GET``/``HEAD`` request with this response.

        Evaluates, in RFC 9110 section 13.2.2's order, ``If-Match`` and
        ``If-Unmodified-Since`` (412), ``If-None-Match`` and ``If-Modified-Since``
        (304, with the body dropped) against this response's ``ETag`` and
        ``Last-Modified``. Then, with ``accept_ranges`` and a known
        ``complete_length``, a single ``Range`` (honouring ``If-Range``) gives a
        206 with ``Content-Range``, or raises ``RequestedRangeNotSatisfiable``
        (416, ``Content-Range: bytes */length``). A malformed ``Range`` or one with
        several ranges is ignored: the whole body is sent with 200, which RFC 9110
        section 14.2 allows. ``request_or_environ`` is a request or a WSGI environ.
        """
        method, header = _request_reader(request_or_environ)
        if method not in ("GET", "HEAD"):
            return self
        if "date" not in self.headers:
            self.headers.set("Date", http.http_date())
        if accept_ranges:
            unit = "bytes" if accept_ranges is True else accept_ranges
            self.headers.set("Accept-Ranges", unit)
        status = _preconditions(
            header, self.headers.get("etag"), self.headers.get("last-modified")
        )
        if status is not None:
            self._drop_body(status)
        elif accept_ranges and complete_length:
            self._apply_range(header, complete_length)
        return self

    def _drop_body(self, status: int) -> None:
        close = getattr(self.response, "close", None)
        if close is not None:
            close()
        self.response = []
        self.status_code = status
        for name in _ENTITY_HEADERS:
            self.headers.remove(name)
        if status != 304:
            self.headers.set("Content-Length", "0")

    def _apply_range(self, header: Callable[[str], str | None], length: int) -> None:
        parsed = http.parse_range_header(header("range"))
        # NOTE: RFC 9110 section 14.2: a server may ignore a Range; carboy ignores
        # malformed ones and multiple ranges, and sends the whole body.
        if parsed is None or len(parsed.ranges) != 1:
            return
        if_range = header("if-range")
        if if_range is not None:
            etag, weak = http.unquote_etag(self.headers.get("etag"))
            last_modified = http.parse_date(self.headers.get("last-modified"))
            validator = http.parse_if_range_header(if_range)
            if not validator.matches(None if weak else etag, last_modified):
                return
        selected = parsed.range_for_length(length)
        if selected is None:
            close = getattr(self.response, "close", None)
            if close is not None:
                close()
            raise RequestedRangeNotSatisfiable(length)
        start, stop = selected
        self.status_code = 206
        self.headers.set("Content-Range", f"bytes {start}-{stop - 1}/{length}")
        self.headers.set("Content-Length", str(stop - start))
        body = self.response
        if isinstance(body, FileBody):
            body.file.seek(start)
            body.remaining = stop - start
        elif isinstance(body, list | tuple):
            self.response = [b"".join(self.iter_encoded())[start:stop]]
        else:
            charset = self.charset
            chunks = (c.encode(charset) if isinstance(c, str) else c for c in body)
            self.response = _RangeIterator(chunks, body, start, stop)

    def __repr__(self) -> str:
        body = (
            f"{sum(map(len, self.response))} bytes" if self.is_sequence else "streamed"
        )
        return f"<{type(self).__name__} {body} [{self.status}]>"


class FileBody:
    """A body that reads a binary file in blocks, optionally only ``remaining`` bytes.

    The adapters recognise it: WSGI hands a whole file to ``wsgi.file_wrapper``; ASGI
    reads blocks in a worker thread (or uses the server's path-send extension).
    """

    __slots__ = ("file", "block_size", "remaining", "path")

    def __init__(
        self,
        file: Any,
        block_size: int = 65536,
        remaining: int | None = None,
        path: str | None = None,
    ) -> None:
        self.file = file
        self.block_size = block_size
        self.remaining = remaining
        self.path = path

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        size = self.block_size
        if self.remaining is not None:
            if self.remaining <= 0:
                raise StopIteration
            size = min(size, self.remaining)
        data: bytes = self.file.read(size)
        if not data:
            raise StopIteration
        if self.remaining is not None:
            self.remaining -= len(data)
        return data

    def close(self) -> None:
        self.file.close()


# -- conditional requests -----------------------------------------------------------

#: Headers about the body that a 304 or 412 answer does not carry.
_ENTITY_HEADERS = (
    "Content-Length",
    "Content-Type",
    "Content-Range",
    "Content-Encoding",
    "Content-Language",
    "Content-Disposition",
)


def _request_reader(obj: Any) -> tuple[str, Callable[[str], str | None]]:
    """The method and a header getter, from a request or from a WSGI environ."""
    if isinstance(obj, dict):

        def environ_header(name: str) -> str | None:
            return obj.get("HTTP_" + name.upper().replace("-", "_"))

        return str(obj.get("REQUEST_METHOD", "GET")).upper(), environ_header
    headers = getattr(obj, "headers", None)
    if headers is None:
        raise TypeError(
            "make_conditional() needs the request (or a WSGI environ), such as"
            " response.make_conditional(request)."
        )
    return obj.method, headers.get


def _preconditions(
    header: Callable[[str], str | None],
    etag_value: str | None,
    last_modified_value: str | None,
) -> int | None:
    """412, 304 or ``None`` (go on) for a GET/HEAD, per RFC 9110 section 13.2.2."""
    etag, weak = http.unquote_etag(etag_value)
    last_modified = http.parse_date(last_modified_value)
    if_match = header("if-match")
    if if_match is not None:
        tags = http.parse_etags(if_match)
        if not (tags.is_any or (etag is not None and not weak and tags.contains(etag))):
            return 412
    elif last_modified is not None:
        since = http.parse_date(header("if-unmodified-since"))
        if since is not None and last_modified > since:
            return 412
    if_none_match = header("if-none-match")
    if if_none_match is not None:
        tags = http.parse_etags(if_none_match)
        if tags.is_any or (etag is not None and tags.contains_weak(etag)):
            return 304
    elif last_modified is not None:
        since = http.parse_date(header("if-modified-since"))
        if since is not None and last_modified <= since:
            return 304
    return None


class _RangeIterator:
    """The bytes ``start:stop`` of a streamed body; ``close()`` closes the body."""

    __slots__ = ("_chunks", "_body", "_pos", "_start", "_stop")

    def __init__(
        self, chunks: Iterator[bytes], body: Any, start: int, stop: int
    ) -> None:
        self._chunks = chunks
        self._body = body
        self._pos = 0
        self._start = start
        self._stop = stop

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        while self._pos < self._stop:
            chunk = next(self._chunks)
            begin = self._pos
            self._pos += len(chunk)
            if self._pos <= self._start:
                continue
            return chunk[max(0, self._start - begin) : self._stop - begin]
        raise StopIteration

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()
