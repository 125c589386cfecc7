"""Flask's overridable request methods: a subclass's override takes effect under WSGI
and ASGI alike, with ``def`` and ``async def`` views and hooks."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import pytest

from carboy import Carboy, Response, abort
from carboy.exceptions import Gone, HTTPException


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def as_kind(kind: str, f: Callable[..., Any]) -> Callable[..., Any]:
    if kind == "sync":
        return f

    @functools.wraps(f)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        return f(*args, **kwargs)

    return wrapper


def make(cls: type[Carboy], kind: str) -> Carboy:
    app = cls("methods")
    app.config.update(TESTING=True, SECRET_KEY="k", PROPAGATE_EXCEPTIONS=False)

    def index() -> str:
        return "index"

    def boom() -> str:
        raise ValueError("boom")

    def missing() -> str:
        abort(404)

    def key() -> str:
        raise KeyError("k")

    app.get("/")(as_kind(kind, index))
    app.get("/boom")(as_kind(kind, boom))
    app.get("/missing")(as_kind(kind, missing))
    app.get("/key")(as_kind(kind, key))
    app.before_request(as_kind(kind, lambda: None))
    app.after_request(as_kind(kind, lambda r: r))
    return app


def test_no_override_keeps_the_fast_path() -> None:
    assert Carboy._custom_dispatch is False
    assert Carboy._custom_teardown is False
    assert Carboy._custom_url_adapter is False

    class Plain(Carboy):
        pass

    assert Plain._custom_dispatch is False


def test_full_dispatch_request(protocol: str, kind: str) -> None:
    class App(Carboy):
        def full_dispatch_request(self) -> Response:
            response = super().full_dispatch_request()
            response.headers["X-Full"] = "1"
            return response

    response = make(App, kind).test_client(protocol=protocol).get("/")
    assert (response.data, response.headers["X-Full"]) == (b"index", "1")


def test_dispatch_request(protocol: str, kind: str) -> None:
    class App(Carboy):
        def dispatch_request(self) -> Any:
            return f"wrapped {super().dispatch_request()}"

    response = make(App, kind).test_client(protocol=protocol).get("/")
    assert response.data == b"wrapped index"


def test_preprocess_request(protocol: str, kind: str) -> None:
    class App(Carboy):
        def preprocess_request(self) -> Any:
            rv = super().preprocess_request()
            return "short" if rv is None else rv

    response = make(App, kind).test_client(protocol=protocol).get("/")
    assert response.data == b"short"


def test_process_response(protocol: str, kind: str) -> None:
    class App(Carboy):
        def process_response(self, response: Response) -> Response:
            response = super().process_response(response)
            response.headers["X-Processed"] = "yes"
            return response

    client = make(App, kind).test_client(protocol=protocol)
    for path, status in [("/", 200), ("/missing", 404), ("/boom", 500)]:
        response = client.get(path)
        assert (response.status_code, response.headers["X-Processed"]) == (
            status,
            "yes",
        )


def test_finalize_request(protocol: str, kind: str) -> None:
    seen: list[tuple[int, bool]] = []

    class App(Carboy):
        def finalize_request(
            self, rv: Any, from_error_handler: bool = False
        ) -> Response:
            response = super().finalize_request(rv, from_error_handler)
            seen.append((response.status_code, from_error_handler))
            return response

    client = make(App, kind).test_client(protocol=protocol)
    assert client.get("/").status_code == 200
    assert client.get("/boom").status_code == 500
    assert seen == [(200, False), (500, True)]


def test_handle_exception(protocol: str, kind: str) -> None:
    class App(Carboy):
        def handle_exception(self, e: Exception) -> Response:
            return self.response_class(f"handled {type(e).__name__}", 503)

    response = make(App, kind).test_client(protocol=protocol).get("/boom")
    assert (response.status_code, response.data) == (503, b"handled ValueError")


def test_handle_user_exception(protocol: str, kind: str) -> None:
    class App(Carboy):
        def handle_user_exception(self, e: Exception) -> Any:
            if isinstance(e, KeyError):
                return "key error", 418
            return super().handle_user_exception(e)

    client = make(App, kind).test_client(protocol=protocol)
    response = client.get("/key")
    assert (response.status_code, response.data) == (418, b"key error")
    assert client.get("/missing").status_code == 404


def test_handle_http_exception(protocol: str, kind: str) -> None:
    class App(Carboy):
        def handle_http_exception(self, e: HTTPException) -> Any:
            return f"http {e.code}", e.code

    client = make(App, kind).test_client(protocol=protocol)
    response = client.get("/missing")
    assert (response.status_code, response.data) == (404, b"http 404")
    response = client.get("/no-such-route")
    assert (response.status_code, response.data) == (404, b"http 404")


def test_make_default_options_response(protocol: str, kind: str) -> None:
    class App(Carboy):
        def make_default_options_response(self) -> Response:
            response = super().make_default_options_response()
            response.headers["X-Options"] = "custom"
            return response

    response = make(App, kind).test_client(protocol=protocol).options("/")
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert response.headers["X-Options"] == "custom"


def test_log_exception(protocol: str, kind: str) -> None:
    logged: list[str] = []

    class App(Carboy):
        def log_exception(self, exc_info: Any) -> None:
            logged.append(exc_info[0].__name__)

    response = make(App, kind).test_client(protocol=protocol).get("/boom")
    assert response.status_code == 500
    assert logged == ["ValueError"]


def test_do_teardown_request(protocol: str, kind: str) -> None:
    events: list[str] = []

    class App(Carboy):
        def do_teardown_request(self, exc: BaseException | None = None) -> None:
            events.append("override")
            super().do_teardown_request(exc)

    app = make(App, kind)
    app.teardown_request(as_kind(kind, lambda exc: events.append("teardown")))
    app.teardown_appcontext(as_kind(kind, lambda exc: events.append("appcontext")))
    assert app.test_client(protocol=protocol).get("/").data == b"index"
    assert events == ["override", "teardown", "appcontext"]


def test_do_teardown_appcontext(protocol: str, kind: str) -> None:
    events: list[str] = []

    class App(Carboy):
        def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
            events.append(f"override {exc!r}")
            super().do_teardown_appcontext(exc)

    app = make(App, kind)
    app.teardown_appcontext(as_kind(kind, lambda exc: events.append("appcontext")))
    assert app.test_client(protocol=protocol).get("/").data == b"index"
    assert events == ["override None", "appcontext"]


def test_create_url_adapter(protocol: str, kind: str) -> None:
    seen: list[str] = []

    class App(Carboy):
        def create_url_adapter(self, request: Any) -> Any:
            adapter = super().create_url_adapter(request)
            seen.append(adapter.path_info)
            adapter.path_info = (
                "/" if adapter.path_info == "/alias" else adapter.path_info
            )
            return adapter

    client = make(App, kind).test_client(protocol=protocol)
    assert client.get("/alias").data == b"index"
    assert client.get("/nowhere").status_code == 404
    assert seen == ["/alias", "/nowhere"]


def test_raise_routing_exception(protocol: str, kind: str) -> None:
    class App(Carboy):
        def raise_routing_exception(self, request: Any) -> Any:
            if request.routing_exception.code == 404:
                raise Gone()
            super().raise_routing_exception(request)

    client = make(App, kind).test_client(protocol=protocol)
    assert client.get("/nowhere").status_code == 410
    assert client.post("/").status_code == 405
