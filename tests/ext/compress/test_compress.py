"""carboy.ext.compress through the test client, under WSGI and ASGI (``client``), with
def and async views."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
import zlib
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import brotli
import pytest
import zstandard

from carboy import Carboy, Response, jsonify, send_file, stream_with_context
from carboy.ext.compress import Compress, CompressSettings, available_algorithms
from carboy.testing import CarboyClient

PAYLOAD = {
    "items": [{"id": n, "name": f"item {n}", "tags": ["a", "b"]} for n in range(200)]
}
TEXT = ("carboy compresses text. " * 400).encode()


def decode(coding: str | None, data: bytes) -> bytes:
    if coding is None:
        return data
    if coding == "gzip":
        return gzip.decompress(data)
    if coding == "br":
        return brotli.decompress(data)  # type: ignore[no-any-return]
    assert coding == "zstd"
    return zstandard.ZstdDecompressor().decompressobj().decompress(data)


def decoder(coding: str) -> Callable[[bytes], bytes]:
    """Incremental decoding, to check each streamed chunk is decodable on arrival."""
    if coding == "gzip":
        obj = zlib.decompressobj(31)
        return obj.decompress
    if coding == "br":
        return brotli.Decompressor().process  # type: ignore[no-any-return]
    return zstandard.ZstdDecompressor().decompressobj().decompress


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def compressed(app: Carboy) -> Carboy:
    Compress(app)
    return app


def route(app: Carboy, path: str, kind: str, make: Callable[[], Any]) -> None:
    if kind == "sync":
        app.add_url_rule(path, path, make)
    else:

        async def view() -> Any:
            return make()

        app.add_url_rule(path, path, view)


# -- bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_each_coding_round_trips(
    compressed: Carboy, client: CarboyClient, kind: str, coding: str
) -> None:
    route(compressed, "/data", kind, lambda: PAYLOAD)
    rv = client.get("/data", headers={"Accept-Encoding": coding})
    assert rv.status_code == 200
    assert rv.headers["Content-Encoding"] == coding
    assert rv.headers["Vary"] == "Accept-Encoding"
    assert rv.headers["Content-Length"] == str(len(rv.data))
    assert len(rv.data) < len(client.get("/data").data) // 4
    assert json.loads(decode(coding, rv.data)) == PAYLOAD


def test_the_servers_order_breaks_ties(
    compressed: Carboy, client: CarboyClient
) -> None:
    route(compressed, "/data", "sync", lambda: PAYLOAD)
    rv = client.get("/data", headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
    assert rv.headers["Content-Encoding"] == "zstd"
    rv = client.get("/data", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert rv.headers["Content-Encoding"] == "br"
    rv = client.get("/data", headers={"Accept-Encoding": "gzip, br;q=0.9"})
    assert rv.headers["Content-Encoding"] == "gzip"


def test_configured_order_and_levels(app: Carboy, protocol: str) -> None:
    app.config.update(COMPRESS_ALGORITHM="zstd, gzip", COMPRESS_LEVEL=1)
    Compress(app)
    route(app, "/data", "sync", lambda: PAYLOAD)
    client = app.test_client(protocol=protocol)
    rv = client.get("/data", headers={"Accept-Encoding": "gzip, br, zstd"})
    assert rv.headers["Content-Encoding"] == "zstd"
    rv = client.get("/data", headers={"Accept-Encoding": "gzip, br"})
    assert rv.headers["Content-Encoding"] == "gzip"
    identity = client.get("/data").data
    assert rv.data == zlib.compress(identity, 1, wbits=31)
    rv = client.get("/data", headers={"Accept-Encoding": "br"})
    assert (rv.headers.get("Content-Encoding"), rv.data) == (None, identity)
    assert rv.headers["Vary"] == "Accept-Encoding"


def test_no_accept_encoding_gets_identity_with_vary(
    compressed: Carboy, client: CarboyClient
) -> None:
    route(compressed, "/data", "sync", lambda: PAYLOAD)
    for headers in (
        {},
        {"Accept-Encoding": "identity"},
        {"Accept-Encoding": "gzip;q=0"},
    ):
        rv = client.get("/data", headers=headers)
        assert "Content-Encoding" not in rv.headers
        assert json.loads(rv.data) == PAYLOAD
        assert rv.headers["Content-Length"] == str(len(rv.data))
        assert rv.headers["Vary"] == "Accept-Encoding"


def test_vary_is_merged(compressed: Carboy, client: CarboyClient) -> None:
    route(
        compressed,
        "/data",
        "sync",
        lambda: (TEXT, {"Vary": "Cookie", "Content-Type": "text/plain"}),
    )
    rv = client.get("/data", headers={"Accept-Encoding": "gzip"})
    assert rv.headers.getlist("Vary") == ["Cookie, Accept-Encoding"]


# -- what is never compressed ------------------------------------------------------------


def test_small_bodies_are_left_alone(compressed: Carboy, client: CarboyClient) -> None:
    compressed.config["COMPRESS_MIN_SIZE"] = 100
    route(compressed, "/small", "sync", lambda: "x" * 99)
    route(compressed, "/big", "sync", lambda: "x" * 100)
    rv = client.get("/small", headers={"Accept-Encoding": "gzip"})
    assert (rv.data, rv.headers.get("Content-Encoding"), rv.headers.get("Vary")) == (
        b"x" * 99,
        None,
        None,
    )
    rv = client.get("/big", headers={"Accept-Encoding": "gzip"})
    assert rv.headers["Content-Encoding"] == "gzip"


@pytest.mark.parametrize(
    "mimetype",
    ["image/png", "image/jpeg", "application/zip", "video/mp4", "font/woff2", None],
)
def test_compressed_types_are_left_alone(
    app: Carboy, client: CarboyClient, mimetype: str | None
) -> None:
    """Even when the configuration lists their major type."""
    app.config["COMPRESS_MIMETYPES"] = ["image/*", "application/*", "video/*", "font/*"]
    Compress(app)

    @app.get("/blob")
    def blob() -> Response:
        rv = Response(TEXT, mimetype=mimetype)
        if mimetype is None:
            del rv.headers["Content-Type"]
        return rv

    rv = client.get("/blob", headers={"Accept-Encoding": "gzip, br"})
    assert rv.data == TEXT
    assert "Content-Encoding" not in rv.headers
    assert "Vary" not in rv.headers


def test_wildcard_mimetypes(app: Carboy, client: CarboyClient) -> None:
    app.config["COMPRESS_MIMETYPES"] = ["text/*"]
    Compress(app)
    route(app, "/csv", "sync", lambda: Response(TEXT, mimetype="text/x-custom"))
    route(app, "/json", "sync", lambda: PAYLOAD)
    assert (
        client.get("/csv", headers={"Accept-Encoding": "gzip"}).headers[
            "Content-Encoding"
        ]
        == "gzip"
    )
    assert (
        "Content-Encoding"
        not in client.get("/json", headers={"Accept-Encoding": "gzip"}).headers
    )


def test_encoded_and_no_transform_responses_are_left_alone(
    compressed: Carboy, client: CarboyClient
) -> None:
    packed = gzip.compress(TEXT)
    route(
        compressed,
        "/packed",
        "sync",
        lambda: (packed, {"Content-Encoding": "gzip", "Content-Type": "text/plain"}),
    )
    route(
        compressed,
        "/raw",
        "sync",
        lambda: (
            TEXT,
            {"Cache-Control": "private, No-Transform", "Content-Type": "text/plain"},
        ),
    )
    route(
        compressed,
        "/digest",
        "sync",
        lambda: (TEXT, {"Content-Digest": "sha-256=:x:", "Content-Type": "text/plain"}),
    )
    rv = client.get("/packed", headers={"Accept-Encoding": "br, gzip"})
    assert (rv.headers["Content-Encoding"], rv.data) == ("gzip", packed)
    for path in ("/raw", "/digest"):
        rv = client.get(path, headers={"Accept-Encoding": "br, gzip"})
        assert ("Content-Encoding" in rv.headers, rv.data) == (False, TEXT)


@pytest.mark.parametrize("status", [204, 101])
def test_bodiless_statuses_are_left_alone(
    compressed: Carboy, client: CarboyClient, status: int
) -> None:
    route(compressed, "/none", "sync", lambda: Response(TEXT, status))
    rv = client.get("/none", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in rv.headers


def test_errors_are_compressed_too(compressed: Carboy, client: CarboyClient) -> None:
    compressed.errorhandler(404)(lambda e: (TEXT.decode(), 404))
    rv = client.get("/missing", headers={"Accept-Encoding": "gzip"})
    assert (rv.status_code, gzip.decompress(rv.data)) == (404, TEXT)


# -- ranges: the attack ------------------------------------------------------------------


@pytest.fixture
def textfile(tmp_path: Path) -> Path:
    path = tmp_path / "big.txt"
    path.write_bytes(TEXT)
    return path


def test_a_range_response_is_never_compressed(
    compressed: Carboy, client: CarboyClient, textfile: Path, kind: str
) -> None:
    """A 206's Content-Range counts identity bytes: a compressed body under it would be
    garbage (or, resumed onto a compressed download, silently corrupt the file)."""
    route(compressed, "/file", kind, lambda: send_file(textfile))
    rv = client.get(
        "/file", headers={"Accept-Encoding": "gzip, br", "Range": "bytes=100-299"}
    )
    assert rv.status_code == 206
    assert "Content-Encoding" not in rv.headers
    assert rv.headers["Content-Range"] == f"bytes 100-299/{len(TEXT)}"
    assert rv.data == TEXT[100:300]
    assert rv.headers["Content-Length"] == "200"


def test_a_hand_made_range_response_is_never_compressed(
    compressed: Carboy, client: CarboyClient
) -> None:
    route(
        compressed,
        "/part",
        "sync",
        lambda: (
            TEXT[:1000],
            200,
            {"Content-Range": f"bytes 0-999/{len(TEXT)}", "Content-Type": "text/plain"},
        ),
    )
    rv = client.get(
        "/part", headers={"Accept-Encoding": "gzip", "Range": "bytes=0-999"}
    )
    assert ("Content-Encoding" in rv.headers, rv.data) == (False, TEXT[:1000])


def test_a_whole_file_is_compressed_and_stops_offering_ranges(
    compressed: Carboy, client: CarboyClient, textfile: Path
) -> None:
    route(compressed, "/file", "sync", lambda: send_file(textfile))
    plain = client.get("/file")
    assert plain.headers["Accept-Ranges"] == "bytes"
    strong = plain.headers["ETag"]
    assert not strong.startswith("W/")
    rv = client.get("/file", headers={"Accept-Encoding": "gzip"})
    assert rv.headers["Content-Encoding"] == "gzip"
    assert "Accept-Ranges" not in rv.headers
    assert "Content-Length" not in rv.headers
    assert rv.headers["ETag"] == "W/" + strong
    assert gzip.decompress(rv.data) == TEXT
    # a Range resumed against the compressed download's tag gets the whole file
    rv = client.get("/file", headers={"Range": "bytes=10-", "If-Range": "W/" + strong})
    assert (rv.status_code, rv.data) == (200, TEXT)


# -- validators, HEAD --------------------------------------------------------------------


def test_strong_etags_become_weak_and_still_give_304(
    compressed: Carboy, client: CarboyClient, kind: str
) -> None:
    def make() -> Response:
        rv = Response(TEXT, mimetype="text/plain")
        rv.set_etag("v1")
        return rv.make_conditional(__import__("carboy").request)

    route(compressed, "/doc", kind, make)
    assert client.get("/doc").headers["ETag"] == '"v1"'
    rv = client.get("/doc", headers={"Accept-Encoding": "gzip"})
    assert rv.headers["ETag"] == 'W/"v1"'
    rv = client.get(
        "/doc", headers={"Accept-Encoding": "gzip", "If-None-Match": 'W/"v1"'}
    )
    assert rv.status_code == 304
    assert rv.headers["ETag"] == 'W/"v1"'
    assert rv.headers["Vary"] == "Accept-Encoding"
    rv = client.get("/doc", headers={"If-None-Match": '"v1"'})
    assert (rv.status_code, rv.headers["ETag"]) == (304, '"v1"')


def test_weak_etags_stay_weak(compressed: Carboy, client: CarboyClient) -> None:
    def make() -> Response:
        rv = Response(TEXT, mimetype="text/plain")
        rv.set_etag("v2", weak=True)
        return rv

    route(compressed, "/doc", "sync", make)
    rv = client.get("/doc", headers={"Accept-Encoding": "gzip"})
    assert rv.headers["ETag"] == 'W/"v2"'


def test_head_gets_the_headers_get_gets(
    compressed: Carboy, client: CarboyClient, kind: str
) -> None:
    route(compressed, "/data", kind, lambda: PAYLOAD)
    get = client.get("/data", headers={"Accept-Encoding": "br"})
    head = client.head("/data", headers={"Accept-Encoding": "br"})
    assert head.data == b""
    for name in ("Content-Encoding", "Content-Length", "Vary", "Content-Type"):
        assert head.headers[name] == get.headers[name]


# -- streams -----------------------------------------------------------------------------


def _wait(gate: threading.Event) -> None:
    assert gate.wait(5), "the test never opened the gate"


async def _await(gate: threading.Event) -> None:
    for _ in range(500):
        if gate.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the test never opened the gate")  # pragma: no cover


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_streams_are_compressed_chunk_by_chunk(
    compressed: Carboy, client: CarboyClient, kind: str, coding: str
) -> None:
    """The second chunk is produced only after the test has decoded the first: a body
    buffered whole, or a chunk held back unflushed, would never open the gate."""
    gate = threading.Event()
    closed: list[bool] = []

    if kind == "sync":

        @compressed.get("/stream")
        def stream() -> Any:
            def generate() -> Iterator[str]:
                try:
                    yield "first "
                    _wait(gate)
                    yield "second"
                finally:
                    closed.append(True)

            return Response(generate(), mimetype="text/plain")

    else:

        @compressed.get("/stream")
        async def stream() -> Any:
            async def generate() -> AsyncIterator[bytes]:
                try:
                    yield b"first "
                    await _await(gate)
                    yield b"second"
                finally:
                    closed.append(True)

            return Response(generate(), mimetype="text/plain")

    response = client.get("/stream", headers={"Accept-Encoding": coding}, stream=True)
    assert response.headers["Content-Encoding"] == coding
    assert "Content-Length" not in response.headers
    decode_chunk = decoder(coding)
    chunks = response.iter_encoded()
    assert decode_chunk(next(chunks)) == b"first "
    gate.set()
    assert b"".join(decode_chunk(c) for c in chunks) == b"second"
    response.close()
    assert closed == [True]


def test_stream_with_context(compressed: Carboy, client: CarboyClient) -> None:
    from carboy import request

    @compressed.get("/hello")
    def hello() -> Any:
        @stream_with_context
        def generate() -> Iterator[str]:
            for _ in range(100):
                yield "Hello " + request.args["name"]

        return Response(generate(), mimetype="text/plain")

    rv = client.get("/hello?name=ada", headers={"Accept-Encoding": "gzip"})
    assert rv.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(rv.data) == b"Hello ada" * 100


def test_event_streams_when_configured(app: Carboy, client: CarboyClient) -> None:
    from carboy.sse import event_stream

    app.config["COMPRESS_MIMETYPES"] = ["text/event-stream"]
    Compress(app)

    @app.get("/events")
    def events() -> Any:
        return event_stream(f"event {n}" for n in range(3))

    response = client.get("/events", headers={"Accept-Encoding": "gzip"}, stream=True)
    decode_chunk = decoder("gzip")
    text = b"".join(decode_chunk(c) for c in response.iter_encoded())
    response.close()
    assert text.count(b"data: event ") == 3


class Endless:
    """A body iterable that records its ``close()`` (a generator that never started
    would run no ``finally``)."""

    def __init__(self, closed: list[bool]) -> None:
        self.closed = closed

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return TEXT

    def close(self) -> None:
        self.closed.append(True)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_stream_left_early_is_closed(
    compressed: Carboy, client: CarboyClient, method: str
) -> None:
    closed: list[bool] = []
    route(
        compressed,
        "/stream",
        "sync",
        lambda: Response(Endless(closed), mimetype="text/plain"),
    )
    response = client.open(
        "/stream", method=method, headers={"Accept-Encoding": "gzip"}, stream=True
    )
    assert response.headers["Content-Encoding"] == "gzip"
    if method == "GET":
        assert decoder("gzip")(next(iter(response.iter_encoded()))) == TEXT
    response.close()
    assert closed == [True]


def test_streams_can_be_left_alone(app: Carboy, client: CarboyClient) -> None:
    app.config["COMPRESS_STREAMS"] = False
    Compress(app)
    route(
        app,
        "/stream",
        "sync",
        lambda: Response((TEXT for _ in range(2)), mimetype="text/plain"),
    )
    rv = client.get("/stream", headers={"Accept-Encoding": "gzip"})
    assert ("Content-Encoding" in rv.headers, rv.data) == (False, TEXT * 2)


def test_jsonify_and_blueprints(compressed: Carboy, client: CarboyClient) -> None:
    from carboy import Blueprint

    bp = Blueprint("api", __name__)
    route(bp, "/list", "sync", lambda: jsonify(PAYLOAD))
    compressed.register_blueprint(bp, url_prefix="/api")
    rv = client.get("/api/list", headers={"Accept-Encoding": "zstd"})
    assert json.loads(decode("zstd", rv.data)) == PAYLOAD


# -- configuration -----------------------------------------------------------------------


def test_unknown_or_missing_algorithms_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with pytest.raises(ValueError, match="'deflate', which carboy cannot produce"):
        CompressSettings.from_config({"COMPRESS_ALGORITHM": ["deflate"]})
    monkeypatch.setitem(__import__("sys").modules, "brotli", None)
    assert available_algorithms() == ("zstd", "gzip")
    with pytest.raises(ValueError, match=r"pip install 'carboy\[compress\]'"):
        CompressSettings.from_config({"COMPRESS_ALGORITHM": "br"})


def test_init_app_registers_the_extension(app: Carboy) -> None:
    compress = Compress()
    compress.init_app(app)
    assert app.extensions["compress"] is compress


class Chunks:
    """An async body iterable without ``aclose``."""

    def __init__(self, chunks: list[bytes | str]) -> None:
        self.chunks = chunks

    def __aiter__(self) -> Chunks:
        return self

    async def __anext__(self) -> bytes | str:
        if not self.chunks:
            raise StopAsyncIteration
        return self.chunks.pop(0)


@pytest.mark.parametrize("body", ["sync", "async"])
def test_empty_chunks_and_bodies_without_close(
    compressed: Carboy, client: CarboyClient, body: str
) -> None:
    chunks: list[bytes | str] = [b"", TEXT, "", TEXT.decode()]

    def make() -> Response:
        source: Any = iter(list(chunks)) if body == "sync" else Chunks(list(chunks))
        return Response(source, mimetype="text/plain")

    route(compressed, "/stream", "sync", make)
    rv = client.get("/stream", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(rv.data) == TEXT * 2


def test_a_large_file_is_not_flushed_block_by_block(
    compressed: Carboy, client: CarboyClient, tmp_path: Path
) -> None:
    path = tmp_path / "large.txt"
    path.write_bytes(TEXT * 20)
    route(compressed, "/file", "sync", lambda: send_file(path))
    rv = client.get("/file", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(rv.data) == TEXT * 20
    assert len(rv.data) < len(TEXT)
