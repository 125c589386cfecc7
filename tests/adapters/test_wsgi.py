"""The WSGI adapter called directly, as a PEP 3333 server would."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from carboy import Carboy, Response, request


def make_environ(path: str = "/", method: str = "GET", **extra: Any) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    environ.update(extra)
    return environ


class Server:
    """Records what the app passes to start_response and always closes the body."""

    def __init__(self, app: Carboy) -> None:
        self.app = app
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.closed = False

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        self.status = status
        self.headers = headers
        return lambda data: None

    def __call__(self, environ: dict[str, Any]) -> bytes:
        body = self.app(environ, self.start_response)
        try:
            return b"".join(body)
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
                self.closed = True


@pytest.fixture
def app() -> Carboy:
    app = Carboy("wsgi_app", static_folder=None)
    app.testing = True

    @app.get("/")
    def index() -> str:
        return "hello"

    return app


def test_status_line_and_header_types(app: Carboy) -> None:
    server = Server(app)
    assert server(make_environ()) == b"hello"
    assert server.status == "200 OK"
    assert isinstance(server.status, str)
    assert type(server.headers) is list
    for name, value in server.headers:
        assert type(name) is str and type(value) is str
        name.encode("latin-1")
        value.encode("latin-1")
    assert ("Content-Length", "5") in server.headers


def test_status_line_for_errors(app: Carboy) -> None:
    server = Server(app)
    server(make_environ("/missing"))
    assert server.status == "404 Not Found"
    server(make_environ("/", method="POST"))
    assert server.status == "405 Method Not Allowed"


def test_custom_status_line(app: Carboy) -> None:
    @app.get("/custom")
    def custom() -> Response:
        return Response("x", "299 Fine Thanks")

    server = Server(app)
    server(make_environ("/custom"))
    assert server.status == "299 Fine Thanks"


def test_non_ascii_header_value_is_latin1_string(app: Carboy) -> None:
    @app.get("/h")
    def h() -> Response:
        rv = Response("x")
        rv.headers["X-Latin"] = "café"
        return rv

    server = Server(app)
    server(make_environ("/h"))
    value = dict(server.headers)["X-Latin"]
    assert type(value) is str
    value.encode("latin-1")


def test_path_info_is_latin1_decoded_utf8(app: Carboy) -> None:
    @app.get("/<name>")
    def name(name: str) -> str:
        return name

    server = Server(app)
    raw = "/café".encode().decode("latin-1")  # how a server hands over UTF-8 bytes
    assert server(make_environ(raw)) == "café".encode()


def test_script_name_mount(app: Carboy) -> None:
    @app.get("/where")
    def where() -> dict[str, str]:
        return {"root": request.script_root, "path": request.path, "url": request.url}

    server = Server(app)
    body = server(make_environ("/where", SCRIPT_NAME="/mount"))
    import json

    assert json.loads(body) == {
        "root": "/mount",
        "path": "/where",
        "url": "http://localhost/mount/where",
    }


def test_close_called_for_every_body_kind(app: Carboy) -> None:
    closed: list[str] = []

    @app.get("/plain")
    def plain() -> Response:
        rv = Response("x")
        rv.call_on_close(lambda: closed.append("plain"))
        return rv

    @app.get("/gen")
    def gen() -> Response:
        def body() -> Iterator[bytes]:
            try:
                yield b"a"
                yield b"b"
            finally:
                closed.append("gen-finally")

        rv = Response(body())
        rv.call_on_close(lambda: closed.append("gen"))
        return rv

    server = Server(app)
    assert server(make_environ("/plain")) == b"x"
    assert server(make_environ("/gen")) == b"ab"
    assert closed == ["plain", "gen-finally", "gen"]


def test_close_when_client_stops_early(app: Carboy) -> None:
    closed: list[str] = []

    @app.get("/gen")
    def gen() -> Response:
        def body() -> Iterator[bytes]:
            try:
                yield b"a"
                yield b"b"
            finally:
                closed.append("finally")

        return Response(body())

    server = Server(app)
    iterable = app(make_environ("/gen"), server.start_response)
    iterator = iter(iterable)
    assert next(iterator) == b"a"
    iterable.close()  # type: ignore[attr-defined]
    assert closed == ["finally"]


def test_head_has_no_body_and_closes(app: Carboy) -> None:
    closed: list[bool] = []

    @app.get("/h")
    def h() -> Response:
        rv = Response("body")
        rv.call_on_close(lambda: closed.append(True))
        return rv

    server = Server(app)
    assert server(make_environ("/h", method="HEAD")) == b""
    assert ("Content-Length", "4") in server.headers
    assert closed == [True]


def test_file_wrapper_is_used(app: Carboy, tmp_path: Any) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes(b"file contents")
    wrapped: list[Any] = []

    class FileWrapper:
        def __init__(self, file: Any, block_size: int = 8192) -> None:
            wrapped.append(file)
            self.file = file
            self.block_size = block_size

        def __iter__(self) -> Iterator[bytes]:
            while chunk := self.file.read(self.block_size):
                yield chunk

        def close(self) -> None:
            self.file.close()

    @app.get("/file")
    def file() -> Response:
        from carboy import send_file

        return send_file(str(path))

    server = Server(app)
    body = server(make_environ("/file", **{"wsgi.file_wrapper": FileWrapper}))
    assert body == b"file contents"
    assert len(wrapped) == 1
    assert wrapped[0].closed


def test_body_read_from_wsgi_input(app: Carboy) -> None:
    @app.post("/echo")
    def echo() -> bytes:
        return request.get_data()

    server = Server(app)
    body = server(
        make_environ(
            "/echo",
            method="POST",
            CONTENT_LENGTH="5",
            CONTENT_TYPE="application/octet-stream",
            **{"wsgi.input": io.BytesIO(b"12345extra")},
        )
    )
    assert body == b"12345"


def test_body_without_length_is_not_read(app: Carboy) -> None:
    @app.post("/echo")
    def echo() -> bytes:
        return request.get_data()

    server = Server(app)
    body = server(
        make_environ("/echo", method="POST", **{"wsgi.input": io.BytesIO(b"x" * 10)})
    )
    assert body == b""


def test_body_without_length_when_input_terminated(app: Carboy) -> None:
    @app.post("/echo")
    def echo() -> bytes:
        return request.get_data()

    server = Server(app)
    body = server(
        make_environ(
            "/echo",
            method="POST",
            **{"wsgi.input": io.BytesIO(b"chunked"), "wsgi.input_terminated": True},
        )
    )
    assert body == b"chunked"


def test_environ_is_available(app: Carboy) -> None:
    @app.get("/env")
    def env() -> str:
        assert request.environ is not None
        assert request.scope is None
        return str(request.environ["custom.key"])

    assert Server(app)(make_environ("/env", **{"custom.key": "v"})) == b"v"


def test_wsgi_app_can_be_wrapped(app: Carboy) -> None:
    inner = app.wsgi_app

    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        environ["PATH_INFO"] = "/"
        return inner(environ, start_response)

    app.wsgi_app = middleware  # type: ignore[method-assign]
    assert Server(app)(make_environ("/anything")) == b"hello"


def test_exception_propagates_with_testing_and_teardown_runs(app: Carboy) -> None:
    seen: list[Any] = []

    @app.get("/boom")
    def boom() -> str:
        raise ZeroDivisionError()

    app.teardown_request(seen.append)
    with pytest.raises(ZeroDivisionError):
        Server(app)(make_environ("/boom"))
    assert len(seen) == 1 and isinstance(seen[0], ZeroDivisionError)
