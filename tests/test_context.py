"""Application and request contexts and the proxies that read them."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from carboy import (
    Carboy,
    copy_current_request_context,
    current_app,
    g,
    has_app_context,
    has_request_context,
    request,
    url_for,
)
from carboy.testing import CarboyClient


def test_outside_any_context() -> None:
    assert not has_app_context()
    assert not has_request_context()
    with pytest.raises(RuntimeError, match="outside of request context"):
        request.path  # noqa: B018
    with pytest.raises(RuntimeError, match="outside of application context"):
        current_app.name  # noqa: B018
    with pytest.raises(RuntimeError, match="outside of application context"):
        g.x = 1
    assert not request
    assert "unbound" in repr(request)


def test_app_context(app: Carboy) -> None:
    with app.app_context():
        assert has_app_context()
        assert not has_request_context()
        assert current_app.name == app.name
        assert current_app._get_current_object() is app  # type: ignore[attr-defined]
        g.value = 42
        assert g.value == 42
        assert g.get("value") == 42
        assert g.get("missing", "d") == "d"
        assert "value" in g
        assert g.pop("value") == 42
        assert g.setdefault("s", 1) == 1
        assert list(g) == ["s"]
        with pytest.raises(RuntimeError, match="outside of request context"):
            request.path  # noqa: B018
    assert not has_app_context()


def test_g_not_shared_between_app_contexts(app: Carboy) -> None:
    with app.app_context():
        g.x = 1
    with app.app_context():
        assert "x" not in g


def test_nested_app_contexts_restore(app: Carboy) -> None:
    other = Carboy("other")
    with app.app_context():
        with other.app_context():
            assert current_app.name == "other"
        assert current_app.name == app.name


def test_teardown_appcontext_on_app_context(app: Carboy) -> None:
    seen: list[Any] = []
    app.teardown_appcontext(seen.append)
    with app.app_context():
        pass
    assert seen == [None]
    with pytest.raises(KeyError):
        with app.app_context():
            raise KeyError("x")
    assert isinstance(seen[1], KeyError)


def test_pop_unpushed_context(app: Carboy) -> None:
    ctx = app.app_context()
    with pytest.raises(RuntimeError):
        ctx.pop()


def test_test_request_context(app: Carboy) -> None:
    @app.get("/users/<int:id>")
    def user(id: int) -> str:
        return ""

    with app.test_request_context(
        "/users/3?x=1", method="GET", headers={"X-A": "b"}
    ) as ctx:
        assert has_request_context()
        assert has_app_context()
        assert request.path == "/users/3"
        assert request.args["x"] == "1"
        assert request.headers["X-A"] == "b"
        assert request.endpoint == "user"
        assert request.view_args == {"id": 3}
        assert ctx.request is request._get_current_object()  # type: ignore[attr-defined]
        assert url_for("user", id=4) == "/users/4"
    assert not has_request_context()


def test_test_request_context_post_data(app: Carboy) -> None:
    with app.test_request_context("/", method="POST", json={"a": 1}):
        assert request.method == "POST"
        assert request.get_json() == {"a": 1}


def test_request_context_teardown_runs(app: Carboy) -> None:
    seen: list[Any] = []
    app.teardown_request(seen.append)
    with app.test_request_context("/"):
        pass
    assert seen == [None]


def test_proxies_in_view(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> dict[str, Any]:
        g.seen = True
        return {
            "app": current_app.name,
            "req": has_request_context(),
            "appctx": has_app_context(),
            "g": g.seen,
        }

    assert client.get("/").json == {
        "app": app.name,
        "req": True,
        "appctx": True,
        "g": True,
    }


def test_copy_current_request_context_in_thread(
    app: Carboy, client: CarboyClient
) -> None:
    results: list[Any] = []

    @app.get("/")
    def index() -> str:
        g.marker = "from view"

        @copy_current_request_context
        def work() -> None:
            results.append((request.path, request.args["q"], g.marker))

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return "ok"

    assert client.get("/?q=1").data == b"ok"
    assert results == [("/", "1", "from view")]


def test_copy_current_request_context_async_function(
    app: Carboy, client: CarboyClient
) -> None:
    results: list[str] = []

    @app.get("/")
    def index() -> str:
        @copy_current_request_context
        async def work() -> None:
            results.append(request.path)

        thread = threading.Thread(target=work)
        thread.start()
        thread.join()
        return "ok"

    client.get("/")
    assert results == ["/"]


def test_copy_current_request_context_outside_request() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        copy_current_request_context(lambda: None)


def test_plain_thread_has_no_context(app: Carboy, client: CarboyClient) -> None:
    results: list[bool] = []

    @app.get("/")
    def index() -> str:
        thread = threading.Thread(target=lambda: results.append(has_request_context()))
        thread.start()
        thread.join()
        return "ok"

    client.get("/")
    assert results == [False]


def test_context_does_not_leak_after_request(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return "x"

    client.get("/")
    assert not has_request_context()
    assert not has_app_context()


def test_async_view_sees_its_own_request(app: Carboy, client: CarboyClient) -> None:
    @app.get("/<name>")
    async def index(name: str) -> str:
        return f"{request.path}:{name}:{current_app.name}"

    for name in ("a", "b", "c"):
        assert client.get(f"/{name}").data == f"/{name}:{name}:{app.name}".encode()
