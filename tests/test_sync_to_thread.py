"""``sync_to_thread``: where a plain (``def``) view runs under ASGI.

By default a plain view runs in a worker thread, so a blocking one never stalls the
event loop. ``sync_to_thread=False`` (a route option, a view attribute, or the app's
``SYNC_TO_THREAD`` config) declares it non-blocking: it then runs on the loop's
thread. Under WSGI nothing changes (there is no loop).
"""

from __future__ import annotations

import asyncio
import io
import threading
from typing import Any

import pytest
from tests.adapters.test_asgi import call, make_scope

from carboy import Blueprint, Carboy, request
from carboy.testing import CarboyClient


def on_loop() -> bool:
    """Whether the caller runs on an event loop's thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def make_app(**config: Any) -> Carboy:
    app = Carboy(__name__, static_folder=None)
    app.config.update(config)

    @app.get("/default")
    def default() -> dict[str, bool]:
        return {"on_loop": on_loop()}

    @app.get("/fast", sync_to_thread=False)
    def fast() -> dict[str, bool]:
        return {"on_loop": on_loop()}

    @app.get("/slow", sync_to_thread=True)
    def slow() -> dict[str, bool]:
        return {"on_loop": on_loop()}

    return app


def where(client: CarboyClient, path: str) -> bool:
    response = client.get(path)
    assert response.status_code == 200
    return response.json["on_loop"]  # type: ignore[index,no-any-return]


def test_asgi_default_runs_plain_views_in_a_thread_unless_declared() -> None:
    client = make_app().test_client(protocol="asgi")
    assert where(client, "/default") is False
    assert where(client, "/fast") is True
    assert where(client, "/slow") is False


def test_asgi_app_config_declares_every_plain_view_but_a_route_can_opt_out() -> None:
    client = make_app(SYNC_TO_THREAD=False).test_client(protocol="asgi")
    assert where(client, "/default") is True
    assert where(client, "/fast") is True
    assert where(client, "/slow") is False


@pytest.mark.parametrize("sync_to_thread", [True, False])
def test_wsgi_ignores_the_option(sync_to_thread: bool) -> None:
    client = make_app(SYNC_TO_THREAD=sync_to_thread).test_client(protocol="wsgi")
    for path in ("/default", "/fast", "/slow"):
        assert where(client, path) is False


def test_a_view_attribute_declares_it_and_the_route_option_wins() -> None:
    app = Carboy(__name__, static_folder=None)

    def attr() -> dict[str, bool]:
        return {"on_loop": on_loop()}

    attr.sync_to_thread = False  # type: ignore[attr-defined]
    app.add_url_rule("/attr", view_func=attr)

    def both() -> dict[str, bool]:
        return {"on_loop": on_loop()}

    both.sync_to_thread = False  # type: ignore[attr-defined]
    app.add_url_rule("/both", view_func=both, sync_to_thread=True)

    @app.get("/endpoint-only")
    def endpoint_only() -> dict[str, bool]:
        return {"on_loop": on_loop()}

    client = app.test_client(protocol="asgi")
    assert where(client, "/attr") is True
    assert where(client, "/both") is False
    assert where(client, "/endpoint-only") is False


def test_a_blueprint_route_takes_the_option() -> None:
    app = Carboy(__name__, static_folder=None)
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @bp.get("/fast", sync_to_thread=False)
    def fast() -> dict[str, bool]:
        return {"on_loop": on_loop()}

    @bp.get("/default")
    def default() -> dict[str, bool]:
        return {"on_loop": on_loop()}

    app.register_blueprint(bp)
    client = app.test_client(protocol="asgi")
    assert where(client, "/bp/fast") is True
    assert where(client, "/bp/default") is False


@pytest.mark.parametrize("hook_kind", ["sync", "async"])
def test_hooks_of_a_declared_view_keep_their_own_kind(hook_kind: str) -> None:
    """Only what was declared runs on the loop: a plain hook of a declared view still
    runs in a worker thread, an async one on the loop; the order stays Flask's."""
    app = Carboy(__name__, static_folder=None)
    seen: list[tuple[str, bool]] = []

    if hook_kind == "sync":

        @app.before_request
        def before() -> None:
            seen.append(("before", on_loop()))

        @app.after_request
        def after(response: Any) -> Any:
            seen.append(("after", on_loop()))
            return response

    else:

        @app.before_request
        async def before() -> None:
            seen.append(("before", on_loop()))

        @app.after_request
        async def after(response: Any) -> Any:
            seen.append(("after", on_loop()))
            return response

    @app.get("/", sync_to_thread=False)
    def index() -> str:
        seen.append(("view", on_loop()))
        return "ok"

    assert app.test_client(protocol="asgi").get("/").data == b"ok"
    hooks_on_loop = hook_kind == "async"
    assert seen == [
        ("before", hooks_on_loop),
        ("view", True),
        ("after", hooks_on_loop),
    ]


def test_app_config_runs_plain_hooks_and_handlers_on_the_loop_too() -> None:
    app = Carboy(__name__, static_folder=None)
    app.config["SYNC_TO_THREAD"] = False
    seen: list[tuple[str, bool]] = []

    @app.before_request
    def before() -> None:
        seen.append(("before", on_loop()))

    @app.errorhandler(ValueError)
    def handle(e: ValueError) -> tuple[str, int]:
        seen.append(("handler", on_loop()))
        return "handled", 409

    @app.teardown_request
    def down(exc: BaseException | None) -> None:
        seen.append(("teardown", on_loop()))

    @app.get("/")
    def index() -> str:
        seen.append(("view", on_loop()))
        raise ValueError("boom")

    response = app.test_client(protocol="asgi").get("/")
    assert (response.status_code, response.data) == (409, b"handled")
    assert seen == [
        ("before", True),
        ("view", True),
        ("handler", True),
        ("teardown", True),
    ]


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_a_declared_view_reads_forms_json_and_uploads(protocol: str) -> None:
    app = Carboy(__name__, static_folder=None)

    @app.post("/form", sync_to_thread=False)
    def form() -> dict[str, Any]:
        return {"form": request.form.to_dict(), "on_loop": on_loop()}

    @app.post("/json", sync_to_thread=False)
    def json() -> dict[str, Any]:
        return {"json": request.get_json(), "on_loop": on_loop()}

    @app.post("/upload", sync_to_thread=False)
    def upload() -> dict[str, Any]:
        file = request.files["file"]
        return {"size": len(file.read()), "title": request.form["title"]}

    client = app.test_client(protocol=protocol)
    asgi = protocol == "asgi"
    response = client.post("/form", data={"a": "1", "b": "x y"})
    assert response.json == {"form": {"a": "1", "b": "x y"}, "on_loop": asgi}
    response = client.post("/json", json={"n": [1, 2]})
    assert response.json == {"json": {"n": [1, 2]}, "on_loop": asgi}
    big = b"\x00\r\n-" * 300_000  # 1.2 MB: its part is spooled (parsed in a thread)
    data = {"file": (io.BytesIO(big), "big.bin"), "title": "t"}
    response = client.post("/upload", data=data)
    assert response.json == {"size": len(big), "title": "t"}


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_a_declared_view_keeps_the_body_limits(protocol: str) -> None:
    app = Carboy(__name__, static_folder=None)
    app.config["MAX_CONTENT_LENGTH"] = 100

    @app.post("/", sync_to_thread=False)
    def index() -> str:
        return str(len(request.get_data()))

    client = app.test_client(protocol=protocol)
    assert client.post("/", data=b"x" * 100).data == b"100"
    assert client.post("/", data=b"x" * 101).status_code == 413


def _blocking_app(**config: Any) -> tuple[Carboy, threading.Event]:
    """``/block`` waits (in plain code) for ``/release`` (async) to set an event."""
    app = Carboy(__name__, static_folder=None)
    app.config.update(config)
    released = threading.Event()

    @app.get("/block", sync_to_thread=True)
    def block() -> str:
        return "released" if released.wait(10) else "stalled"

    @app.get("/release")
    async def release() -> str:
        released.set()
        return "ok"

    return app, released


@pytest.mark.parametrize("config", [{}, {"SYNC_TO_THREAD": False}])
def test_a_blocking_plain_view_never_stalls_the_loop(config: dict[str, Any]) -> None:
    """The safe default (and a route that asks for a thread under an app that runs
    plain views on the loop): while one view blocks, the loop serves others."""
    app, _ = _blocking_app(**config)

    async def both() -> list[list[dict[str, Any]]]:
        blocked = asyncio.ensure_future(call(app, make_scope("/block")))
        await asyncio.sleep(0.05)
        released = await asyncio.wait_for(call(app, make_scope("/release")), 5)
        return [await asyncio.wait_for(blocked, 10), released]

    blocked, released = asyncio.run(both())
    assert blocked[1]["body"] == b"released"
    assert released[1]["body"] == b"ok"


def test_the_option_is_not_passed_to_the_rule() -> None:
    app = make_app()
    rules = {r.rule: r for r in app.url_map.iter_rules()}
    assert not hasattr(rules["/fast"], "sync_to_thread")
    assert app._sync_to_thread == {"fast": False, "slow": True}


def test_with_client_keeps_the_context_of_a_declared_view() -> None:
    app = make_app()
    client = app.test_client(protocol="asgi")
    with client:
        assert where(client, "/fast") is True
        assert request.path == "/fast"
