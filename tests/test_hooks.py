"""Request hooks, in order, each as ``def`` and as ``async def``, under both adapters."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from carboy import Carboy, Response, after_this_request, g, request
from carboy.testing import CarboyClient


@pytest.fixture(params=["def", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def as_mode(mode: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Return the function itself (``def``) or an ``async def`` that calls it."""

    def decorator(f: Callable[..., Any]) -> Callable[..., Any]:
        if mode == "def":
            return f

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return f(*args, **kwargs)

        wrapper.__name__ = f.__name__
        return wrapper

    return decorator


def test_full_order(app: Carboy, client: CarboyClient, mode: str) -> None:
    calls: list[str] = []
    m = as_mode(mode)

    @app.url_value_preprocessor
    @m
    def uvp(endpoint: str | None, values: dict[str, Any] | None) -> None:
        calls.append(f"uvp:{endpoint}:{values}")

    @app.before_request
    @m
    def before1() -> None:
        calls.append("before1")

    @app.before_request
    @m
    def before2() -> None:
        calls.append("before2")

    @app.get("/<int:n>")
    @m
    def view(n: int) -> str:
        calls.append(f"view:{n}")

        @after_this_request
        @m
        def local(response: Response) -> Response:
            calls.append("after_this_request")
            return response

        return "ok"

    @app.after_request
    @m
    def after1(response: Response) -> Response:
        calls.append("after1")
        return response

    @app.after_request
    @m
    def after2(response: Response) -> Response:
        calls.append("after2")
        return response

    @app.teardown_request
    @m
    def td1(exc: BaseException | None) -> None:
        calls.append(f"teardown1:{exc}")

    @app.teardown_request
    @m
    def td2(exc: BaseException | None) -> None:
        calls.append(f"teardown2:{exc}")

    @app.teardown_appcontext
    @m
    def tdapp(exc: BaseException | None) -> None:
        calls.append(f"teardown_app:{exc}")

    assert client.get("/3").data == b"ok"
    assert calls == [
        "uvp:view:{'n': 3}",
        "before1",
        "before2",
        "view:3",
        "after_this_request",
        "after2",
        "after1",
        "teardown2:None",
        "teardown1:None",
        "teardown_app:None",
    ]


def test_before_request_short_circuit(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    calls: list[str] = []
    m = as_mode(mode)

    @app.before_request
    @m
    def stop() -> str | None:
        calls.append("stop")
        return "stopped" if request.args.get("stop") else None

    @app.before_request
    @m
    def never() -> None:
        calls.append("second")

    @app.get("/")
    @m
    def index() -> str:
        calls.append("view")
        return "view"

    @app.after_request
    @m
    def after(response: Response) -> Response:
        calls.append("after")
        return response

    assert client.get("/?stop=1").data == b"stopped"
    assert calls == ["stop", "after"]
    calls.clear()
    assert client.get("/").data == b"view"
    assert calls == ["stop", "second", "view", "after"]


def test_before_request_runs_for_404(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    seen: list[str] = []

    @app.before_request
    @as_mode(mode)
    def before() -> None:
        seen.append(request.path)

    assert client.get("/missing").status_code == 404
    assert seen == ["/missing"]


def test_after_request_can_replace_response(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    @app.get("/")
    def index() -> str:
        return "original"

    @app.after_request
    @as_mode(mode)
    def replace(response: Response) -> Response:
        response.headers["X-After"] = "1"
        return Response("replaced", 202)

    rv = client.get("/")
    assert (rv.status_code, rv.data) == (202, b"replaced")


def test_teardown_request_gets_the_exception(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    seen: list[Any] = []

    @app.get("/")
    @as_mode(mode)
    def index() -> str:
        raise KeyError("boom")

    @app.teardown_request
    @as_mode(mode)
    def td(exc: BaseException | None) -> None:
        seen.append(exc)

    @app.teardown_appcontext
    @as_mode(mode)
    def tda(exc: BaseException | None) -> None:
        seen.append(exc)

    assert client.get("/").status_code == 500
    assert len(seen) == 2
    # Answered with a 500, torn down with the original error (as Flask does).
    for exc in seen:
        assert isinstance(exc, KeyError)


def test_teardown_runs_when_exception_propagates(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    seen: list[Any] = []

    @app.get("/")
    @as_mode(mode)
    def index() -> str:
        raise KeyError("boom")

    @app.teardown_request
    @as_mode(mode)
    def td(exc: BaseException | None) -> None:
        seen.append(exc)

    with pytest.raises(KeyError):
        client.get("/")
    assert len(seen) == 1
    assert isinstance(seen[0], KeyError)


def test_teardown_runs_after_before_request_error(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    seen: list[str] = []

    @app.before_request
    @as_mode(mode)
    def before() -> None:
        raise RuntimeError("before failed")

    @app.teardown_request
    @as_mode(mode)
    def td(exc: BaseException | None) -> None:
        seen.append("td")

    with pytest.raises(RuntimeError):
        client.get("/")
    assert seen == ["td"]


def test_teardown_runs_for_every_request(app: Carboy, client: CarboyClient) -> None:
    count: list[int] = []

    @app.teardown_request
    def td(exc: BaseException | None) -> None:
        count.append(1)

    @app.get("/")
    def index() -> str:
        return "x"

    client.get("/")
    client.get("/missing")
    client.post("/")
    assert len(count) == 3


def test_after_this_request_outside_request() -> None:
    with pytest.raises(RuntimeError, match="request context"):
        after_this_request(lambda r: r)


def test_g_shared_between_hooks_and_view(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    @app.before_request
    @as_mode(mode)
    def before() -> None:
        g.user = "alice"

    @app.get("/")
    @as_mode(mode)
    def index() -> str:
        return g.user  # type: ignore[no-any-return]

    @app.after_request
    @as_mode(mode)
    def after(response: Response) -> Response:
        response.headers["X-User"] = g.get("user")
        return response

    rv = client.get("/")
    assert rv.data == b"alice"
    assert rv.headers["X-User"] == "alice"


def test_g_is_fresh_per_request(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        before = g.get("count", 0)
        g.count = before + 1
        return str(before)

    assert client.get("/").data == b"0"
    assert client.get("/").data == b"0"


def test_url_value_preprocessor_pops_values(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    @app.url_value_preprocessor
    @as_mode(mode)
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        if values is not None:
            g.lang = values.pop("lang", None)

    @app.get("/<lang>/page")
    @as_mode(mode)
    def page() -> str:
        return f"page in {g.lang}"

    assert client.get("/fr/page").data == b"page in fr"


def test_do_teardown_request_runs_teardowns_in_the_current_context(
    app: Carboy,
) -> None:
    from carboy import g

    seen: list[Any] = []

    @app.teardown_request
    def down(exc: Any) -> None:
        seen.append((exc, g.get("marker")))

    with app.test_request_context("/"):
        g.marker = "same g"
        app.do_teardown_request()
        assert seen == [(None, "same g")]
