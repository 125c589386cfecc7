"""Every signal fires with the right sender and arguments, under both adapters."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from blinker import Signal

import carboy
from carboy import Carboy, flash, g, render_template_string
from carboy.testing import CarboyClient


@contextmanager
def recording(
    signal: Signal, sender: Any
) -> Iterator[list[tuple[Any, dict[str, Any]]]]:
    calls: list[tuple[Any, dict[str, Any]]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        calls.append((sender, kwargs))

    with signal.connected_to(receiver, sender):
        yield calls


def test_request_started_and_finished(app: Carboy, client: CarboyClient) -> None:
    order: list[str] = []

    @app.before_request
    def before() -> None:
        order.append("before_request")

    @app.get("/")
    def index() -> str:
        order.append("view")
        return "ok"

    @app.after_request
    def after(response: Any) -> Any:
        order.append("after_request")
        return response

    def started(sender: Any, **kwargs: Any) -> None:
        order.append(f"started {sender is app} {kwargs}")

    def finished(sender: Any, response: Any, **kwargs: Any) -> None:
        order.append(f"finished {sender is app} {response.status_code} {kwargs}")

    with (
        carboy.request_started.connected_to(started, app),
        carboy.request_finished.connected_to(finished, app),
    ):
        client.get("/")
    assert order == [
        "started True {}",
        "before_request",
        "view",
        "after_request",
        "finished True 200 {}",
    ]


def test_request_tearing_down(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return "ok"

    with recording(carboy.request_tearing_down, app) as calls:
        client.get("/")
    assert calls == [(app, {"exc": None})]


def test_got_request_exception(app: Carboy, client: CarboyClient) -> None:
    app.testing = False
    error = ZeroDivisionError("boom")

    @app.get("/")
    def index() -> str:
        raise error

    with (
        recording(carboy.got_request_exception, app) as calls,
        recording(carboy.request_tearing_down, app) as teardowns,
        recording(carboy.appcontext_tearing_down, app) as app_teardowns,
    ):
        rv = client.get("/")
    assert rv.status_code == 500
    assert calls == [(app, {"exception": error})]
    # The error was handled (a 500 was sent), so teardown gets no exception.
    assert [sender for sender, _ in teardowns] == [app]
    assert [sender for sender, _ in app_teardowns] == [app]


def test_got_request_exception_not_sent_for_handled_errors(
    app: Carboy, client: CarboyClient
) -> None:
    @app.errorhandler(KeyError)
    def handle(e: Exception) -> tuple[str, int]:
        return "handled", 400

    @app.get("/")
    def index() -> str:
        raise KeyError("x")

    with recording(carboy.got_request_exception, app) as calls:
        assert client.get("/").status_code == 400
    assert calls == []


def test_appcontext_tearing_down(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return "ok"

    with recording(carboy.appcontext_tearing_down, app) as calls:
        client.get("/")
        with app.app_context():
            pass
    assert calls == [(app, {"exc": None}), (app, {"exc": None})]


def test_appcontext_pushed_and_popped(app: Carboy) -> None:
    with (
        recording(carboy.appcontext_pushed, app) as pushed,
        recording(carboy.appcontext_popped, app) as popped,
    ):
        with app.app_context():
            assert (len(pushed), len(popped)) == (1, 0)
    assert pushed == [(app, {})]
    assert popped == [(app, {})]


def test_appcontext_pushed_for_requests(app: Carboy, client: CarboyClient) -> None:
    def set_user(sender: Any, **kwargs: Any) -> None:
        g.user = "injected"

    @app.get("/")
    def index() -> str:
        return str(g.get("user"))

    with (
        carboy.appcontext_pushed.connected_to(set_user, app),
        recording(carboy.appcontext_popped, app) as popped,
    ):
        assert client.get("/").get_data(as_text=True) == "injected"
    assert popped == [(app, {})]


def test_template_signals(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return render_template_string("{{ a }}", a=1)

    with (
        recording(carboy.before_render_template, app) as before,
        recording(carboy.template_rendered, app) as rendered,
    ):
        client.get("/")
    ((sender, kwargs),) = before
    assert sender is app
    assert set(kwargs) == {"template", "context"}
    assert kwargs["context"]["a"] == 1
    ((sender, kwargs),) = rendered
    assert sender is app
    assert kwargs["template"] is before[0][1]["template"]


def test_message_flashed(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        flash("Saved", "info")
        flash("Plain")
        return "ok"

    with recording(carboy.message_flashed, app) as calls:
        client.get("/")
    assert calls == [
        (app, {"message": "Saved", "category": "info"}),
        (app, {"message": "Plain", "category": "message"}),
    ]


def test_receivers_for_another_app_are_not_called(
    app: Carboy, client: CarboyClient
) -> None:
    other = Carboy("other")

    @app.get("/")
    def index() -> str:
        flash("x")
        return render_template_string("x")

    with (
        recording(carboy.request_started, other) as started,
        recording(carboy.message_flashed, other) as flashed,
        recording(carboy.template_rendered, other) as rendered,
    ):
        client.get("/")
    assert started == flashed == rendered == []


def test_async_receiver(app: Carboy, client: CarboyClient) -> None:
    seen: list[str] = []

    async def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs["message"])

    @app.get("/")
    def index() -> str:
        flash("async")
        return "ok"

    with carboy.message_flashed.connected_to(receiver, app):
        client.get("/")
    assert seen == ["async"]
