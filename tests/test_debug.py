"""The debug page (carboy.debug.DebugMiddleware), called as a WSGI and as an ASGI
application, with plain and ``async def`` views."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from carboy import Carboy, Response
from carboy.debug import (
    DebugMiddleware,
    exception_chain,
    is_library_file,
    render_html,
    render_text,
    wants_html,
)
from carboy.testing import build_environ, scope_from_environ

HOSTILE = "<script>alert(\"x\")</script> & 'quotes'"


def call_wsgi(app: Any, path: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
    environ = build_environ(path, **kwargs)
    status: list[Any] = []

    def start_response(
        s: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Any:
        status[:] = [s, headers]
        return lambda data: None

    body_iter = app(environ, start_response)
    try:
        body = b"".join(body_iter)
    finally:
        getattr(body_iter, "close", lambda: None)()
    return int(status[0].split()[0]), dict(status[1]), body


def call_asgi(app: Any, path: str, **kwargs: Any) -> tuple[int, dict[str, str], bytes]:
    scope = scope_from_environ(build_environ(path, **kwargs))
    messages: list[dict[str, Any]] = []
    received = False

    async def receive() -> dict[str, Any]:
        # The body once, then nothing until the client leaves (as a server does).
        nonlocal received
        if received:
            await asyncio.Event().wait()
        received = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))
    start = messages[0]
    headers = {k.decode().title(): v.decode() for k, v in start["headers"]}
    body = b"".join(m.get("body", b"") for m in messages[1:])
    return start["status"], headers, body


CALLERS = {"wsgi": call_wsgi, "asgi": call_asgi}


@pytest.fixture(params=["wsgi", "asgi"])
def call(request: pytest.FixtureRequest) -> Any:
    return CALLERS[request.param]


@pytest.fixture(params=["sync", "async"])
def debug_app(request: pytest.FixtureRequest) -> Carboy:
    app = Carboy("debugged")
    app.debug = True

    def fail() -> None:
        try:
            {}["missing"]
        except KeyError as e:
            raise ValueError(HOSTILE) from e

    if request.param == "sync":

        @app.get("/<path:anything>")
        def boom(anything: str) -> str:
            fail()
            return "unreachable"

    else:

        @app.get("/<path:anything>")
        async def boom(anything: str) -> str:
            fail()
            return "unreachable"

    return app


def test_html_page(
    debug_app: Carboy, call: Any, caplog: pytest.LogCaptureFixture
) -> None:
    path = "/<img src=x onerror=alert(1)>"
    status, headers, body = call(
        DebugMiddleware(debug_app),
        path,
        query_string="q=<i>",
        headers={
            "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
            "Cookie": "session=secret-value",
            "Authorization": "Bearer secret-token",
            "X-Evil": "<svg onload=alert(2)>",
        },
    )
    page = body.decode()
    assert status == 500
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'"
    )
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Cache-Control"] == "no-store"
    assert int(headers["Content-Length"]) == len(body)
    # Nothing from the exception or the request is markup.
    for raw in (HOSTILE, "<img src=x", "<svg", "<i>", "<script"):
        assert raw not in page
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;quotes&#x27;"
        in page
    )
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "&lt;svg onload=alert(2)&gt;" in page
    # The chain, oldest first, with Python's wording between.
    assert page.index("<h2>KeyError: &#x27;missing&#x27;</h2>") < page.index(
        "The above exception was the direct cause of the following exception:"
    )
    assert "<h2>ValueError: &lt;script&gt;" in page
    # Source around the frame, the app's frames open, library frames folded.
    assert "{}[&quot;missing&quot;]" in page
    assert '<tr class="current">' in page
    assert (
        '<details class="frame app" open><summary><code>tests/test_debug.py</code>'
        in page
    )
    assert '<details class="frame library">' in page
    assert "library frames (Python, installed packages, carboy) are folded" in page
    # The request summary, with credentials hidden.
    assert "<tr><th>Method</th><td>GET</td></tr>" in page
    assert "<tr><th>Query string</th><td>q=&lt;i&gt;</td></tr>" in page
    assert "secret-value" not in page and "secret-token" not in page
    assert "<tr><th>Header Cookie</th><td>(hidden)</td></tr>" in page
    # No way to run code: no script, no form, no console.
    assert "<script" not in page.lower() and "<form" not in page.lower()
    # The error is logged, with the path escaped.
    (record,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert record.getMessage() == "Exception on /<img src=x onerror=alert(1)> [GET]"
    assert record.exc_info is not None and record.exc_info[0] is ValueError


def test_plain_text_for_clients_not_asking_for_html(
    debug_app: Carboy, call: Any
) -> None:
    status, headers, body = call(
        DebugMiddleware(debug_app), "/x", headers={"Accept": "*/*"}
    )
    text = body.decode()
    assert status == 500
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert text.startswith("Traceback (most recent call last):")
    assert "KeyError: 'missing'" in text
    assert (
        "The above exception was the direct cause of the following exception:" in text
    )
    assert f"ValueError: {HOSTILE}" in text
    assert "\nRequest:\n  Method: GET\n  Path: /x\n" in text


def test_outside_debug_mode_nothing_of_the_traceback_reaches_the_client(
    debug_app: Carboy, call: Any
) -> None:
    debug_app.debug = False
    status, headers, body = call(
        DebugMiddleware(debug_app), "/x", headers={"Accept": "text/html"}
    )
    assert status == 500
    assert b"Traceback" not in body and b"ValueError" not in body
    assert b"missing" not in body


def test_propagated_error_outside_debug_mode_is_passed_on(call: Any) -> None:
    app = Carboy("propagating")
    app.config["PROPAGATE_EXCEPTIONS"] = True

    @app.get("/")
    def boom() -> str:
        raise LookupError("passed on")

    with pytest.raises(LookupError, match="passed on"):
        call(DebugMiddleware(app), "/")


def test_http_errors_are_not_debug_pages(debug_app: Carboy, call: Any) -> None:
    app = Carboy("errors")
    app.debug = True
    status, headers, body = call(DebugMiddleware(app), "/nowhere")
    assert status == 404
    assert b"Traceback" not in body


def test_working_requests_pass_through(call: Any) -> None:
    app = Carboy("fine")
    app.debug = True
    app.add_url_rule("/", "index", lambda: "ok")
    assert call(DebugMiddleware(app), "/")[::2] == (200, b"ok")


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_error_in_a_started_stream_is_logged(
    call: Any, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Carboy("streaming")
    app.debug = True

    def body() -> Iterator[str]:
        yield "part one"
        raise RuntimeError("mid-stream")

    async def abody() -> AsyncIterator[str]:
        yield "part one"
        raise RuntimeError("mid-stream")

    @app.get("/")
    def stream() -> Response:
        return Response(body() if kind == "sync" else abody())

    with pytest.raises(RuntimeError, match="mid-stream"):
        call(DebugMiddleware(app), "/", headers={"Accept": "text/html"})
    messages = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert messages == [
        "Exception while sending the response for / [GET]; the response was cut short"
    ]


def test_other_asgi_scopes_pass_through() -> None:
    seen: list[str] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    app: Any = Carboy("wrapped")
    middleware = DebugMiddleware(app)
    middleware.app = inner  # type: ignore[assignment]
    asyncio.run(middleware.asgi_app({"type": "lifespan"}, None, None))  # type: ignore[arg-type]
    assert seen == ["lifespan"]


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        ("text/html", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", True),
        ("application/xhtml+xml", True),
        ("*/*", False),
        (None, False),
        ("", False),
        ("application/json", False),
        ("text/plain, text/html;q=0.5", False),
        ("text/html;q=0", False),
        ("text/plain;q=0.5, text/html", True),
        ("text/*", False),
    ],
)
def test_wants_html(accept: str | None, html: bool) -> None:
    assert wants_html(accept) is html


def test_exception_chain_context_suppression_and_cycles() -> None:
    try:
        try:
            raise KeyError("first")
        except KeyError:
            raise TypeError("second")  # noqa: B904 - the implicit context is the point
    except TypeError as e:
        second = e
    chain = exception_chain(second)
    assert [(type(e).__name__, rel) for e, rel in chain] == [
        ("KeyError", None),
        ("TypeError", "context"),
    ]
    second.__suppress_context__ = True
    assert [type(e) for e, _ in exception_chain(second)] == [TypeError]
    a, b = ValueError("a"), ValueError("b")
    a.__cause__, b.__cause__ = b, a
    assert [str(e) for e, _ in exception_chain(a)] == ["b", "a"]
    page = render_html(a, [])
    assert page.count("<section>") == 2


def test_unprintable_exception_and_missing_source() -> None:
    class Unprintable(Exception):
        def __str__(self) -> str:
            raise RuntimeError("no")

    code = compile("raise exc", "<generated>", "exec")
    try:
        exec(code, {"exc": Unprintable()})
    except Unprintable as e:
        error = e
    page = render_html(error, [("Path", "/")])
    assert "Unprintable: &lt;unprintable Unprintable object&gt;" in page
    assert "(source not available)" in page
    assert render_text(error, [("Path", "/")]).endswith("\nRequest:\n  Path: /\n")


def test_library_files() -> None:
    import json

    import click

    assert is_library_file(json.__file__)
    assert is_library_file(click.__file__)
    assert is_library_file(__import__("carboy").__file__)
    assert is_library_file("<frozen importlib._bootstrap>")
    assert not is_library_file(__file__)
