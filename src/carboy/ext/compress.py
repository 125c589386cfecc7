"""Response compression: gzip, and Brotli or Zstandard when their libraries are installed.

::

    from carboy import Carboy
    from carboy.ext.compress import Compress

    app = Carboy(__name__)
    Compress(app)

Each response whose type is text-like and whose body is at least ``COMPRESS_MIN_SIZE``
bytes is sent in the coding the client prefers among those it lists in
``Accept-Encoding`` (``gzip``, ``br``, ``zstd``); on a tie the server's order
(``COMPRESS_ALGORITHM``) decides. Streamed bodies (generators, async generators,
``stream_with_context``, files) are compressed chunk by chunk, each chunk flushed, so
nothing is buffered and a slow stream still reaches the client as it is produced.

NOTE: the rules this module keeps, and why:

- **Negotiation** follows RFC 9110 section 12.5.3: ``q=0`` refuses a coding, ``*``
  stands for every coding not listed, ``identity`` preferred over a coding wins. A
  request without ``Accept-Encoding`` gets no coding (a client that says nothing may
  not decode one).
- **Never a partial response.** A ``206`` or anything with ``Content-Range`` is sent as
  it is: its offsets count the identity bytes, so a compressed body would be garbage
  to the client. A compressed response drops ``Accept-Ranges``, as its bytes are not
  the ones a later ``Range`` request would address.
- **Never twice.** A response with ``Content-Encoding`` (or ``Cache-Control:
  no-transform``, or a digest of the identity bytes) is left alone, as are types that
  are compressed already (images, video, audio, archives, woff fonts) whatever
  ``COMPRESS_MIMETYPES`` says.
- **Caches.** Every response that could be compressed carries ``Vary:
  Accept-Encoding``, whether or not this client got a coding, so a shared cache never
  hands gzip to a client that cannot read it. A strong ``ETag`` becomes weak
  (``W/"..."``): the compressed bytes differ from the identity ones, so a strong
  validator may not name both, while ``If-None-Match`` (weak comparison) still gives
  ``304``. A ``304`` to a client that would get a coding carries the weak tag too.
- ``Content-Length`` is the compressed length; a streamed body has none.
- ``HEAD`` gets the headers ``GET`` would get.

Security: compressing a response that holds a secret next to text an attacker chose
(a reflected query parameter) lets the attacker learn the secret from the compressed
size (BREACH). Mark such responses ``Cache-Control: no-transform``, or mask the secret
per response.
"""

from __future__ import annotations

import functools
import threading
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from ..globals import request
from ..sansio.http.headers import parse_accept_header
from ..sansio.response import FileBody

if TYPE_CHECKING:  # pragma: no cover
    from ..app import Carboy
    from ..wrappers import Response

__all__ = [
    "DEFAULT_MIMETYPES",
    "Compress",
    "CompressSettings",
    "available_algorithms",
    "choose_encoding",
]

#: Types compressed by default: text, and text-like formats that are not compressed
#: already.
DEFAULT_MIMETYPES = (
    "text/html",
    "text/css",
    "text/plain",
    "text/xml",
    "text/csv",
    "text/markdown",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/ld+json",
    "application/geo+json",
    "application/problem+json",
    "application/manifest+json",
    "application/xml",
    "application/xhtml+xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/wasm",
    "image/svg+xml",
    "font/ttf",
    "font/otf",
)

#: Types never compressed (their bytes are compressed already), even when listed.
_ALREADY_COMPRESSED = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/avif",
        "image/heic",
        "image/jxl",
        "application/zip",
        "application/gzip",
        "application/x-gzip",
        "application/zstd",
        "application/x-bzip2",
        "application/x-xz",
        "application/x-7z-compressed",
        "application/x-rar-compressed",
        "application/vnd.rar",
        "application/pdf",
        "application/octet-stream",
        "font/woff",
        "font/woff2",
    }
)
_ALREADY_COMPRESSED_MAJORS = ("video/", "audio/")

#: The server's preference among the codings, best first: zstd compresses a JSON or
#: HTML page about as well as brotli at a fraction of its time (python -m bench.compress).
DEFAULT_ORDER = ("zstd", "br", "gzip")
#: The level of each coding: fast enough to run per request, most of the gain.
DEFAULT_LEVELS = {"gzip": 6, "br": 4, "zstd": 3}
_LEVEL_KEYS = {
    "gzip": "COMPRESS_LEVEL",
    "br": "COMPRESS_BR_LEVEL",
    "zstd": "COMPRESS_ZSTD_LEVEL",
}
#: Headers that make a response unfit to compress: it is encoded or partial already,
#: or carries a digest of the identity bytes.
_HANDS_OFF = frozenset(
    {
        "content-encoding",
        "content-range",
        "content-md5",
        "digest",
        "content-digest",
        "repr-digest",
    }
)


# -- the codings -------------------------------------------------------------------------


class _Stream(Protocol):
    def chunk(self, data: bytes, flush: bool) -> bytes: ...

    def finish(self) -> bytes: ...


class _GzipStream:
    __slots__ = ("_obj",)

    def __init__(self, level: int) -> None:
        # NOTE: wbits 31 is the gzip container (RFC 1952), which ``gzip`` names.
        self._obj = zlib.compressobj(level, zlib.DEFLATED, 31)

    def chunk(self, data: bytes, flush: bool) -> bytes:
        out = self._obj.compress(data)
        return out + self._obj.flush(zlib.Z_SYNC_FLUSH) if flush else out

    def finish(self) -> bytes:
        return self._obj.flush(zlib.Z_FINISH)


def _gzip(data: bytes, level: int) -> bytes:
    return zlib.compress(data, level, wbits=31)


class _BrotliStream:
    __slots__ = ("_obj",)

    def __init__(self, level: int) -> None:
        import brotli  # type: ignore[import-untyped, unused-ignore]

        self._obj = brotli.Compressor(quality=level)

    def chunk(self, data: bytes, flush: bool) -> bytes:
        out: bytes = self._obj.process(data)
        return out + self._obj.flush() if flush else out

    def finish(self) -> bytes:
        return self._obj.finish()  # type: ignore[no-any-return]


def _brotli(data: bytes, level: int) -> bytes:
    import brotli  # type: ignore[import-untyped, unused-ignore]

    return brotli.compress(data, quality=level)  # type: ignore[no-any-return]


class _ZstdStream:
    __slots__ = ("_obj", "_block")

    def __init__(self, level: int) -> None:
        import zstandard

        self._obj = zstandard.ZstdCompressor(level=level).compressobj()
        self._block = zstandard.COMPRESSOBJ_FLUSH_BLOCK

    def chunk(self, data: bytes, flush: bool) -> bytes:
        out = self._obj.compress(data)
        return out + self._obj.flush(self._block) if flush else out

    def finish(self) -> bytes:
        return self._obj.flush()


_zstd_local = threading.local()


def _zstd(data: bytes, level: int) -> bytes:
    # PERF: a compressor per thread and level, reused (a third of the cost of one
    # 10 KB body is making the compressor); NOTE: one is not safe to share between
    # threads, and this call never yields to another task in the same thread.
    compressors: dict[int, Any] | None = getattr(_zstd_local, "compressors", None)
    if compressors is None:
        compressors = _zstd_local.compressors = {}
    compressor = compressors.get(level)
    if compressor is None:
        import zstandard

        compressor = compressors[level] = zstandard.ZstdCompressor(level=level)
    return compressor.compress(data)


_ONE_SHOT: dict[str, Callable[[bytes, int], bytes]] = {
    "gzip": _gzip,
    "br": _brotli,
    "zstd": _zstd,
}
_STREAMS: dict[str, Callable[[int], _Stream]] = {
    "gzip": _GzipStream,
    "br": _BrotliStream,
    "zstd": _ZstdStream,
}
_MODULES = {"br": "brotli", "zstd": "zstandard"}


def _installed(name: str) -> bool:
    module = _MODULES.get(name)
    if module is None:
        return True
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def available_algorithms() -> tuple[str, ...]:
    """The codings this process can produce, in the default preference order."""
    return tuple(name for name in DEFAULT_ORDER if _installed(name))


# -- negotiation -------------------------------------------------------------------------


def choose_encoding(header: str | None, available: Sequence[str]) -> str | None:
    """The coding to send, from an ``Accept-Encoding`` value; ``None`` for identity.

    ``available`` is the server's order (a tuple), which breaks ties between codings
    the client values equally. ``choose_encoding("gzip;q=0.5, br", ("gzip", "br"))`` is
    ``"br"``. Never raises, whatever the header holds.
    """
    if header is not None and len(header) <= _CACHED_LENGTH:
        return _choose_cached(header, tuple(available))
    return _choose(header, available)


#: Browsers send a few short values; longer ones are not kept (a client could
#: otherwise pin 256 header-sized strings in the cache).
_CACHED_LENGTH = 200


def _choose(header: str | None, available: Sequence[str]) -> str | None:
    if not header:
        return None
    explicit: dict[str, float] = {}
    star: float | None = None
    for item, quality in parse_accept_header(header):
        name = item.partition(";")[0].strip().lower()
        # NOTE: a coding listed twice takes its lowest quality: a q=0 anywhere refuses.
        if name == "*":
            star = quality if star is None else min(star, quality)
        else:
            explicit[name] = min(explicit.get(name, quality), quality)
    best, best_quality = None, 0.0
    for coding in available:
        listed = explicit.get(coding)
        if listed is None and coding == "gzip":
            # NOTE: RFC 9110 section 8.4.1.3: x-gzip is gzip.
            listed = explicit.get("x-gzip")
        if listed is not None:
            quality = listed
        else:
            quality = star if star is not None else 0.0
        if quality > best_quality:
            best, best_quality = coding, quality
    # NOTE: identity, unless listed (itself or through *), never outranks a coding the
    # client lists: "gzip;q=0.5" still asks for gzip.
    identity = explicit.get("identity", star if star is not None else 0.0)
    if best is None or best_quality < identity:
        return None
    return best


# PERF: negotiation per distinct header value, not per request.
_choose_cached = functools.lru_cache(maxsize=256)(_choose)


# -- settings ----------------------------------------------------------------------------


@dataclass(frozen=True)
class CompressSettings:
    """The validated configuration of one app (built from its config at first use)."""

    order: tuple[str, ...]
    levels: dict[str, int]
    min_size: int
    mimetypes: frozenset[str]
    majors: tuple[str, ...]
    streams: bool

    @classmethod
    def from_config(cls, config: Any) -> CompressSettings:
        algorithms = config.get("COMPRESS_ALGORITHM")
        if algorithms is None:
            order = available_algorithms()
        else:
            if isinstance(algorithms, str):
                algorithms = algorithms.split(",")
            order = tuple(str(name).strip().lower() for name in algorithms)
            for name in order:
                if name not in _ONE_SHOT:
                    raise ValueError(
                        f"COMPRESS_ALGORITHM names {name!r}, which carboy cannot"
                        f" produce: choose among {', '.join(DEFAULT_ORDER)}."
                    )
                if not _installed(name):
                    raise ValueError(
                        f"COMPRESS_ALGORITHM names {name!r}, but the {_MODULES[name]!r}"
                        " package is not installed: pip install 'carboy[compress]'."
                    )
        levels = {
            name: int(config.get(_LEVEL_KEYS[name], DEFAULT_LEVELS[name]))
            for name in order
        }
        min_size = int(config.get("COMPRESS_MIN_SIZE", 500))
        exact: set[str] = set()
        majors: list[str] = []
        for mimetype in config.get("COMPRESS_MIMETYPES", DEFAULT_MIMETYPES):
            mimetype = str(mimetype).strip().lower()
            if mimetype.endswith("/*"):
                majors.append(mimetype[:-1])
            else:
                exact.add(mimetype)
        return cls(
            order,
            levels,
            min_size,
            frozenset(exact),
            tuple(majors),
            bool(config.get("COMPRESS_STREAMS", True)),
        )

    def compressible(self, mimetype: str) -> bool:
        """Whether responses of this (lower-case) type are compressed."""
        if mimetype in _ALREADY_COMPRESSED or mimetype.startswith(
            _ALREADY_COMPRESSED_MAJORS
        ):
            return False
        return mimetype in self.mimetypes or mimetype.startswith(self.majors)


# -- streamed bodies ---------------------------------------------------------------------


class _CompressedBody:
    """A sync body iterable compressed chunk by chunk; closing it closes the original."""

    __slots__ = ("_body", "_chunks", "_stream", "_flush", "_done")

    def __init__(self, body: Iterable[Any], charset: str, stream: _Stream, flush: bool):
        self._body = body
        self._chunks = _encoded(iter(body), charset)
        self._stream = stream
        self._flush = flush
        self._done = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        while not self._done:
            try:
                data = next(self._chunks)
            except StopIteration:
                self._done = True
                return self._stream.finish()
            out = self._stream.chunk(data, self._flush) if data else b""
            if out:
                return out
        raise StopIteration

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()


def _encoded(chunks: Iterator[Any], charset: str) -> Iterator[bytes]:
    for chunk in chunks:
        yield chunk.encode(charset) if isinstance(chunk, str) else chunk


class _AsyncCompressedBody:
    """An async body iterable compressed chunk by chunk, each chunk flushed."""

    __slots__ = ("_body", "_iter", "_charset", "_stream", "_done")

    def __init__(self, body: Any, charset: str, stream: _Stream) -> None:
        self._body = body
        self._iter = body.__aiter__()
        self._charset = charset
        self._stream = stream
        self._done = False

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self

    async def __anext__(self) -> bytes:
        while not self._done:
            try:
                data = await self._iter.__anext__()
            except StopAsyncIteration:
                self._done = True
                return self._stream.finish()
            if isinstance(data, str):
                data = data.encode(self._charset)
            if data:
                # NOTE: a flush always writes (an empty chunk would cost a marker).
                return self._stream.chunk(data, True)
        raise StopAsyncIteration

    async def aclose(self) -> None:
        aclose = getattr(self._body, "aclose", None)
        if aclose is not None:
            await aclose()


# -- the extension -----------------------------------------------------------------------


def _inspect(response: Response, settings: CompressSettings) -> tuple[bool, str | None]:
    """Whether the response's headers let it be compressed, and its Content-Length."""
    # PERF: one pass over the header pairs instead of a lookup per header.
    content_type = cache_control = length = None
    for name, value in response.header_list():
        lower = name.lower()
        if lower == "content-type":
            content_type = value
        elif lower == "content-length":
            length = value
        elif lower == "cache-control":
            cache_control = value
        elif lower in _HANDS_OFF:
            return False, None
    if content_type is None or _no_transform(cache_control):
        return False, None
    mimetype = content_type.partition(";")[0].strip().lower()
    return settings.compressible(mimetype), length


def _no_transform(cache_control: str | None) -> bool:
    if not cache_control:
        return False
    return any(
        part.strip().lower() == "no-transform" for part in cache_control.split(",")
    )


class Compress:
    """Compresses an app's responses; ``Compress(app)`` or ``compress.init_app(app)``.

    Configuration (read at the app's first request): ``COMPRESS_ALGORITHM`` (the
    server's order, such as ``["br", "gzip"]`` or ``"zstd, gzip"``; default: zstd, br,
    gzip, those installed), ``COMPRESS_LEVEL`` (gzip, 6), ``COMPRESS_BR_LEVEL`` (4),
    ``COMPRESS_ZSTD_LEVEL`` (3), ``COMPRESS_MIN_SIZE`` (500 bytes),
    ``COMPRESS_MIMETYPES`` (:data:`DEFAULT_MIMETYPES`; ``"text/*"`` covers a major
    type) and ``COMPRESS_STREAMS`` (``True``: compress streamed bodies too).
    """

    def __init__(self, app: Carboy | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Carboy) -> None:
        settings: list[CompressSettings] = []

        def compress_response(response: Response) -> Response:
            if not settings:
                settings.append(CompressSettings.from_config(app.config))
            return self._compress(response, settings[0])

        app.extensions["compress"] = self
        app.after_request(compress_response)

    def _compress(self, response: Response, settings: CompressSettings) -> Response:
        """Compress ``response`` for the current request if it should be."""
        status = response.status_code
        if status == 304:
            return self._not_modified(response, settings)
        if status < 200 or status == 204 or status == 206:
            return response
        fit, length = _inspect(response, settings)
        if not fit:
            return response
        headers = response.headers
        body = response.response
        data: bytes | None = None
        if isinstance(body, list | tuple):
            data = b"".join(response.iter_encoded())
            size: int | None = len(data)
        else:
            if not settings.streams:
                return response
            size = int(length) if length is not None and length.isdigit() else None
        if size is not None and size < settings.min_size:
            return response
        response.add_vary("Accept-Encoding")
        coding = choose_encoding(_accept_encoding(), settings.order)
        if coding is None:
            return response
        level = settings.levels[coding]
        if data is not None:
            compressed = _ONE_SHOT[coding](data, level)
            response.response = [compressed]
            headers.set("Content-Length", str(len(compressed)))
        else:
            stream = _STREAMS[coding](level)
            if hasattr(body, "__aiter__"):
                wrapped: Any = _AsyncCompressedBody(body, response.charset, stream)
                response.response = wrapped
            else:
                # NOTE: a file is read in blocks and need not reach the client block
                # by block; a generator's chunks are flushed as it yields them.
                flush = not isinstance(body, FileBody)
                response.response = _CompressedBody(
                    body, response.charset, stream, flush
                )
            headers.remove("Content-Length")
        headers.set("Content-Encoding", coding)
        headers.remove("Accept-Ranges")
        _weaken_etag(response)
        return response

    def _not_modified(self, response: Response, settings: CompressSettings) -> Response:
        # NOTE: RFC 9110 section 15.4.5: a 304 carries the Vary and ETag the 200 would.
        response.add_vary("Accept-Encoding")
        if choose_encoding(_accept_encoding(), settings.order) is not None:
            _weaken_etag(response)
        return response


def _accept_encoding() -> str | None:
    # PERF: one header straight from the environ or scope, not all of them.
    return request._header("accept-encoding")


def _weaken_etag(response: Response) -> None:
    etag = response.headers.get("etag")
    if etag is not None and not etag.startswith("W/"):
        response.headers.set("ETag", "W/" + etag)
