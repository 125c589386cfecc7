"""Lifetimes: an app is freed when its last reference goes; teardown sees an error once."""

from __future__ import annotations

import asyncio
import gc
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest

from carboy import (
    Blueprint,
    Carboy,
    render_template_string,
    request,
    session,
    stream_with_context,
    url_for,
)
from carboy.testing import AsyncClient


@pytest.fixture
def no_gc() -> Iterator[None]:
    """Only reference counting frees objects while the test runs."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _configured_app() -> Carboy:
    app = Carboy("carboy_lifetime_app")
    app.config.from_mapping(SECRET_KEY="k", SERVER_NAME="example.test")
    bp = Blueprint("bp", __name__, url_prefix="/bp", static_folder="static")

    @bp.get("/")
    def bp_index() -> str:
        return render_template_string("{{ url_for('bp.bp_index') }}")

    app.register_blueprint(bp)

    @app.get("/")
    def index() -> str:
        session["seen"] = True
        return render_template_string("{{ request.path }} {{ session.seen }}")

    @app.get("/async")
    async def async_view() -> dict[str, Any]:
        await asyncio.sleep(0)
        return {"url": url_for("async_view")}

    @app.teardown_request
    def close(exc: BaseException | None) -> None:
        pass

    return app


@pytest.mark.usefixtures("no_gc")
def test_a_configured_app_is_freed_by_reference_counting() -> None:
    app = _configured_app()
    assert app.view_functions["static"]
    assert app.json.dumps({"a": 1}) == '{"a": 1}'
    ref = weakref.ref(app)
    del app
    assert ref() is None


@pytest.mark.parametrize("protocol", ["wsgi", "asgi", "async"])
def test_an_app_that_served_requests_is_freed(protocol: str) -> None:
    def serve() -> weakref.ref[Carboy]:
        app = _configured_app()
        _ = app.logger, app.jinja_env
        paths = ["/", "/async", "/bp/", "/missing", "/static/none.txt"]
        if protocol == "async":

            async def run() -> list[int]:
                client = AsyncClient(app)
                return [(await client.get(p)).status_code for p in paths]

            codes = asyncio.run(run())
        else:
            client = app.test_client(protocol=protocol)
            codes = [client.get(p).status_code for p in paths]
            with client:
                client.get("/")
        assert codes == [200, 200, 200, 404, 404]
        return weakref.ref(app)

    ref = serve()
    gc.collect()
    # NOTE: an async view under WSGI runs on this thread's event loop, which must not
    # keep the request (and so the app) of its first coroutine.
    assert ref() is None


@pytest.mark.usefixtures("no_gc")
@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_an_app_that_served_requests_is_freed_by_reference_counting(
    protocol: str,
) -> None:
    # Templates (the Jinja environment and its loader), sessions, async views,
    # blueprints, the adapters and their caches: none of them holds the app back.
    def serve() -> weakref.ref[Carboy]:
        app = _configured_app()
        client = app.test_client(protocol=protocol)
        codes = [client.get(p).status_code for p in ["/", "/async", "/bp/"]]
        assert codes == [200, 200, 200]
        return weakref.ref(app)

    ref = serve()
    assert ref() is None


def test_an_async_view_under_wsgi_on_a_worker_thread_frees_the_app() -> None:
    refs: list[weakref.ref[Carboy]] = []

    def worker() -> None:
        app = _configured_app()
        assert app.test_client().get("/async").status_code == 200
        refs.append(weakref.ref(app))

    # The thread's loop lives on in thread-locals as long as the thread does; run a
    # second request on it so the loop outlives the first app.
    done = threading.Event()
    keep = threading.Event()

    def long_worker() -> None:
        worker()
        done.set()
        keep.wait(5)

    thread = threading.Thread(target=long_worker)
    thread.start()
    try:
        assert done.wait(5)
        gc.collect()
        assert refs[0]() is None
    finally:
        keep.set()
        thread.join()


# -- teardown sees the error exactly once ------------------------------------------------


class Boom(Exception):
    pass


@pytest.fixture(params=["sync", "async"])
def failing(request: pytest.FixtureRequest) -> tuple[Carboy, list[tuple[str, Any]]]:
    app = Carboy("carboy_teardown_app", static_folder=None)
    seen: list[tuple[str, Any]] = []

    if request.param == "async":

        @app.get("/")
        async def index() -> str:
            raise Boom("x")

        @app.teardown_request
        async def on_request(exc: BaseException | None) -> None:
            seen.append(("request", exc))

    else:

        @app.get("/")
        def index() -> str:
            raise Boom("x")

        @app.teardown_request
        def on_request(exc: BaseException | None) -> None:
            seen.append(("request", exc))

    @app.teardown_appcontext
    def on_app(exc: BaseException | None) -> None:
        seen.append(("app", exc))

    @app.get("/ok")
    def ok() -> str:
        return "ok"

    return app, seen


def _assert_once(seen: list[tuple[str, Any]]) -> None:
    assert [kind for kind, _ in seen] == ["request", "app"]
    assert all(isinstance(exc, Boom) for _, exc in seen)
    assert seen[0][1] is seen[1][1]


@pytest.mark.parametrize("testing", [False, True], ids=["answered", "propagated"])
def test_teardown_gets_the_error_once(
    failing: tuple[Carboy, list[tuple[str, Any]]], protocol: str, testing: bool
) -> None:
    app, seen = failing
    app.testing = testing
    client = app.test_client(protocol=protocol)
    if testing:
        with pytest.raises(Boom):
            client.get("/")
    else:
        assert client.get("/").status_code == 500
    _assert_once(seen)
    seen.clear()
    assert client.get("/ok").data == b"ok"
    assert seen == [("request", None), ("app", None)]


@pytest.mark.parametrize("testing", [False, True], ids=["answered", "propagated"])
def test_teardown_gets_the_error_once_with_a_kept_context(
    failing: tuple[Carboy, list[tuple[str, Any]]], protocol: str, testing: bool
) -> None:
    app, seen = failing
    app.testing = testing
    client = app.test_client(protocol=protocol)
    with client:
        if testing:
            with pytest.raises(Boom):
                client.get("/")
        else:
            assert client.get("/").status_code == 500
        # The failed request's context is kept for inspection, not yet torn down.
        assert request.path == "/"
        assert seen == []
    _assert_once(seen)


@pytest.mark.parametrize("testing", [False, True], ids=["answered", "propagated"])
def test_teardown_gets_the_error_once_async_client(
    failing: tuple[Carboy, list[tuple[str, Any]]], testing: bool
) -> None:
    app, seen = failing
    app.testing = testing

    async def run() -> int:
        return (await AsyncClient(app).get("/")).status_code

    if testing:
        with pytest.raises(Boom):
            asyncio.run(run())
    else:
        assert asyncio.run(run()) == 500
    _assert_once(seen)


def test_teardown_of_a_test_request_context_gets_the_error_once(
    failing: tuple[Carboy, list[tuple[str, Any]]],
) -> None:
    app, seen = failing
    error = Boom("in the block")
    with pytest.raises(Boom), app.test_request_context("/"):
        raise error
    assert seen == [("request", error), ("app", error)]


def test_teardown_after_a_streamed_body_fails(protocol: str) -> None:
    app = Carboy("carboy_stream_teardown", static_folder=None)
    seen: list[Any] = []

    @app.get("/")
    def index() -> Any:
        @stream_with_context
        def body() -> Iterator[str]:
            yield "a"
            yield request.path

        return body()

    @app.teardown_request
    def on_request(exc: BaseException | None) -> None:
        seen.append(exc)

    assert app.test_client(protocol=protocol).get("/").data == b"a/"
    assert seen == [None]


def test_teardown_gets_the_error_of_a_streamed_body_once(protocol: str) -> None:
    app = Carboy("carboy_stream_error_teardown", static_folder=None)
    seen: list[tuple[str, Any]] = []

    @app.get("/")
    def index() -> Any:
        @stream_with_context
        def body() -> Iterator[str]:
            yield "a"
            raise Boom(request.path)

        return body()

    @app.teardown_request
    def on_request(exc: BaseException | None) -> None:
        seen.append(("request", exc))

    @app.teardown_appcontext
    def on_app(exc: BaseException | None) -> None:
        seen.append(("app", exc))

    # The status went out before the body failed: the error reaches the server.
    with pytest.raises(Boom):
        app.test_client(protocol=protocol).get("/")
    _assert_once(seen)
    assert str(seen[0][1]) == "/"


# -- middleware stays where the user put it -----------------------------------------------


def test_wsgi_middleware_on_wsgi_app_stays_after_the_first_request() -> None:
    app = Carboy("carboy_middleware_app", static_folder=None)

    @app.get("/")
    def index() -> str:
        return request.headers.get("X-Middleware", "none")

    class Middleware:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
            environ["HTTP_X_MIDDLEWARE"] = "yes"
            return self.inner(environ, start_response)

    app.wsgi_app = Middleware(app.wsgi_app)  # type: ignore[method-assign]
    client = app.test_client()
    assert [client.get("/").data for _ in range(3)] == [b"yes", b"yes", b"yes"]
    assert isinstance(app.wsgi_app, Middleware)
    # Another app, unwrapped, is not affected.
    other = Carboy("carboy_plain_app", static_folder=None)
    other.get("/")(lambda: "plain")
    assert other.test_client().get("/").data == b"plain"


def test_asgi_middleware_on_asgi_app_stays_after_the_first_request() -> None:
    app = Carboy("carboy_asgi_middleware_app", static_folder=None)

    @app.get("/")
    async def index() -> str:
        return request.headers.get("X-Middleware", "none")

    class Middleware:
        def __init__(self, inner: Any) -> None:
            self.inner = inner

        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            scope = dict(scope, headers=[*scope["headers"], (b"x-middleware", b"yes")])
            await self.inner(scope, receive, send)

    app.asgi_app = Middleware(app.asgi_app)  # type: ignore[method-assign]
    client = app.test_client(protocol="asgi")
    assert [client.get("/").data for _ in range(3)] == [b"yes", b"yes", b"yes"]
    assert isinstance(app.asgi_app, Middleware)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_do_teardown_request_and_appcontext_run_their_own_functions(
    is_async: bool,
) -> None:
    app = Carboy("carboy_do_teardown", static_folder=None)
    seen: list[tuple[str, Any]] = []

    if is_async:

        @app.teardown_request
        async def on_request(exc: BaseException | None) -> None:
            seen.append(("request", exc))

    else:

        @app.teardown_request
        def on_request(exc: BaseException | None) -> None:
            seen.append(("request", exc))

    @app.teardown_appcontext
    def on_app(exc: BaseException | None) -> None:
        seen.append(("app", exc))

    error = Boom("explicit")
    with app.test_request_context("/"):
        app.do_teardown_request(error)
        assert seen == [("request", error)]
        app.do_teardown_appcontext(error)
        assert seen == [("request", error), ("app", error)]
    # Leaving the context tears down as usual, as in Flask.
    assert seen[2:] == [("request", None), ("app", None)]
    seen.clear()
    with app.app_context():
        app.do_teardown_request()  # no request: nothing to do
        assert seen == []
        app.do_teardown_appcontext()
        assert seen == [("app", None)]


def test_do_teardown_functions_send_their_signals() -> None:
    from carboy import appcontext_tearing_down, request_tearing_down

    app = Carboy("carboy_do_teardown_signals", static_folder=None)
    sent: list[tuple[str, Any]] = []

    def on_request(sender: Any, **kwargs: Any) -> None:
        sent.append(("request", kwargs["exc"]))

    def on_app(sender: Any, **kwargs: Any) -> None:
        sent.append(("app", kwargs["exc"]))

    error = Boom("signalled")
    with (
        request_tearing_down.connected_to(on_request, app),
        appcontext_tearing_down.connected_to(on_app, app),
        app.test_request_context("/"),
    ):
        app.do_teardown_request(error)
        app.do_teardown_appcontext(error)
        assert sent == [("request", error), ("app", error)]
