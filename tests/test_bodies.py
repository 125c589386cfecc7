"""Request bodies under both adapters: nothing lost, nothing truncated, limits first.

Each reader (``get_data``, ``form``, ``files``, ``get_json``, ``stream``) is tried from
a plain and an ``async def`` view, through the WSGI and the ASGI adapter.
"""

from __future__ import annotations

import io
import json
import tempfile
from collections.abc import Callable
from typing import Any

import pytest

from carboy import Carboy, request
from carboy.exceptions import ClientDisconnected
from carboy.testing import CarboyClient, encode_multipart

READERS = ["data", "form", "files", "json", "stream"]


def _read(reader: str) -> Any:
    if reader == "data":
        return len(request.get_data())
    if reader == "form":
        return request.form.to_dict()
    if reader == "files":
        return {k: f.read().decode() for k, f in request.files.items()}
    if reader == "json":
        return request.get_json()
    chunks = []
    while chunk := request.stream.read(7):
        chunks.append(chunk)
    return len(b"".join(chunks))


def _route(app: Carboy, is_async: bool) -> list[Any]:
    """``/read/<reader>``: returns what the reader gave; records every return."""
    seen: list[Any] = []

    def plain(reader: str) -> Any:
        value = _read(reader)
        seen.append(value)
        return {"value": value}

    async def coro(reader: str) -> Any:
        return plain(reader)

    app.add_url_rule("/read/<reader>", view_func=coro if is_async else plain,
                     methods=["POST"])  # fmt: skip
    return seen


def _body(reader: str) -> tuple[bytes, str]:
    if reader == "form":
        return b"a=1&b=" + b"x" * 900, "application/x-www-form-urlencoded"
    if reader == "files":
        return encode_multipart([("f", (io.BytesIO(b"y" * 900), "f.txt"))])
    if reader == "json":
        return json.dumps({"k": "v" * 900}).encode(), "application/json"
    return b"z" * 1000, "application/octet-stream"


@pytest.fixture(params=["sync", "async"])
def is_async(request: pytest.FixtureRequest) -> bool:
    return request.param == "async"  # type: ignore[no-any-return]


# -- truncated bodies -----------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_body_shorter_than_content_length_is_400(
    app: Carboy, client: CarboyClient, is_async: bool, reader: str
) -> None:
    seen = _route(app, is_async)
    body, content_type = _body(reader)
    rv = client.post(
        f"/read/{reader}",
        data=body[:20],
        content_type=content_type,
        headers={"Content-Length": str(len(body))},
    )
    assert rv.status_code == 400
    assert b"disconnected" in rv.data
    assert seen == []  # no view ever returned with part of a body


def test_stream_raises_client_disconnected(app: Carboy, client: CarboyClient) -> None:
    raised: list[str] = []

    @app.post("/")
    def view() -> str:
        try:
            raised.append(request.stream.read(10).decode())
            request.stream.read()
        except ClientDisconnected as e:
            raised.append(type(e).__name__)
            raise
        return "whole"  # pragma: no cover

    rv = client.post("/", data=b"a" * 20, headers={"Content-Length": "1000"})
    assert rv.status_code == 400
    if client.protocol == "wsgi":
        # WSGI streams: the first bytes are read, the read that hits the end raises.
        assert raised == ["a" * 10, "ClientDisconnected"]
    else:
        # ASGI receives the whole body first: the first read raises.
        assert raised == ["ClientDisconnected"]


@pytest.mark.parametrize("reader", READERS)
def test_whole_bodies_still_arrive(
    app: Carboy, client: CarboyClient, is_async: bool, reader: str
) -> None:
    _route(app, is_async)
    body, content_type = _body(reader)
    rv = client.post(f"/read/{reader}", data=body, content_type=content_type)
    assert rv.status_code == 200
    expected = {
        "data": 1000,
        "stream": 1000,
        "form": {"a": "1", "b": "x" * 900},
        "files": {"f": "y" * 900},
        "json": {"k": "v" * 900},
    }[reader]
    assert rv.json == {"value": expected}


# -- Content-Length values ------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    ("length", "status"),
    [
        ("9" * 30, 413),  # a valid number that does not fit in 64 bits
        ("18446744073709551616", 413),  # 2**64
        ("1" + "0" * 5000, 413),  # more digits than int() converts
        ("2000", 413),  # over MAX_CONTENT_LENGTH
        ("12a", 400),
        ("-5", 400),
        ("+5", 400),
        ("0x10", 400),
        ("1 000", 400),
        ("\u00b2", 400),  # a digit to str.isdigit(), but not an ASCII one
    ],
)
def test_content_length_values(
    app: Carboy, client: CarboyClient, reader: str, length: str, status: int
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1500
    seen = _route(app, False)
    body, content_type = _body(reader)
    rv = client.post(
        f"/read/{reader}",
        data=body,
        content_type=content_type,
        headers={"Content-Length": length},
    )
    assert rv.status_code == status
    assert seen == []


def test_empty_content_length_is_no_length(app: Carboy, client: CarboyClient) -> None:
    # PEP 3333: an empty CONTENT_LENGTH is an absent one; ASGI answers the same.
    @app.post("/")
    def view() -> Any:
        return {"length": request.content_length, "data": len(request.get_data())}

    rv = client.post("/", headers={"Content-Length": ""})
    assert rv.status_code == 200
    assert rv.json == {"length": None, "data": 0}


def test_content_length_with_leading_zeros(app: Carboy, client: CarboyClient) -> None:
    @app.post("/")
    def view() -> bytes:
        return request.get_data()

    rv = client.post("/", data=b"abc", headers={"Content-Length": "0003"})
    assert rv.status_code == 200
    assert rv.data == b"abc"


# -- 413 whichever reader -------------------------------------------------------------


@pytest.mark.parametrize("reader", READERS)
def test_over_limit_is_413_with_content_length(
    app: Carboy, client: CarboyClient, is_async: bool, reader: str
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 500
    seen = _route(app, is_async)
    body, content_type = _body(reader)
    rv = client.post(f"/read/{reader}", data=body, content_type=content_type)
    assert rv.status_code == 413
    assert seen == []


# -- limits before the work they guard ------------------------------------------------


def test_form_parts_limit_opens_no_file_for_the_part_past_it(
    app: Carboy, client: CarboyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    app.config["MAX_FORM_PARTS"] = 5
    rolled: list[int] = []
    rollover = tempfile.SpooledTemporaryFile.rollover

    def counting(self: Any) -> None:
        rolled.append(1)
        rollover(self)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", counting)
    seen = _route(app, False)
    parts = [(f"f{i}", (io.BytesIO(b"x" * 600_000), f"{i}.bin")) for i in range(6)]
    body, content_type = encode_multipart(parts)
    app.config["MAX_CONTENT_LENGTH"] = 2 * len(body)
    rv = client.post("/read/files", data=body, content_type=content_type)
    assert rv.status_code == 413
    assert len(rolled) == 5  # one disk file per allowed part, none for the sixth
    assert seen == []


def test_form_memory_limit_reads_no_byte_past_it(
    app: Carboy, client: CarboyClient
) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 100
    source = _CountingInput(b"a=" + b"x" * 1_000_000)
    _route(app, False)
    rv = client.post(
        "/read/form",
        data=b"",
        content_type="application/x-www-form-urlencoded",
        headers={"Content-Length": str(len(source.data))},
        environ_overrides={"wsgi.input": source},
    )
    assert rv.status_code == 413
    if client.protocol == "wsgi":
        assert source.read_bytes <= 101


class _CountingInput:
    """A ``wsgi.input`` that counts the bytes it hands out."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._stream = io.BytesIO(data)
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._stream.read(size)
        self.read_bytes += len(chunk)
        return chunk


# -- multipart filename* --------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "filename"),
    [
        ("name=\"f\"; filename*=UTF-8''na%C3%AFve.txt", "naïve.txt"),
        ('name="f"; filename="plain.txt"; filename*=UTF-8\'\'%E2%82%AC.txt', "€.txt"),
        ("name=\"f\"; filename*=utf-8'en'a%20b.txt", "a b.txt"),
    ],
)
def test_rfc5987_filename_is_a_file(
    app: Carboy, client: CarboyClient, disposition: str, filename: str
) -> None:
    @app.post("/")
    def view() -> Any:
        return {
            k: [f.filename, f.read().decode()] for k, f in request.files.items()
        } | {"form": request.form.to_dict()}

    body = (
        f"--b\r\nContent-Disposition: form-data; {disposition}\r\n\r\nhello\r\n--b--\r\n"
    ).encode()
    rv = client.post("/", data=body, content_type="multipart/form-data; boundary=b")
    assert rv.status_code == 200
    assert rv.json == {"f": [filename, "hello"], "form": {}}


# -- the adapters agree ---------------------------------------------------------------


def _echo(app: Carboy) -> Callable[[], Any]:
    @app.route("/echo", methods=["GET", "POST"])
    def echo() -> Any:
        return {
            "method": request.method,
            "url": request.url,
            "multi": request.headers.getlist("X-Multi"),
            "type": request.mimetype,
            "cookies": request.cookies.to_dict(),
        }

    return echo


def test_repeated_host_is_400(app: Carboy, client: CarboyClient) -> None:
    _echo(app)
    rv = client.get("/echo", headers=[("Host", "a.example"), ("Host", "b.example")])
    assert rv.status_code == 400
    assert b"more than one Host header" in rv.data


def test_repeated_host_is_400_even_unread(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return "never"  # pragma: no cover

    rv = client.get("/", headers=[("Host", "a.example"), ("Host", "a.example")])
    assert rv.status_code == 400


@pytest.mark.parametrize("lengths", [("3", "4"), ("4", "4")])
def test_repeated_content_length_is_400(
    app: Carboy, client: CarboyClient, lengths: tuple[str, str]
) -> None:
    @app.post("/")
    def view() -> bytes:
        return request.get_data()

    rv = client.post(
        "/", data=b"abcd", headers=[("Content-Length", n) for n in lengths]
    )
    assert rv.status_code == 400


def test_repeated_headers_are_joined_in_both(app: Carboy, client: CarboyClient) -> None:
    _echo(app)
    rv = client.post(
        "/echo",
        data=b"{}",
        headers=[
            ("X-Multi", "1"),
            ("X-Multi", "2"),
            ("Content-Type", "application/json"),
            ("Content-Type", "text/plain"),
            ("Cookie", "a=1"),
            ("Cookie", "b=2"),
        ],
    )
    assert rv.status_code == 200
    assert rv.json == {
        "method": "POST",
        "url": "http://localhost/echo",
        "multi": ["1, 2"],
        "type": "application/json, text/plain",
        "cookies": {"a": "1", "b": "2"},
    }


def test_repeated_content_type_is_not_json(app: Carboy, client: CarboyClient) -> None:
    @app.post("/")
    def view() -> Any:
        return {"json": request.get_json()}

    rv = client.post(
        "/",
        data=b"{}",
        headers=[("Content-Type", "application/json"), ("Content-Type", "text/x")],
    )
    assert rv.status_code == 415


# -- found by tests/test_fuzz.py ------------------------------------------------------


def test_empty_header_is_empty_in_both(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> Any:
        return {
            "referrer": request.referrer,
            "agent": request.user_agent,
            "type": request.content_type,
            "x": request.headers.get("X-Empty"),
        }

    rv = client.get(
        "/",
        headers=[
            ("Referer", ""),
            ("User-Agent", ""),
            ("X-Empty", ""),
            ("Content-Type", ""),
        ],  # fmt: skip
    )
    assert rv.json == {"referrer": "", "agent": "", "type": None, "x": ""}


def test_host_with_a_comma_is_400(app: Carboy, client: CarboyClient) -> None:
    # What a WSGI server makes of two Host headers: refused the same under ASGI.
    @app.get("/")
    def index() -> str:
        return "never"  # pragma: no cover

    assert client.get("/", headers={"Host": "a.example, b.example"}).status_code == 400
    assert client.get("/", headers={"Host": ", "}).status_code == 400


@pytest.mark.parametrize("length", ["", " ", "\t"])
def test_blank_content_length_means_no_body(
    app: Carboy, client: CarboyClient, length: str
) -> None:
    # HTTP/1.1 framing: no usable length, not chunked: no body, under both adapters.
    @app.post("/")
    def view() -> Any:
        return {"data": request.get_data().decode(), "length": request.content_length}

    rv = client.post("/", data=b"abc", headers={"Content-Length": length})
    assert rv.json == {"data": "", "length": None}
