"""The request object, built from plain values by a protocol adapter.

Everything is parsed lazily: a view that never reads ``request.args`` never parses the
query string, and one that never reads the body never touches the stream. The adapters
hand over what they have cheaply (method, path, query bytes) and callables for the rest.
"""

from __future__ import annotations

import io
import json as _json
import operator
import re
from collections.abc import Callable, MutableMapping
from itertools import accumulate, count, repeat
from typing import IO, Any, Protocol

from ..exceptions import (
    BadRequest,
    ClientDisconnected,
    HTTPException,
    RequestEntityTooLarge,
    UnsupportedMediaType,
)
from .datastructures import CombinedMultiDict, EnvironHeaders, ImmutableMultiDict
from .header_properties import RequestHeaderProperties
from .http import (
    Accept,
    Authorization,
    UserAgent,
    is_json_mimetype,
    parse_accept_header,
    parse_authorization,
    parse_cookie,
    parse_options_header,
)
from .urls import parse_qsl, url_quote

#: A host is a registered name, IPv4 or bracketed IPv6 literal, with an optional port.
_HOST_RE = re.compile(r"(?:[A-Za-z0-9_\-.]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?")

_UNSET: Any = object()

#: Both adapters refuse a request with two ``Host`` headers (400): they may disagree.
REPEATED_HOST = "The request has more than one Host header."


class SourceReader(Protocol):
    """How a protocol adapter answers the request's lazy questions about its source
    (a WSGI environ or an ASGI scope). The request never looks into the source itself.
    """

    #: Whether ``header()`` is a cheap lookup (else the request builds all headers).
    indexed: bool

    def headers(self, source: Any) -> list[tuple[str, str]]: ...
    def environ(self, source: Any) -> dict[str, Any] | None:
        """The WSGI environ (``None`` for another protocol), for ``request.environ``."""
        ...

    def scope(self, source: Any) -> MutableMapping[str, Any] | None:
        """The ASGI scope (``None`` for another protocol), for ``request.scope``."""
        ...

    def header(self, source: Any, name: str) -> str | None:
        """One header by lower-case name (repeated ones joined), or ``None``."""
        ...

    def scheme(self, source: Any) -> str: ...
    def server(self, source: Any) -> tuple[str, int | None] | None: ...
    def root_path(self, source: Any) -> str: ...
    def remote_addr(self, source: Any) -> str | None: ...
    def input(self, source: Any) -> tuple[Any, bool]:
        """The body stream (or ``None``) and whether it ends by itself (chunked)."""
        ...


def host_without_port(host: str) -> str:
    """``"example.com"`` for ``"example.com:8080"``; ``"[::1]"`` for ``"[::1]:80"``."""
    if host.startswith("["):
        return host.partition("]")[0] + "]"
    return host.partition(":")[0]


def get_host(
    scheme: str, host_header: str | None, server: tuple[str, int | None] | None
) -> str:
    """The request's host (with a port only when it is not the scheme's default).

    A malformed ``Host`` header gives ``""``: it must never be able to alter a URL that
    is built from it (no ``/``, ``@``, ``?``, ``#``, whitespace or control characters).
    """
    if host_header:
        host = host_header.strip().lower()
        if _HOST_RE.fullmatch(host) is None:
            return ""
    elif server is not None:
        name, port = server
        host = name if port is None else f"{name}:{port}"
    else:
        return ""
    if scheme in {"http", "ws"} and host.endswith(":80"):
        host = host[:-3]
    elif scheme in {"https", "wss"} and host.endswith(":443"):
        host = host[:-4]
    return host


#: Bytes asked of the server's stream per read when reading a body to its end.
READ_CHUNK = 64 * 1024


# Depth of a JSON text, from its bytes: brackets of both kinds unified to "[" and "]",
# everything else (and every string) dropped.
_UNIFY_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
_NOT_BRACKETS_OR_QUOTES = bytes(sorted(set(range(256)) - set(b'[]{}"')))
_OPENING_AS_ONE = bytes.maketrans(b"[]", b"\x01\x00")


def json_depth_exceeds(data: bytes, limit: int) -> bool:
    """Whether the (valid) JSON text ``data`` nests arrays and objects deeper than
    ``limit``.

    PERF: no Python-level walk of the parsed value. A text with at most ``limit``
    brackets cannot be deeper (two C-speed counts). Otherwise strings are cut out
    (escaped backslashes and quotes first, then every other quote-delimited run), and
    innermost bracket pairs are removed a level at a time with ``bytes.replace``;
    a text still not empty after a few levels gets an exact count of the rest in one
    pass of C-level iterators. Linear in the text for any input.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    if b'"' in data:
        if b"\\" in data:
            # NOTE: JSON escapes pair a backslash with the next character, left to
            # right, as replace() scans; outside strings there are no backslashes.
            data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
        data = data.translate(_UNIFY_BRACKETS, _NOT_BRACKETS_OR_QUOTES)
        data = b"".join(data.split(b'"')[::2])
    else:
        data = data.translate(_UNIFY_BRACKETS, _NOT_BRACKETS)
    levels = min(8, limit)
    for _ in range(levels):
        if not data:
            return False
        data = data.replace(b"[]", b"")
    if not data:
        return False
    # Depth after the i-th remaining bracket is 2 * (openings so far) - i.
    marks = data.translate(_OPENING_AS_ONE)
    rest: int = max(
        map(operator.sub, map(operator.mul, accumulate(marks), repeat(2)), count(1))
    )
    return rest + levels > limit


def _check_json_depth(data: bytes | str, limit: int | None) -> None:
    """Raise ``ValueError`` if the JSON text nests deeper than ``limit``."""
    if limit is None:
        return
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogatepass")
    if json_depth_exceeds(data, limit):
        raise ValueError(
            f"The JSON body is nested deeper than {limit} levels"
            " (Request.max_json_depth)."
        )


#: ``forms.parse_form`` once the first form was parsed.
_parse_form: Callable[[Request], tuple[Any, Any]] | None = None


class LimitedStream:
    """A body reader that stops at ``limit`` bytes and enforces a maximum size.

    With a ``limit`` (the ``Content-Length``) a read returns what was asked for, reading
    the server's stream as often as needed; a body that ends early raises
    ``ClientDisconnected`` (400): a truncated body is never taken for a whole one.
    With ``limit=None`` (a chunked body, no ``Content-Length``) it reads to the end of
    the stream, never asking the server for more than one byte past ``max_size``, and
    raises ``RequestEntityTooLarge`` once more than ``max_size`` arrives.
    """

    __slots__ = ("_stream", "_remaining", "_max_size", "_read")

    def __init__(
        self, stream: IO[bytes], limit: int | None, max_size: int | None
    ) -> None:
        self._stream = stream
        self._remaining = limit
        self._max_size = max_size
        self._read = 0

    def _raw_read(self, size: int) -> bytes:
        try:
            data: bytes = self._stream.read(size)
        except (OSError, ValueError) as exc:
            raise BadRequest("The request body could not be read.") from exc
        return data

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when ``size`` is negative)."""
        remaining = self._remaining
        if remaining is None:
            return self._read_unsized(size)
        if remaining <= 0 or size == 0:
            return b""
        if size < 0 or size > remaining:
            size = remaining
        data = self._raw_read(size)
        if len(data) < size:
            # NOTE: a server may return less than asked; only an empty read is the end.
            chunks = [data]
            got = len(data)
            while got < size:
                more = self._raw_read(size - got)
                if not more:
                    self._remaining = 0
                    raise ClientDisconnected()
                chunks.append(more)
                got += len(more)
            data = b"".join(chunks)
        self._remaining = remaining - size
        self._read += size
        if self._max_size is not None and self._read > self._max_size:
            raise RequestEntityTooLarge()
        return data

    def read_whole(self, max_size: int | None) -> bytes | None:
        """The rest of a body of known length in one read when it is at most
        ``max_size`` bytes; ``None`` for a body of unknown length or a larger one
        (to be read in bounded pieces)."""
        remaining = self._remaining
        if remaining is None or (max_size is not None and remaining > max_size):
            return None
        return self.read()

    def _read_unsized(self, size: int) -> bytes:
        max_size = self._max_size
        if size >= 0 and max_size is None:
            data = self._raw_read(size)
            self._read += len(data)
            return data
        chunks = []
        want = size
        while want != 0:
            ask = READ_CHUNK if want < 0 else want
            if max_size is not None:
                ask = min(ask, max_size - self._read + 1)
            data = self._raw_read(ask)
            if not data:
                break
            self._read += len(data)
            if max_size is not None and self._read > max_size:
                raise RequestEntityTooLarge()
            chunks.append(data)
            if want > 0:
                break  # a sized read returns what one read of the server gave
        return b"".join(chunks)

    def readline(self, size: int = -1) -> bytes:
        chunks = []
        while size != 0:
            byte = self.read(1)
            if not byte:
                break
            chunks.append(byte)
            size -= 1
            if byte == b"\n":
                break
        return b"".join(chunks)

    def __iter__(self) -> LimitedStream:
        return self

    def __next__(self) -> bytes:
        chunk = self.read(65536)
        if not chunk:
            raise StopIteration
        return chunk


class _EmptyStream:
    def read(self, size: int = -1) -> bytes:
        return b""


class Request(RequestHeaderProperties):
    """An HTTP request: the object a view reaches as ``request``.

    The protocol adapter builds it; user code reads it. Under WSGI ``request.environ``
    is the environ, under ASGI ``request.scope`` is the scope (the other is ``None``).
    """

    __slots__ = (
        "method",
        "path",
        "query_string",
        "_reader",
        "_source",
        "url_rule",
        "view_args",
        "routing_exception",
        "__weakref__",
        "__dict__",
    )

    # PERF: the lazily filled caches are class-level defaults, so a request that
    # never parses anything never stores them (they land in the instance dict).
    _headers: EnvironHeaders | None = None
    _args: ImmutableMultiDict[str, str] | None = None
    _cookies: ImmutableMultiDict[str, str] | None = None
    _data: bytes | None = None
    _json: Any = _UNSET
    _stream: Any = None
    _form: Any = None
    _files: Any = None
    _host: str | None = None
    _max_content_length: Any = _UNSET
    _length: Any = _UNSET
    _max_form_memory_size: Any = _UNSET
    _max_form_parts: Any = _UNSET
    _cleanup: list[Callable[[], None]] | None = None

    #: Charset assumed for text bodies and parameters.
    charset = "utf-8"
    #: The deepest nesting of arrays and objects :meth:`get_json` accepts (400 past
    #: it; ``None`` for no limit). Whatever it accepts, ``jsonify`` can write back:
    #: orjson writes at most 254 levels, the standard library what the stack allows.
    max_json_depth: int | None = 128
    #: Limits used when no application sets them (see ``max_content_length``).
    default_max_content_length: int | None = 16 * 1024 * 1024
    default_max_form_memory_size: int | None = 500_000
    default_max_form_parts: int | None = 1000

    def __init__(
        self,
        method: str,
        path: str,
        query_string: bytes,
        reader: SourceReader,
        source: Any,
    ) -> None:
        # PERF: only what every request needs is read now; the rest comes from the
        # adapter's reader when first asked for.
        self.method = method
        self.path = path
        self.query_string = query_string
        self._reader = reader
        self._source = source
        self.url_rule: Any = None
        self.view_args: dict[str, Any] | None = None
        self.routing_exception: HTTPException | None = None

    # -- limits -------------------------------------------------------------------------

    @property
    def max_content_length(self) -> int | None:
        """The largest body this request accepts (413 past it); settable per request."""
        if self._max_content_length is _UNSET:
            return self.default_max_content_length
        return self._max_content_length  # type: ignore[no-any-return]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @property
    def max_form_memory_size(self) -> int | None:
        """The most form field data kept in memory (413 past it); settable."""
        if self._max_form_memory_size is _UNSET:
            return self.default_max_form_memory_size
        return self._max_form_memory_size  # type: ignore[no-any-return]

    @max_form_memory_size.setter
    def max_form_memory_size(self, value: int | None) -> None:
        self._max_form_memory_size = value

    @property
    def max_form_parts(self) -> int | None:
        """The most fields and files a form body may have (413 past it); settable."""
        if self._max_form_parts is _UNSET:
            return self.default_max_form_parts
        return self._max_form_parts  # type: ignore[no-any-return]

    @max_form_parts.setter
    def max_form_parts(self, value: int | None) -> None:
        self._max_form_parts = value

    # -- URL ------------------------------------------------------------------------------

    @property
    def args(self) -> ImmutableMultiDict[str, str]:
        """The parsed query string (split on ``&`` only)."""
        args = self._args
        if args is None:
            args = self._args = ImmutableMultiDict(parse_qsl(self.query_string))
        return args

    @property
    def full_path(self) -> str:
        """The path and query string, such as ``/search?q=x`` (``?`` always present)."""
        return f"{self.path}?{self.query_string.decode('latin-1')}"

    @property
    def scheme(self) -> str:
        """``"http"`` or ``"https"`` (``"ws"``/``"wss"`` for WebSockets)."""
        return self._reader.scheme(self._source)

    @property
    def server(self) -> tuple[str, int | None] | None:
        """The server's address ``(host, port)``, when the server says."""
        return self._reader.server(self._source)

    @property
    def root_path(self) -> str:
        """The path the application is mounted at (``""`` at the root)."""
        return self._reader.root_path(self._source)

    @property
    def remote_addr(self) -> str | None:
        """The client's address (the proxy's, behind a proxy)."""
        return self._reader.remote_addr(self._source)

    @property
    def environ(self) -> dict[str, Any] | None:
        """The WSGI environ under WSGI (``None`` under ASGI)."""
        return self._reader.environ(self._source)

    @property
    def scope(self) -> MutableMapping[str, Any] | None:
        """The ASGI scope under ASGI (``None`` under WSGI)."""
        return self._reader.scope(self._source)

    @property
    def script_root(self) -> str:
        """The path the application is mounted at (``""`` at the root)."""
        return self.root_path

    @property
    def host(self) -> str:
        """The validated host and port (``""`` for a malformed ``Host`` header)."""
        host = self._host
        if host is None:
            host = self._host = get_host(self.scheme, self._header("host"), self.server)
        return host

    @property
    def is_secure(self) -> bool:
        """Whether the request came over HTTPS (or WSS)."""
        return self.scheme in {"https", "wss"}

    @property
    def host_url(self) -> str:
        """``scheme://host/``."""
        return f"{self.scheme}://{self.host}/"

    @property
    def root_url(self) -> str:
        """``scheme://host/root_path/``."""
        return f"{self.scheme}://{self.host}{url_quote(self.root_path)}/"

    url_root = root_url

    @property
    def base_url(self) -> str:
        """The URL without the query string."""
        return f"{self.scheme}://{self.host}{url_quote(self.root_path + self.path)}"

    @property
    def url(self) -> str:
        """The full URL, with the query string when there is one."""
        if self.query_string:
            return f"{self.base_url}?{self.query_string.decode('latin-1')}"
        return self.base_url

    # -- headers -----------------------------------------------------------------------

    @property
    def headers(self) -> EnvironHeaders:
        """The request headers (read-only, case-insensitive, multi-valued)."""
        headers = self._headers
        if headers is None:
            pairs = self._reader.headers(self._source)
            headers = self._headers = EnvironHeaders._trusted(pairs)  # type: ignore[assignment]
        return headers  # type: ignore[return-value]

    def _header(self, name: str) -> str | None:
        # PERF: one header straight from the source, without building ``headers``,
        # where the source has an index (a WSGI environ); else ``headers`` once.
        headers = self._headers
        if headers is None and not self._reader.indexed:
            headers = self.headers
        if headers is not None:
            if name == "cookie":
                return "; ".join(headers.getlist("cookie")) or None
            return headers.get(name)  # type: ignore[no-any-return]
        return self._reader.header(self._source, name)

    @property
    def cookies(self) -> ImmutableMultiDict[str, str]:
        """The request cookies; the first of a repeated name wins with ``[]``/``get``."""
        cookies = self._cookies
        if cookies is None:
            header = self._header("cookie")
            cookies = self._cookies = ImmutableMultiDict(parse_cookie(header))
        return cookies

    @property
    def content_type(self) -> str | None:
        # NOTE: an empty one is an absent one (PEP 3333), under ASGI too.
        return self._header("content-type") or None

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased (``""`` if none)."""
        return parse_options_header(self.content_type)[0]

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters, such as ``{"charset": "utf-8"}``."""
        return parse_options_header(self.content_type)[1]

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` as an int; ``None`` when absent or malformed."""
        value = self._header("content-length")
        if value is None:
            return None
        value = value.strip()
        if not value.isascii() or not value.isdigit():
            return None
        return int(value) if len(value) < 20 else None

    @property
    def content_encoding(self) -> str | None:
        return self._header("content-encoding")

    @property
    def user_agent(self) -> UserAgent:
        """The ``User-Agent`` header (``""`` when absent), with Flask's ``.string``."""
        return UserAgent(self._header("user-agent") or "")

    @property
    def authorization(self) -> Authorization | None:
        """The parsed ``Authorization`` header (Basic, Bearer or auth-params)."""
        return parse_authorization(self._header("authorization"))

    @property
    def referrer(self) -> str | None:
        return self._header("referer")

    @property
    def accept_mimetypes(self) -> Accept:
        """The ``Accept`` header: ``request.accept_mimetypes.best_match([...])``."""
        return Accept(parse_accept_header(self._header("accept")))

    @property
    def accept_languages(self) -> Accept:
        """The ``Accept-Language`` header, parsed."""
        return Accept(parse_accept_header(self._header("accept-language")))

    @property
    def accept_charsets(self) -> Accept:
        """The ``Accept-Charset`` header, parsed."""
        return Accept(parse_accept_header(self._header("accept-charset")))

    @property
    def accept_encodings(self) -> Accept:
        """The ``Accept-Encoding`` header, parsed."""
        return Accept(parse_accept_header(self._header("accept-encoding")))

    # -- body --------------------------------------------------------------------------

    def _check_length(self) -> int | None:
        """The declared body length after checking it; raises 400/413 before reading.

        An empty ``Content-Length`` is no length (PEP 3333 says so of
        ``CONTENT_LENGTH``; ASGI follows, so both adapters agree). A repeated one
        arrives joined (``"5, 6"``) and is malformed: 400. A valid number over the
        limit is 413, however many digits it has.
        """
        length = self._length
        if length is _UNSET:
            # PERF: the header is parsed once; the limit (which a hook may change)
            # is compared on every call.
            length = self._length = self._declared_length()
        limit = self.max_content_length
        if length is not None and limit is not None and length > limit:
            raise RequestEntityTooLarge()
        return length  # type: ignore[no-any-return]

    def _declared_length(self) -> int | None:
        raw = self._header("content-length")
        if raw is None:
            return None
        raw = raw.strip(" \t")
        if not raw:
            return None
        if not raw.isascii() or not raw.isdigit():
            raise BadRequest(
                "The Content-Length header is not a valid length (one number; a"
                " repeated Content-Length is refused)."
            )
        digits = raw.lstrip("0")
        if len(digits) > 18:
            # NOTE: no body of 10**18 bytes or more can be taken (nor its length
            # converted cheaply: int() refuses over 4,300 digits).
            raise RequestEntityTooLarge()
        return int(digits or "0")

    @property
    def stream(self) -> LimitedStream:
        """The raw body as a file-like object, bounded by ``max_content_length``."""
        stream = self._stream
        if stream is None:
            length = self._check_length()
            source, terminated = self._reader.input(self._source)
            if source is None or (length is None and not terminated):
                stream = LimitedStream(_EmptyStream(), 0, None)  # type: ignore[arg-type]
            else:
                stream = LimitedStream(source, length, self.max_content_length)
            self._stream = stream
        return stream  # type: ignore[no-any-return]

    def get_data(
        self, cache: bool = True, as_text: bool = False, parse_form_data: bool = False
    ) -> Any:
        """The body as bytes (or text with ``as_text``), read once and cached.

        With ``parse_form_data=True`` a form body is parsed into ``form``/``files``
        first, and what is returned is then empty for form content types.
        """
        if parse_form_data:
            self._load_form_data()
        data = self._data
        if data is None:
            if self._form is not None and self._is_form_type():
                data = b""
            else:
                data = self.stream.read()
            if cache:
                self._data = data
        if as_text:
            return data.decode(self.charset, "replace")
        return data

    @property
    def data(self) -> bytes:
        """The body as bytes; empty for form bodies once ``form`` was read."""
        return self.get_data(parse_form_data=True)  # type: ignore[no-any-return]

    def _is_form_type(self) -> bool:
        return self.mimetype in {
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        }

    def _load_form_data(self) -> None:
        """Parse a form body into ``form`` and ``files`` (hooked by the forms module)."""
        if self._form is not None:
            return
        global _parse_form
        parse = _parse_form
        if parse is None:
            # PERF: imported on the first form (it loads the multipart parser), then
            # kept: a relative import in a function runs importlib's Python code.
            from .forms import parse_form

            parse = _parse_form = parse_form
        data = self._data
        if data is not None:
            # get_data() read the body first (Flask allows that): parse the cached bytes.
            self._stream = LimitedStream(io.BytesIO(data), len(data), None)
        self._form, self._files = parse(self)

    @property
    def form(self) -> ImmutableMultiDict[str, str]:
        """Fields of a urlencoded or multipart body."""
        self._load_form_data()
        return self._form  # type: ignore[no-any-return]

    @property
    def files(self) -> ImmutableMultiDict[str, Any]:
        """Uploaded files of a multipart body, as ``FileStorage`` objects."""
        self._load_form_data()
        return self._files  # type: ignore[no-any-return]

    @property
    def values(self) -> ImmutableMultiDict[str, str]:
        """``args`` and ``form`` together (``form`` only for non-GET methods)."""
        if self.method == "GET":
            return CombinedMultiDict([self.args])
        return CombinedMultiDict([self.args, self.form])

    def add_cleanup(self, func: Callable[[], None]) -> None:
        """Call ``func`` when the request ends (temporary files use this)."""
        if self._cleanup is None:
            self._cleanup = []
        self._cleanup.append(func)

    def close(self) -> None:
        """Release what the request holds: uploaded files' temporary storage."""
        cleanup, self._cleanup = self._cleanup, None
        for func in cleanup or ():
            func()

    # -- JSON --------------------------------------------------------------------------

    @property
    def is_json(self) -> bool:
        """Whether the body is JSON: ``application/json`` or ``application/*+json``."""
        return is_json_mimetype(self.mimetype)

    @property
    def json(self) -> Any:
        """The parsed JSON body; 415 when the content type is not JSON."""
        return self.get_json()

    def json_loads(self, data: bytes) -> Any:
        """Decode a JSON body; the application layer uses its JSON provider here."""
        return _json.loads(data)

    def get_json(
        self, force: bool = False, silent: bool = False, cache: bool = True
    ) -> Any:
        """Parse the body as JSON.

        Without ``force`` the content type must be JSON (415 otherwise). Malformed JSON
        is a 400. With ``silent`` both give ``None`` instead.
        """
        if cache and self._json is not _UNSET:
            return self._json
        if not (force or self.is_json):
            if silent:
                return None
            return self.on_json_loading_failed(None)
        data = self.get_data(cache=cache)
        try:
            value = self.json_loads(data)
            _check_json_depth(data, self.max_json_depth)
        except (ValueError, RecursionError, TypeError) as exc:
            if silent:
                value = None
            else:
                return self.on_json_loading_failed(exc)
        if cache:
            self._json = value
        return value

    def on_json_loading_failed(self, e: Exception | None) -> Any:
        """Raise the error for a body that is not JSON; override to change it."""
        if e is None:
            raise UnsupportedMediaType(
                "Did not attempt to load JSON data because the request"
                " Content-Type was not 'application/json'."
            )
        raise BadRequest(
            "The browser (or proxy) sent a request with invalid JSON."
        ) from e

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url!r} [{self.method}]>"
