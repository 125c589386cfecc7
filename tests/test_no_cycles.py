"""A request leaves no reference cycle behind: everything it made is freed by reference
counting the moment it ends, and the garbage collector has nothing to do for it.

A cycle per request (a body that points back at its request, an error whose traceback
frames hold the request) costs every request a share of a collection, and keeps its
objects (bodies, uploads) alive until one runs.
"""

from __future__ import annotations

import asyncio
import gc
import io
from collections.abc import Iterator
from typing import Any

import pytest

from carboy import Carboy, abort, jsonify, redirect, request
from carboy.testing import encode_multipart


def make_app(is_async: bool) -> Carboy:
    app = Carboy(__name__)

    def hello() -> Any:
        return "Hello", {"Content-Type": "text/plain; charset=utf-8"}

    def echo() -> Any:
        return jsonify(
            json=request.get_json(silent=True),
            form=request.form.to_dict(),
            files=sorted(request.files),
            args=request.args.to_dict(),
        )

    def strict() -> Any:
        return jsonify(request.get_json())

    def forbidden() -> Any:
        abort(403)

    def moved() -> Any:
        return redirect("/")

    views = {
        "hello": hello,
        "echo": echo,
        "strict": strict,
        "forbidden": forbidden,
        "moved": moved,
    }
    for name, func in views.items():
        view = func
        if is_async:

            async def view(_func: Any = func) -> Any:
                return _func()

        app.add_url_rule(f"/{name}", name, view, methods=["GET", "POST"])
    return app


_MULTIPART, _MULTIPART_TYPE = encode_multipart(
    [("a", "1"), ("f", (io.BytesIO(b"x" * 5000), "f.txt"))]
)

#: (method, path, content type, body): every way through a request.
REQUESTS = [
    ("GET", "/hello", None, b""),
    ("GET", "/echo?q=1&q=2", None, b""),
    ("POST", "/echo", "application/json", b'{"a": [1, 2]}'),
    ("POST", "/echo", "application/x-www-form-urlencoded", b"a=1&b=%C3%A9"),
    ("POST", "/echo", _MULTIPART_TYPE, _MULTIPART),
    ("GET", "/nowhere", None, b""),
    ("PUT", "/hello", None, b""),
    ("GET", "/forbidden", None, b""),
    ("GET", "/moved", None, b""),
    ("POST", "/strict", "application/json", b"{not json"),
]


def call_wsgi(
    app: Carboy, method: str, path: str, ctype: str | None, body: bytes
) -> int:
    path, _, query = path.partition("?")
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    if ctype:
        environ["CONTENT_TYPE"] = ctype
    statuses: list[str] = []
    result = app.wsgi_app(environ, lambda status, headers: statuses.append(status))
    b"".join(result)
    getattr(result, "close", lambda: None)()
    return int(statuses[0][:3])


async def call_asgi(
    app: Carboy, method: str, path: str, ctype: str | None, body: bytes
) -> int:
    path, _, query = path.partition("?")
    headers = [(b"host", b"localhost"), (b"content-length", str(len(body)).encode())]
    if ctype:
        headers.append((b"content-type", ctype.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 5000),
        "server": ("localhost", 80),
    }
    messages: Iterator[dict[str, Any]] = iter(
        [{"type": "http.request", "body": body, "more_body": False}]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return next(messages, {"type": "http.disconnect"})

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app.asgi_app(scope, receive, send)
    return int(sent[0]["status"])


EXPECTED = [200, 200, 200, 200, 200, 404, 405, 403, 302, 400]


@pytest.mark.parametrize("is_async", [False, True], ids=["def", "async"])
@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_requests_leave_no_cycles(protocol: str, is_async: bool) -> None:
    app = make_app(is_async)

    def run_all() -> list[int]:
        if protocol == "wsgi":
            return [call_wsgi(app, *r) for r in REQUESTS]

        async def main() -> list[int]:
            return [await call_asgi(app, *r) for r in REQUESTS]

        return loop.run_until_complete(main())

    loop = asyncio.new_event_loop()
    try:
        assert run_all() == EXPECTED  # warmed up: caches, plans, imports
        gc.collect()
        gc.disable()
        try:
            for _ in range(3):
                assert run_all() == EXPECTED
            found = gc.collect()
        finally:
            gc.enable()
    finally:
        loop.close()
    assert found == 0
