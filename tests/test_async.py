"""``async def`` views, hooks and handlers, and the body in all four sync/async combos."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest

from carboy import Carboy, Response, g, request, stream_with_context
from carboy.testing import AsyncClient, CarboyClient


@pytest.mark.parametrize("kind", ["def", "async"])
def test_body_access_in_all_combinations(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    """request.form, get_json and get_data work in def and async def views under
    both adapters."""

    def read() -> dict[str, Any]:
        if request.is_json:
            return {"json": request.get_json()}
        if request.mimetype == "text/plain":
            return {"data": request.get_data(as_text=True)}
        return {"form": request.form.to_dict()}

    if kind == "def":
        app.add_url_rule("/", "read", read, methods=["POST"])
    else:

        async def aread() -> dict[str, Any]:
            return read()

        app.add_url_rule("/", "read", aread, methods=["POST"])

    assert client.post("/", json={"a": 1}).json == {"json": {"a": 1}}
    assert client.post("/", data="txt", content_type="text/plain").json == {
        "data": "txt"
    }
    assert client.post("/", data={"f": "v"}).json == {"form": {"f": "v"}}


def test_async_view_awaits(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    async def index() -> str:
        await asyncio.sleep(0)
        return "awaited"

    assert client.get("/").data == b"awaited"


def test_async_hooks_with_sync_view(app: Carboy, client: CarboyClient) -> None:
    @app.before_request
    async def before() -> None:
        await asyncio.sleep(0)
        g.order = ["before"]

    @app.get("/")
    def index() -> str:
        g.order.append("view")
        return ",".join(g.order)

    @app.after_request
    async def after(response: Response) -> Response:
        response.headers["X-Order"] = ",".join([*g.order, "after"])
        return response

    rv = client.get("/")
    assert rv.data == b"before,view"
    assert rv.headers["X-Order"] == "before,view,after"


def test_sync_hooks_with_async_view(app: Carboy, client: CarboyClient) -> None:
    @app.before_request
    def before() -> None:
        g.v = "sync-before"

    @app.get("/")
    async def index() -> str:
        return g.v  # type: ignore[no-any-return]

    assert client.get("/").data == b"sync-before"


def test_async_error_handler(app: Carboy, client: CarboyClient) -> None:
    @app.errorhandler(KeyError)
    async def handle(e: KeyError) -> tuple[str, int]:
        await asyncio.sleep(0)
        return "handled", 418

    @app.get("/")
    async def index() -> str:
        raise KeyError("x")

    rv = client.get("/")
    assert (rv.status_code, rv.data) == (418, b"handled")


def test_sync_view_under_asgi_runs_in_worker_thread(app: Carboy) -> None:
    threads: list[str] = []

    @app.get("/sync")
    def sync_view() -> str:
        threads.append(threading.current_thread().name)
        return "ok"

    app.test_client(protocol="asgi").get("/sync")
    assert threads and threads[0] != threading.main_thread().name


def test_async_views_interleave_under_asgi(app: Carboy) -> None:
    events: list[str] = []

    @app.get("/<name>")
    async def view(name: str) -> str:
        events.append(f"start {name}")
        await asyncio.sleep(0.01)
        events.append(f"end {name}")
        return name

    async def main() -> list[bytes]:
        client = AsyncClient(app)
        rvs = await asyncio.gather(client.get("/a"), client.get("/b"))
        return [rv.data for rv in rvs]

    assert asyncio.run(main()) == [b"a", b"b"]
    assert events[:2] == ["start a", "start b"]


def test_sync_views_do_not_block_the_loop(app: Carboy) -> None:
    @app.get("/slow")
    def slow() -> str:
        time.sleep(0.05)
        return "slow"

    @app.get("/fast")
    async def fast() -> str:
        return "fast"

    async def main() -> tuple[float, float]:
        client = AsyncClient(app)
        start = time.perf_counter()
        slow_task = asyncio.ensure_future(client.get("/slow"))
        await asyncio.sleep(0.005)
        await client.get("/fast")
        fast_done = time.perf_counter() - start
        await slow_task
        return fast_done, time.perf_counter() - start

    fast_done, total = asyncio.run(main())
    assert fast_done < total


def test_async_generator_body(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> Any:
        async def gen() -> AsyncIterator[str]:
            yield "a"
            await asyncio.sleep(0)
            yield "b"

        return gen()

    assert client.get("/").data == b"ab"


def test_stream_with_context(app: Carboy, client: CarboyClient) -> None:
    torn_down: list[bool] = []

    @app.teardown_request
    def td(exc: BaseException | None) -> None:
        torn_down.append(True)

    @app.get("/")
    def index() -> Any:
        @stream_with_context
        def gen() -> Any:
            yield "hello "
            assert not torn_down
            yield request.args["name"]

        return gen()

    assert client.get("/?name=carboy").data == b"hello carboy"
    assert torn_down == [True]


def test_ensure_sync(app: Carboy) -> None:
    async def coro(x: int) -> int:
        await asyncio.sleep(0)
        return x * 2

    def plain(x: int) -> int:
        return x

    assert app.ensure_sync(plain) is plain
    assert app.ensure_sync(coro)(3) == 6
    assert app.is_async(coro) and not app.is_async(plain)


def test_async_client_exception_propagates(app: Carboy) -> None:
    @app.get("/")
    async def index() -> str:
        raise ZeroDivisionError()

    async def main() -> None:
        await AsyncClient(app).get("/")

    with pytest.raises(ZeroDivisionError):
        asyncio.run(main())
