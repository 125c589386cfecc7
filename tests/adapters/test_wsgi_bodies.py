"""WSGI request bodies: short reads, chunked bodies and limits, as servers deliver them."""

from __future__ import annotations

import io
from typing import Any

import pytest

from carboy import Carboy, request

from .test_wsgi import Server, make_environ


class TrickleInput:
    """A ``wsgi.input`` that returns at most ``step`` bytes per read (as sockets do)."""

    def __init__(self, data: bytes, step: int = 3) -> None:
        self._stream = io.BytesIO(data)
        self.step = step
        self.read_bytes = 0

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self.step:
            size = self.step
        chunk = self._stream.read(size)
        self.read_bytes += len(chunk)
        return chunk


@pytest.fixture
def app() -> Carboy:
    app = Carboy("wsgi_bodies")

    @app.post("/data")
    def data() -> bytes:
        return request.get_data()

    @app.post("/form")
    def form() -> Any:
        return request.form.to_dict()

    return app


def test_short_reads_are_read_to_the_content_length(app: Carboy) -> None:
    server = Server(app)
    body = b"0123456789" * 10
    environ = make_environ("/data", "POST", CONTENT_LENGTH="100",
                           **{"wsgi.input": TrickleInput(body)})  # fmt: skip
    assert server(environ) == body
    assert server.status == "200 OK"


def test_short_reads_of_a_form(app: Carboy) -> None:
    server = Server(app)
    body = b"a=1&b=" + b"x" * 50
    environ = make_environ("/form", "POST", CONTENT_LENGTH=str(len(body)),
                           CONTENT_TYPE="application/x-www-form-urlencoded",
                           **{"wsgi.input": TrickleInput(body)})  # fmt: skip
    assert server(environ) == b'{"a":"1","b":"' + b"x" * 50 + b'"}\n'


def test_chunked_body_never_read_past_the_limit(app: Carboy) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    source = TrickleInput(b"x" * 1_000_000, step=1_000_000)
    environ = make_environ("/data", "POST", **{"wsgi.input": source,
                                               "wsgi.input_terminated": True})  # fmt: skip
    server = Server(app)
    server(environ)
    assert server.status == "413 Content Too Large"
    assert source.read_bytes == 1001


def test_chunked_body_within_the_limit(app: Carboy) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    source = TrickleInput(b"y" * 1000, step=7)
    environ = make_environ("/data", "POST", **{"wsgi.input": source,
                                               "wsgi.input_terminated": True})  # fmt: skip
    assert Server(app)(environ) == b"y" * 1000


def test_chunked_body_without_limit(app: Carboy) -> None:
    app.config["MAX_CONTENT_LENGTH"] = None
    source = TrickleInput(b"z" * 100_000, step=100_000)
    environ = make_environ("/data", "POST", **{"wsgi.input": source,
                                               "wsgi.input_terminated": True})  # fmt: skip
    assert Server(app)(environ) == b"z" * 100_000


def test_method_is_upper_cased(app: Carboy) -> None:
    @app.route("/m", methods=["GET", "POST"])
    def m() -> str:
        return request.method

    assert Server(app)(make_environ("/m", "post")) == b"POST"
