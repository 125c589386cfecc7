"""Class-based views: View and MethodView, plain and async, under both adapters."""

from __future__ import annotations

import asyncio
import functools
import inspect
import threading
from collections.abc import Callable
from typing import Any

import pytest

from carboy import Blueprint, Carboy, request, session, url_for
from carboy.testing import CarboyClient
from carboy.views import MethodView, View


def test_view_with_args(app: Carboy, client: CarboyClient) -> None:
    class Hello(View):
        methods = ["GET", "POST"]

        def __init__(self, greeting: str, punctuation: str = "!") -> None:
            self.greeting = greeting
            self.punctuation = punctuation

        def dispatch_request(self, name: str) -> str:
            return f"{self.greeting}, {name}{self.punctuation} ({request.method})"

    view = Hello.as_view("hello", "Hi", punctuation="?")
    app.add_url_rule("/hello/<name>", view_func=view)
    assert client.get("/hello/ann").get_data(as_text=True) == "Hi, ann? (GET)"
    assert client.post("/hello/bob").get_data(as_text=True) == "Hi, bob? (POST)"
    assert client.put("/hello/bob").status_code == 405
    assert view.__name__ == "hello"
    assert view.view_class is Hello  # type: ignore[attr-defined]
    assert "hello" in app.view_functions


def test_default_methods_is_get(app: Carboy, client: CarboyClient) -> None:
    class Plain(View):
        def dispatch_request(self) -> str:
            return "plain"

    app.add_url_rule("/", view_func=Plain.as_view("plain"))
    assert client.get("/").get_data(as_text=True) == "plain"
    assert client.post("/").status_code == 405


def test_init_every_request(app: Carboy, client: CarboyClient) -> None:
    created: list[object] = []

    class Fresh(View):
        def __init__(self) -> None:
            created.append(self)

        def dispatch_request(self) -> str:
            return str(len(created))

    class Shared(Fresh):
        init_every_request = False

    app.add_url_rule("/fresh", view_func=Fresh.as_view("fresh"))
    shared_view = Shared.as_view("shared")
    assert len(created) == 1  # the shared instance is created by as_view
    app.add_url_rule("/shared", view_func=shared_view)
    created.clear()
    assert client.get("/fresh").get_data(as_text=True) == "1"
    assert client.get("/fresh").get_data(as_text=True) == "2"
    created.clear()
    client.get("/shared")
    client.get("/shared")
    assert created == []


def test_decorators(app: Carboy, client: CarboyClient) -> None:
    def add_header(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(**kwargs: Any) -> Any:
            return f(**kwargs), {"X-Decorated": f.__name__}

        return wrapper

    class Decorated(View):
        decorators = [add_header]

        def dispatch_request(self) -> str:
            return "decorated"

    app.add_url_rule("/", view_func=Decorated.as_view("decorated"))
    rv = client.get("/")
    assert rv.get_data(as_text=True) == "decorated"
    assert rv.headers["X-Decorated"] == "decorated"


def test_async_view(app: Carboy, client: CarboyClient) -> None:
    class Async(View):
        methods = ["POST"]

        async def dispatch_request(self, id: int) -> str:
            await asyncio.sleep(0)
            return f"{id} {request.form['x']} {threading.current_thread().name}"

    view = Async.as_view("async_view")
    assert inspect.iscoroutinefunction(view)
    app.add_url_rule("/<int:id>", view_func=view)
    body = client.post("/5", data={"x": "y"}).get_data(as_text=True)
    assert body.startswith("5 y ")
    assert "carboy-sync" not in body  # awaited on the loop, not run in a thread


def test_method_view(app: Carboy, client: CarboyClient) -> None:
    class Counter(MethodView):
        def get(self) -> str:
            return str(session.get("count", 0))

        def post(self) -> Any:
            session["count"] = session.get("count", 0) + 1
            return url_for("counter")

        def delete(self) -> tuple[str, int]:
            session.clear()
            return "", 204

    assert Counter.methods == {"GET", "POST", "DELETE"}
    view = Counter.as_view("counter")
    assert not inspect.iscoroutinefunction(view)
    app.add_url_rule("/counter", view_func=view)
    assert client.get("/counter").get_data(as_text=True) == "0"
    assert client.post("/counter").get_data(as_text=True) == "/counter"
    client.post("/counter")
    assert client.get("/counter").get_data(as_text=True) == "2"
    rv = client.head("/counter")
    assert rv.status_code == 200 and rv.get_data() == b""
    assert client.delete("/counter").status_code == 204
    assert client.put("/counter").status_code == 405
    assert (
        client.options("/counter").headers["Allow"]
        == "DELETE, GET, HEAD, OPTIONS, POST"
    )


def test_method_view_async_and_mixed(app: Carboy, client: CarboyClient) -> None:
    loop_threads: dict[str, str] = {}

    class Mixed(MethodView):
        async def get(self, id: int) -> str:
            await asyncio.sleep(0)
            loop_threads["get"] = threading.current_thread().name
            return f"async get {id}"

        def post(self, id: int) -> str:
            loop_threads["post"] = threading.current_thread().name
            return f"sync post {id} {request.form['v']} {request.path}"

    view = Mixed.as_view("mixed")
    assert inspect.iscoroutinefunction(view)
    app.add_url_rule("/m/<int:id>", view_func=view)
    assert client.get("/m/1").get_data(as_text=True) == "async get 1"
    assert (
        client.post("/m/2", data={"v": "w"}).get_data(as_text=True)
        == "sync post 2 w /m/2"
    )
    # The plain handler ran off the event loop's thread.
    assert loop_threads["post"] != loop_threads["get"]


def test_method_view_inheritance(app: Carboy, client: CarboyClient) -> None:
    class Base(MethodView):
        def get(self) -> str:
            return "base get"

    class Child(Base):
        def post(self) -> str:
            return "child post"

    class Explicit(Base):
        methods = ["GET"]

        def put(self) -> str:
            return "never routed"

    assert Child.methods == {"GET", "POST"}
    assert Explicit.methods == ["GET"]
    app.add_url_rule("/child", view_func=Child.as_view("child"))
    app.add_url_rule("/explicit", view_func=Explicit.as_view("explicit"))
    assert client.post("/child").get_data(as_text=True) == "child post"
    assert client.get("/child").get_data(as_text=True) == "base get"
    assert client.put("/explicit").status_code == 405


def test_method_view_unimplemented_method(app: Carboy, client: CarboyClient) -> None:
    class OnlyGet(MethodView):
        methods = ["GET", "POST"]

        def get(self) -> str:
            return "get"

    app.add_url_rule("/", view_func=OnlyGet.as_view("only"))
    with pytest.raises(AssertionError, match="Unimplemented method 'POST'"):
        client.post("/")


def test_view_in_blueprint(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("api", __name__, url_prefix="/api")

    class Item(MethodView):
        init_every_request = False

        async def get(self, id: int) -> dict[str, Any]:
            return {"id": id, "url": url_for(".item", id=id)}

    bp.add_url_rule("/items/<int:id>", view_func=Item.as_view("item"))
    app.register_blueprint(bp)
    assert client.get("/api/items/3").get_json() == {"id": 3, "url": "/api/items/3"}


def test_not_implemented(app: Carboy, client: CarboyClient) -> None:
    app.add_url_rule("/", view_func=View.as_view("base"))
    with pytest.raises(NotImplementedError):
        client.get("/")
