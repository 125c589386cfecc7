"""The request runtime: middleware on ``wsgi_app``/``asgi_app``, the response class
error responses have, async signal receivers and teardowns, bounded caches, when
registration takes effect, close callbacks, and the proxies' ``__wrapped__``.

Each test that involves a user function runs it as ``def`` and as ``async def``
(``kind``), under both adapters (``client``/``protocol``).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import inspect
import io
import os
import wsgiref.util
from collections.abc import Callable
from typing import Any

import pytest

import carboy
from carboy import (
    Carboy,
    Response,
    abort,
    after_this_request,
    current_app,
    g,
    request,
    send_file,
    session,
)


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def as_kind(kind: str, f: Callable[..., Any]) -> Callable[..., Any]:
    """``f`` itself, or an ``async def`` that returns what ``f`` returns."""
    if kind == "sync":
        return f

    @functools.wraps(f)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return f(*args, **kwargs)

    return wrapper


def wsgi_environ(path: str = "/", **extra: Any) -> dict[str, Any]:
    environ: dict[str, Any] = {"PATH_INFO": path, "REQUEST_METHOD": "GET"}
    wsgiref.util.setup_testing_defaults(environ)
    environ.update(extra)
    return environ


def http_scope(path: str = "/") -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 1234),
        "server": ("localhost", 80),
    }


def receiver() -> Callable[[], Any]:
    """A client that sends an empty body, then never disconnects."""
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()
        raise AssertionError("unreachable")  # pragma: no cover

    return receive


def call_wsgi(app: Any, environ: dict[str, Any]) -> tuple[str, bytes]:
    status: list[str] = []

    def start_response(s: str, headers: Any, exc_info: Any = None) -> Any:
        status.append(s)
        return None

    body = app(environ, start_response)
    try:
        data = b"".join(body)
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()
    return status[0], data


def sent_to(sent: list[dict[str, Any]]) -> Callable[[dict[str, Any]], Any]:
    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    return send


async def call_asgi(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receiver(), send)
    return sent


# -- middleware ----------------------------------------------------------------------


class CountingWSGI:
    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app = wsgi_app
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.wsgi_app(environ, start_response)


class CountingASGI:
    def __init__(self, asgi_app: Any) -> None:
        self.asgi_app = asgi_app
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        await self.asgi_app(scope, receive, send)


def test_wsgi_middleware_holds_for_every_request(app: Carboy, kind: str) -> None:
    app.get("/")(as_kind(kind, lambda: "ok"))
    middleware = CountingWSGI(app.wsgi_app)
    app.wsgi_app = middleware  # type: ignore[method-assign]
    for _ in range(3):  # as a WSGI server calls it
        assert call_wsgi(app, wsgi_environ()) == ("200 OK", b"ok")
    client = app.test_client()
    for _ in range(2):
        assert client.get("/").data == b"ok"
    assert middleware.calls == 5
    assert app.wsgi_app is middleware


def test_asgi_middleware_holds_for_every_request(app: Carboy, kind: str) -> None:
    app.get("/")(as_kind(kind, lambda: "ok"))
    middleware = CountingASGI(app.asgi_app)
    app.asgi_app = middleware  # type: ignore[method-assign]

    async def main() -> None:
        for _ in range(3):  # ASGI 3, as uvicorn and granian call it
            sent = await call_asgi(app, http_scope())
            assert sent[-1]["body"] == b"ok"
        for _ in range(2):  # ASGI 2 style, as uvicorn's "auto" interface calls it
            sent: list[dict[str, Any]] = []
            await app(http_scope())(receiver(), sent_to(sent))
            assert sent[-1]["body"] == b"ok"

    asyncio.run(main())
    client = app.test_client(protocol="asgi")
    assert client.get("/").data == b"ok"
    assert middleware.calls == 6
    assert app.asgi_app is middleware


# -- error responses are the app's response class ------------------------------------


class MyResponse(Response):
    pass


@pytest.mark.parametrize(
    ("path", "status"), [("/missing", 404), ("/forbidden", 403), ("/only-get", 405)]
)
def test_after_request_gets_the_apps_response_class_for_errors(
    app: Carboy, protocol: str, kind: str, path: str, status: int
) -> None:
    app.response_class = MyResponse
    seen: list[type[Any]] = []

    def forbidden() -> str:
        abort(403)

    app.get("/forbidden")(as_kind(kind, forbidden))
    app.get("/only-get")(as_kind(kind, lambda: "ok"))

    def after(response: Any) -> Any:
        seen.append(type(response))
        return response

    app.after_request(as_kind(kind, after))
    client = app.test_client(protocol=protocol)
    method = "POST" if path == "/only-get" else "GET"
    response = client.open(path, method=method)
    assert response.status_code == status
    assert seen == [MyResponse]


def test_http_error_get_response_is_the_apps_class_in_a_request(app: Carboy) -> None:
    app.response_class = MyResponse
    with app.test_request_context("/"):
        assert type(carboy.exceptions.NotFound().get_response()) is MyResponse


# -- async signal receivers and teardowns --------------------------------------------


@pytest.mark.parametrize(
    "signal_name",
    [
        "request_started",
        "request_finished",
        "got_request_exception",
        "request_tearing_down",
        "appcontext_tearing_down",
        "appcontext_pushed",
        "appcontext_popped",
    ],
)
def test_async_signal_receivers(
    app: Carboy, protocol: str, kind: str, signal_name: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    received: list[str] = []

    def index() -> str:
        if signal_name == "got_request_exception":
            raise ValueError("boom")
        return "ok"

    app.get("/")(as_kind(kind, index))

    async def receiver(sender: Any, **kwargs: Any) -> None:
        await asyncio.sleep(0)
        received.append(f"{signal_name} {sender is app}")

    signal = getattr(carboy, signal_name)
    with signal.connected_to(receiver, app):
        response = app.test_client(protocol=protocol).get("/")
    expected = 500 if signal_name == "got_request_exception" else 200
    assert response.status_code == expected
    assert received == [f"{signal_name} True"]


def test_async_teardown_appcontext_under_lifespan(app: Carboy, kind: str) -> None:
    torn_down: list[Any] = []
    started: list[str] = []

    def teardown(exc: BaseException | None) -> None:
        torn_down.append(exc)

    app.teardown_appcontext(as_kind(kind, teardown))

    def startup() -> None:
        started.append(current_app.name)

    app.before_serving(as_kind(kind, startup))

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await inbox.put({"type": "lifespan.startup"})
        await inbox.put({"type": "lifespan.shutdown"})
        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
        return sent

    sent = asyncio.run(main())
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    assert started == ["test_app"]
    assert torn_down == [None]


@pytest.mark.parametrize("view_kind", ["sync", "async"])
def test_async_teardowns_after_a_request(
    app: Carboy, protocol: str, kind: str, view_kind: str
) -> None:
    events: list[str] = []
    app.get("/")(as_kind(view_kind, lambda: "ok"))
    app.teardown_request(as_kind(kind, lambda exc: events.append("request")))
    app.teardown_appcontext(as_kind(kind, lambda exc: events.append("appcontext")))
    assert app.test_client(protocol=protocol).get("/").data == b"ok"
    assert events == ["request", "appcontext"]


def test_async_session_interface(app: Carboy, protocol: str, kind: str) -> None:
    """A session interface's open/save may be ``async def`` too."""
    from carboy.sessions import SecureCookieSessionInterface

    calls: list[str] = []

    class Interface(SecureCookieSessionInterface):
        pass

    base = SecureCookieSessionInterface()

    def open_session(app: Any, request: Any) -> Any:
        calls.append("open")
        return base.open_session(app, request)

    def save_session(app: Any, session: Any, response: Any) -> None:
        calls.append("save")
        base.save_session(app, session, response)

    interface = Interface()
    interface.open_session = as_kind(kind, open_session)  # type: ignore[method-assign]
    interface.save_session = as_kind(kind, save_session)  # type: ignore[method-assign]
    app.session_interface = interface

    @app.get("/set")
    def set_value() -> str:
        session["n"] = 1
        return "set"

    @app.get("/get")
    async def get_value() -> str:
        return str(session.get("n"))

    client = app.test_client(protocol=protocol)
    assert client.get("/set").data == b"set"
    assert client.get("/get").data == b"1"
    assert calls == ["open", "save", "open", "save"]


# -- bounded memory ------------------------------------------------------------------


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_after_this_request_closures_do_not_accumulate() -> None:
    """100,000 ASGI requests, each registering a new closure: memory stays flat."""
    app = Carboy("leak")

    @app.get("/")
    async def index() -> str:
        payload = bytearray(1024)

        @after_this_request
        async def add_header(response: Any) -> Any:
            response.headers["X-Size"] = str(len(payload))
            return response

        return "ok"

    async def run(n: int) -> None:
        scope = http_scope()
        sent: list[dict[str, Any]] = []
        for _ in range(n):
            sent = []
            await app.asgi_app(dict(scope), receiver(), sent_to(sent))
        assert sent[-1]["body"] == b"ok"
        assert (b"x-size", b"1024") in sent[0]["headers"]

    async def main() -> tuple[int, int]:
        await run(10_000)  # warm every cache and the allocator up
        gc.collect()
        first = _rss()
        await run(90_000)
        gc.collect()
        return first, _rss()

    first, last = asyncio.run(main())
    # A kept closure holds its 1 KiB payload: 90,000 of them would be over 90 MB.
    assert last - first < 8 * 1024 * 1024, (first, last)


# -- registration after the first request --------------------------------------------


def test_hooks_registered_after_a_test_request_context_run(
    app: Carboy, protocol: str, kind: str
) -> None:
    ran: list[str] = []
    app.get("/")(as_kind(kind, lambda: "ok"))
    with app.test_request_context("/"):
        pass
    app.before_request(as_kind(kind, lambda: ran.append("before")))
    app.after_request(as_kind(kind, lambda r: ran.append("after") or r))
    app.teardown_request(as_kind(kind, lambda e: ran.append("teardown")))
    assert app.test_client(protocol=protocol).get("/").data == b"ok"
    assert ran == ["before", "after", "teardown"]


def test_registry_edits_before_the_first_request_take_effect(
    app: Carboy, protocol: str, kind: str
) -> None:
    """Extensions append to the registries directly in ``init_app``."""
    ran: list[str] = []
    app.get("/")(as_kind(kind, lambda: "ok"))
    with app.test_request_context("/"):
        pass
    app.before_request_funcs.setdefault(None, []).append(
        as_kind(kind, lambda: ran.append("before"))
    )
    assert app.test_client(protocol=protocol).get("/").data == b"ok"
    assert ran == ["before"]


@pytest.mark.parametrize(
    "setup",
    [
        "before_request",
        "after_request",
        "teardown_request",
        "teardown_appcontext",
        "url_value_preprocessor",
        "context_processor",
    ],
)
def test_registration_after_the_first_request_raises(
    app: Carboy, protocol: str, setup: str
) -> None:
    app.get("/")(lambda: "ok")
    assert app.test_client(protocol=protocol).get("/").data == b"ok"
    with pytest.raises(AssertionError) as info:
        getattr(app, setup)(lambda *args: None)
    assert str(info.value).startswith(
        f"The setup method '{setup}' can no longer be called on the application."
    )


# -- close callbacks -----------------------------------------------------------------


def test_call_on_close_with_wsgi_file_wrapper(app: Carboy, tmp_path: Any) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 200_000)
    closed: list[str] = []

    @app.get("/file")
    def file() -> Any:
        response = send_file(str(path))
        response.call_on_close(lambda: closed.append("closed"))
        return response

    environ = wsgi_environ("/file", **{"wsgi.file_wrapper": wsgiref.util.FileWrapper})
    status, data = call_wsgi(app, environ)
    assert (status, len(data)) == ("200 OK", 200_000)
    assert closed == ["closed"]


@pytest.mark.parametrize("pathsend", [False, True])
def test_call_on_close_with_files_under_asgi(
    app: Carboy, tmp_path: Any, pathsend: bool
) -> None:
    path = tmp_path / "data.bin"
    path.write_bytes(b"x" * 200_000)
    closed: list[str] = []

    @app.get("/file")
    def file() -> Any:
        response = send_file(str(path))
        response.call_on_close(lambda: closed.append("closed"))
        return response

    scope = http_scope("/file")
    if pathsend:
        scope["extensions"] = {"http.response.pathsend": {}}
    sent = asyncio.run(call_asgi(app, scope))
    if pathsend:
        assert sent[-1] == {"type": "http.response.pathsend", "path": str(path)}
    else:
        assert sum(len(m.get("body", b"")) for m in sent) == 200_000
    assert closed == ["closed"]


def test_call_on_close_on_a_streamed_body(
    app: Carboy, protocol: str, kind: str
) -> None:
    closed: list[str] = []

    def stream() -> Any:
        response = Response(iter([b"a", b"b"]))
        response.call_on_close(lambda: closed.append("closed"))
        return response

    app.get("/")(as_kind(kind, stream))
    assert app.test_client(protocol=protocol).get("/").data == b"ab"
    assert closed == ["closed"]


# -- the proxies ---------------------------------------------------------------------


def test_proxies_unwrap_to_the_current_object(app: Carboy) -> None:
    for proxy in (request, g, session, current_app):
        assert inspect.unwrap(proxy) is proxy  # unbound: the proxy itself
    with app.test_request_context("/"):
        assert inspect.unwrap(request) is request._get_current_object()  # type: ignore[attr-defined]
        assert inspect.unwrap(current_app) is app
        assert inspect.unwrap(g) is g._get_current_object()  # type: ignore[attr-defined]
        assert not isinstance(inspect.unwrap(session), str)


def test_wsgi_app_is_a_plain_attribute_before_any_request(app: Carboy) -> None:
    """Reading ``app.wsgi_app`` gives a callable bound to the app, every time."""
    first = app.wsgi_app
    environ = wsgi_environ("/missing", **{"wsgi.input": io.BytesIO()})
    assert call_wsgi(first, environ)[0] == "404 Not Found"
    assert "wsgi_app" not in vars(app)
    assert "asgi_app" not in vars(app)
