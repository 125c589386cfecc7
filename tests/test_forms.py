"""``request.form``, ``values``, ``get_data`` and form limits, under both adapters."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carboy import Carboy, request
from carboy.sansio.forms import parse_urlencoded
from carboy.sansio.urls import url_encode
from carboy.testing import CarboyClient

FORM = "application/x-www-form-urlencoded"


@pytest.fixture
def app(app: Carboy) -> Carboy:
    @app.route("/form", methods=["GET", "POST", "PUT"])
    def form() -> Any:
        return {
            "form": [list(pair) for pair in request.form.items(multi=True)],
            "files": sorted(request.files),
        }

    @app.post("/values")
    def values() -> Any:
        return {"a": request.values.getlist("a")}

    @app.post("/data")
    def data() -> Any:
        raw = request.get_data(parse_form_data=request.args.get("parse") == "1")
        return {"data": raw.decode("latin-1"), "form": request.form.to_dict()}

    @app.post("/limited")
    def limited() -> Any:
        request.max_form_memory_size = 10
        request.max_form_parts = 2
        return {"form": request.form.to_dict()}

    return app


def test_urlencoded(client: CarboyClient) -> None:
    rv = client.post("/form", data={"a": ["1", "2"], "b": "é ü&="})
    assert rv.status_code == 200
    assert rv.json == {"form": [["a", "1"], ["a", "2"], ["b", "é ü&="]], "files": []}


def test_multipart_fields(client: CarboyClient) -> None:
    rv = client.post(
        "/form",
        data={"a": "1", "b": "ünï", "f": (io.BytesIO(b"x"), "x.txt")},
        content_type="multipart/form-data",
    )
    assert rv.status_code == 200
    assert rv.json == {"form": [["a", "1"], ["b", "ünï"]], "files": ["f"]}


def test_put_form(client: CarboyClient) -> None:
    rv = client.put("/form", data={"a": "1"})
    assert rv.json["form"] == [["a", "1"]]


def test_no_body_gives_empty_form(client: CarboyClient) -> None:
    assert client.get("/form").json == {"form": [], "files": []}
    assert client.post("/form").json == {"form": [], "files": []}


def test_other_content_type_is_not_parsed(client: CarboyClient) -> None:
    rv = client.post("/data", data=b"a=1", content_type="text/plain")
    assert rv.json == {"data": "a=1", "form": {}}


def test_content_type_params_are_ignored_for_urlencoded(client: CarboyClient) -> None:
    rv = client.post("/form", data=b"a=1", content_type=f"{FORM}; charset=utf-8; x=")
    assert rv.json["form"] == [["a", "1"]]


def test_values_combines_args_and_form(client: CarboyClient) -> None:
    rv = client.post("/values?a=q", data={"a": "f"})
    assert rv.json == {"a": ["q", "f"]}


def test_get_data_before_form_keeps_the_body(client: CarboyClient) -> None:
    # As in Flask: the form is still parsed, from the cached body.
    rv = client.post("/data", data=b"a=1&b=2", content_type=FORM)
    assert rv.json == {"data": "a=1&b=2", "form": {"a": "1", "b": "2"}}


def test_get_data_with_parse_form_data(client: CarboyClient) -> None:
    rv = client.post("/data?parse=1", data=b"a=1&b=2", content_type=FORM)
    assert rv.json == {"data": "", "form": {"a": "1", "b": "2"}}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"a=%ff", FORM),
        (b"%ff%fe=1", FORM),
        (b"a=\xc3", FORM),
        (
            b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\n\xff\xfe\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
        (
            b'--b\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nv\r\n--b--\r\n',
            "multipart/form-data; boundary=b",
        ),
    ],
)
def test_invalid_utf8_is_400(
    client: CarboyClient, body: bytes, content_type: str
) -> None:
    assert client.post("/form", data=body, content_type=content_type).status_code == 400


def test_too_many_urlencoded_fields_is_413(app: Carboy, client: CarboyClient) -> None:
    app.config["MAX_FORM_PARTS"] = 3
    assert (
        client.post("/form", data=b"a=1&b=2&c=3", content_type=FORM).status_code == 200
    )
    assert (
        client.post("/form", data=b"a=1&b=2&c=3&d", content_type=FORM).status_code
        == 413
    )


def test_too_many_multipart_parts_is_413(app: Carboy, client: CarboyClient) -> None:
    app.config["MAX_FORM_PARTS"] = 3
    assert (
        client.post(
            "/form", data={"a": ["1"] * 3}, content_type="multipart/form-data"
        ).status_code
        == 200
    )
    rv = client.post("/form", data={"a": ["1"] * 4}, content_type="multipart/form-data")
    assert rv.status_code == 413


def test_urlencoded_body_over_memory_limit_is_413(
    app: Carboy, client: CarboyClient
) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 20
    assert client.post("/form", data={"a": "x" * 18}).status_code == 200
    assert client.post("/form", data={"a": "x" * 19}).status_code == 413


def test_multipart_fields_over_memory_limit_is_413(
    app: Carboy, client: CarboyClient
) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 100
    ok = {"a": "x" * 50, "b": "y" * 50}
    assert (
        client.post("/form", data=ok, content_type="multipart/form-data").status_code
        == 200
    )
    big = {"a": "x" * 50, "b": "y" * 51}
    assert (
        client.post("/form", data=big, content_type="multipart/form-data").status_code
        == 413
    )


def test_files_do_not_count_as_form_memory(app: Carboy, client: CarboyClient) -> None:
    app.config["MAX_FORM_MEMORY_SIZE"] = 10
    rv = client.post("/form", data={"f": (io.BytesIO(b"z" * 5000), "z.bin")})
    assert rv.status_code == 200


def test_per_request_limits(client: CarboyClient) -> None:
    assert client.post("/limited", data={"a": "1", "b": "2"}).status_code == 200
    assert (
        client.post("/limited", data={"a": "1", "b": "2", "c": "3"}).status_code == 413
    )
    assert client.post("/limited", data={"a": "x" * 20}).status_code == 413


def test_content_length_over_max_is_413_before_reading(
    app: Carboy, client: CarboyClient
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 100
    rv = client.post(
        "/form", data=b"a=1", content_type=FORM, headers={"Content-Length": "101"}
    )
    assert rv.status_code == 413


@pytest.mark.parametrize(
    ("length", "status"),
    [("-1", 400), ("abc", 400), ("²³", 400), ("1e3", 400)]
    + [("99999999999999999999999", 413)],  # too large for 64 bits: too large
)
def test_invalid_content_length(client: CarboyClient, length: str, status: int) -> None:
    rv = client.post(
        "/form", data=b"a=1", content_type=FORM, headers={"Content-Length": length}
    )
    assert rv.status_code == status


def test_body_shorter_than_content_length_is_400(client: CarboyClient) -> None:
    rv = client.post(
        "/form", data=b"a=1", content_type=FORM, headers={"Content-Length": "10"}
    )
    assert rv.status_code == 400


def test_body_longer_than_content_length_is_cut(client: CarboyClient) -> None:
    rv = client.post(
        "/form", data=b"a=1&b=2", content_type=FORM, headers={"Content-Length": "3"}
    )
    assert rv.json["form"] == [["a", "1"]]


# -- chunked bodies (no Content-Length) ---------------------------------------------


def _wsgi_chunked(
    app: Carboy, body_chunks: list[bytes], content_type: str
) -> tuple[str, bytes]:
    def start_response(status: str, headers: list[tuple[str, str]]) -> None:
        seen.append(status)

    class Input:
        def __init__(self) -> None:
            self._data = io.BytesIO(b"".join(body_chunks))

        def read(self, size: int = -1) -> bytes:
            return self._data.read(size)

    seen: list[str] = []
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/form",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "wsgi.url_scheme": "http",
        "wsgi.input": Input(),
        "wsgi.input_terminated": True,
        "CONTENT_TYPE": content_type,
        "HTTP_TRANSFER_ENCODING": "chunked",
    }
    body = b"".join(app.wsgi_app(environ, start_response))
    return seen[0], body


def _asgi_chunked(
    app: Carboy, body_chunks: list[bytes], content_type: str
) -> tuple[str, bytes]:
    messages = [
        {"type": "http.request", "body": chunk, "more_body": True}
        for chunk in body_chunks
    ] + [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/form",
        "raw_path": b"/form",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"localhost"),
            (b"content-type", content_type.encode()),
            (b"transfer-encoding", b"chunked"),
        ],
        "server": ("localhost", 80),
        "client": ("127.0.0.1", 1234),
    }
    asyncio.run(app.asgi_app(scope, receive, send))  # type: ignore[arg-type]
    body = b"".join(
        m.get("body", b"") for m in sent if m["type"] == "http.response.body"
    )
    return str(sent[0]["status"]), body


@pytest.mark.parametrize("runner", [_wsgi_chunked, _asgi_chunked], ids=["wsgi", "asgi"])
def test_chunked_bodies(app: Carboy, runner: Any) -> None:
    status, body = runner(app, [b"a=1&", b"b=2"], FORM)
    assert status.startswith("200")
    assert b'"form":[["a","1"],["b","2"]]' in body
    multipart = (
        b'--b\r\nContent-Disposition: form-data; name="m"\r\n\r\nmm\r\n',
        b"--b--\r\n",
    )
    status, body = runner(app, list(multipart), "multipart/form-data; boundary=b")
    assert status.startswith("200")
    assert b'[["m","mm"]]' in body


@pytest.mark.parametrize("runner", [_wsgi_chunked, _asgi_chunked], ids=["wsgi", "asgi"])
def test_chunked_body_over_limit_is_413(app: Carboy, runner: Any) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    status, _ = runner(app, [b"a=" + b"x" * 600, b"y" * 600], FORM)
    assert status.startswith("413")


# -- properties ------------------------------------------------------------------------

pairs = st.lists(st.tuples(st.text(min_size=1), st.text()), max_size=8)


@given(pairs)
def test_urlencoded_round_trip(items: list[tuple[str, str]]) -> None:
    body = url_encode(items).encode()
    got = parse_urlencoded(io.BytesIO(body), max_memory=None, max_fields=None)
    assert got == [(k, v) for k, v in items]


@pytest.mark.parametrize("proto", ["wsgi", "asgi"])
@settings(max_examples=40, deadline=None)
@given(body=st.binary(max_size=60))
def test_any_urlencoded_body_is_never_a_500(proto: str, body: bytes) -> None:
    app = Carboy("prop")

    @app.post("/")
    def index() -> Any:
        return {"n": len(request.form)}

    rv = app.test_client(protocol=proto).post("/", data=body, content_type=FORM)
    assert rv.status_code in (200, 400, 413)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return
    if b"%" not in body:
        assert rv.status_code == 200
