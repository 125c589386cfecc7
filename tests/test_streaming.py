"""Streamed responses, server-sent events, work after the response and lifespan, under
both adapters (``client`` fixture) with plain and async generators."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from carboy import (
    Carboy,
    after_this_response,
    g,
    request,
    stream_with_context,
)
from carboy.lifespan import shutdown, startup
from carboy.sse import KEEP_ALIVE, ServerSentEvent, comment, event_stream, last_event_id
from carboy.testing import CarboyClient


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def _wait(gate: threading.Event) -> None:
    assert gate.wait(5), "the test never opened the gate"


async def _await(gate: threading.Event) -> None:
    for _ in range(500):
        if gate.is_set():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the test never opened the gate")  # pragma: no cover


# -- streaming ---------------------------------------------------------------------------


def test_chunks_arrive_one_by_one(app: Carboy, client: CarboyClient, kind: str) -> None:
    """The second chunk is produced only after the test has read the first: a body
    that was buffered whole would never let the test open the gate."""
    gate = threading.Event()

    if kind == "sync":

        @app.get("/stream")
        def stream() -> Any:
            def generate() -> Iterator[str]:
                yield "first "
                _wait(gate)
                yield "second"

            return generate()

    else:

        @app.get("/stream")
        async def stream() -> Any:
            async def generate() -> AsyncIterator[bytes]:
                yield b"first "
                await _await(gate)
                yield b"second"

            return generate()

    response = client.get("/stream", stream=True)
    assert response.status_code == 200
    chunks = response.iter_encoded()
    assert next(chunks) == b"first "
    gate.set()
    assert list(chunks) == [b"second"]
    response.close()


def test_buffered_streams_still_join(app: Carboy, client: CarboyClient) -> None:
    @app.get("/stream")
    def stream() -> Any:
        return (str(n) for n in range(5)), {"X-Kind": "generator"}

    rv = client.get("/stream")
    assert (rv.data, rv.headers["X-Kind"]) == (b"01234", "generator")


def test_stream_with_context(app: Carboy, client: CarboyClient) -> None:
    torn: list[str] = []

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(g.get("name", "?"))

    @app.get("/hello")
    def hello() -> Any:
        g.name = request.args["name"]

        @stream_with_context
        def generate() -> Iterator[str]:
            yield "Hello "
            yield request.args["name"]
            yield f" ({g.name})"

        return generate()

    response = client.get("/hello?name=ada", stream=True)
    assert b"".join(response.iter_encoded()) == b"Hello ada (ada)"
    response.close()
    assert torn == ["ada"]


def test_a_plain_generator_runs_in_one_thread_with_sqlite(
    app: Carboy, client: CarboyClient
) -> None:
    """An SQLite connection may only be used on the thread that opened it: the
    generator's whole life (each chunk, and its ``finally``) is on one thread."""
    threads: set[int] = set()

    @app.get("/rows")
    def rows() -> Any:
        def generate() -> Iterator[str]:
            db = sqlite3.connect(":memory:")
            try:
                db.execute("create table t (n int)")
                for n in range(5):
                    threads.add(threading.get_ident())
                    db.execute("insert into t values (?)", (n,))
                    (total,) = db.execute("select sum(n) from t").fetchone()
                    yield f"{total},"
            finally:
                threads.add(threading.get_ident())
                db.close()

        return generate()

    assert client.get("/rows").data == b"0,1,3,6,10,"
    assert len(threads) == 1
    response = client.get("/rows", stream=True)
    assert next(response.iter_encoded()) == b"0,"
    response.close()  # the generator is closed on its own thread: no sqlite error


def test_disconnect_stops_the_generator_and_runs_finally(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    events: list[str] = []

    if kind == "sync":

        @app.get("/forever")
        def forever() -> Any:
            def generate() -> Iterator[str]:
                try:
                    while True:
                        events.append("chunk")
                        yield "tick\n"
                        time.sleep(0.01)
                finally:
                    events.append("finally")

            return generate()

    else:

        @app.get("/forever")
        async def forever() -> Any:
            async def generate() -> AsyncIterator[str]:
                try:
                    while True:
                        events.append("chunk")
                        yield "tick\n"
                        await asyncio.sleep(0.01)
                finally:
                    events.append("finally")

            return generate()

    response = client.get("/forever", stream=True)
    chunks = response.iter_encoded()
    assert [next(chunks), next(chunks)] == [b"tick\n", b"tick\n"]
    response.close()
    assert events[-1] == "finally"
    assert events.count("finally") == 1
    count = len(events)
    time.sleep(0.05)
    assert len(events) == count  # stopped for good


def test_async_generator_waiting_is_cancelled_on_disconnect(app: Carboy) -> None:
    """Under ASGI a disconnect reaches an async generator while it waits."""
    events: list[str] = []

    @app.get("/quiet")
    async def quiet() -> Any:
        async def generate() -> AsyncIterator[str]:
            try:
                yield "hello"
                await asyncio.sleep(60)
                yield "never"  # pragma: no cover
            except asyncio.CancelledError:
                events.append("cancelled")
                raise
            finally:
                events.append("finally")

        return generate()

    response = app.test_client(protocol="asgi").get("/quiet", stream=True)
    assert next(response.iter_encoded()) == b"hello"
    started = time.monotonic()
    response.close()
    assert time.monotonic() - started < 5
    assert events == ["cancelled", "finally"]


# -- server-sent events ------------------------------------------------------------------


def test_event_encoding() -> None:
    assert ServerSentEvent("hi").encode() == "data: hi\n\n"
    event = ServerSentEvent("a\nb\r\nc\rd", event="update", id="7", retry=1500)
    assert event.encode() == (
        "event: update\nid: 7\nretry: 1500\ndata: a\ndata: b\ndata: c\ndata: d\n\n"
    )
    assert ServerSentEvent("").encode() == "data: \n\n"
    assert ServerSentEvent("x\n").encode() == "data: x\ndata: \n\n"
    assert ServerSentEvent({"a": [1]}).encode(lambda v: "J") == "data: J\n\n"
    assert comment("one\ntwo") == ": one\n: two\n\n"
    assert comment() == ":\n\n"
    assert KEEP_ALIVE == ": keep-alive\n\n"
    assert repr(ServerSentEvent("x", id="1")) == (
        "<ServerSentEvent event=None id='1' data='x'>"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"id": "1\n2"}, "An event's id may not contain a line break."),
        ({"event": "a\rb"}, "An event's event may not contain a line break."),
        ({"id": "a\0"}, "An event's id may not contain NUL."),
        ({"retry": -1}, "retry is a number of milliseconds (an int >= 0)."),
        ({"retry": 1.5}, "retry is a number of milliseconds (an int >= 0)."),
    ],
)
def test_bad_event_fields_are_refused(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError) as info:
        ServerSentEvent("x", **kwargs)
    assert str(info.value) == message


def test_event_stream_response(app: Carboy, client: CarboyClient, kind: str) -> None:
    if kind == "sync":

        @app.get("/events")
        def events() -> Any:
            start = int(last_event_id() or 0)

            def generate() -> Iterator[Any]:
                yield ServerSentEvent("line 1\nline 2", event="note", id=str(start + 1))
                yield {"n": start + 2}
                yield "plain"

            return event_stream(generate(), retry=3000)

    else:

        @app.get("/events")
        async def events() -> Any:
            start = int(last_event_id() or 0)

            async def generate() -> AsyncIterator[Any]:
                yield ServerSentEvent("line 1\nline 2", event="note", id=str(start + 1))
                yield {"n": start + 2}
                yield "plain"

            return event_stream(generate(), retry=3000)

    rv = client.get("/events", headers={"Last-Event-ID": "41"})
    assert rv.status_code == 200
    assert rv.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert rv.headers["Cache-Control"] == "no-cache"
    assert rv.headers["X-Accel-Buffering"] == "no"
    assert rv.data == (
        b"retry: 3000\n\n"
        b"event: note\nid: 42\ndata: line 1\ndata: line 2\n\n"
        + f"data: {app.json.dumps({'n': 43})}\n\n".encode()
        + b"data: plain\n\n"
    )
    assert client.get("/events").data.count(b"id: 1\n") == 1


def test_keep_alive_comments_while_quiet(app: Carboy, client: CarboyClient) -> None:
    gate = threading.Event()
    ended: list[str] = []

    @app.get("/events")
    async def events() -> Any:
        async def generate() -> AsyncIterator[Any]:
            try:
                await _await(gate)
                yield ServerSentEvent("finally something", id="1")
                await _await(threading.Event())  # quiet until the client leaves
            finally:
                ended.append("source closed")

        return event_stream(generate(), keep_alive=0.02)

    response = client.get("/events", stream=True)
    chunks = response.iter_encoded()
    assert next(chunks) == KEEP_ALIVE.encode()
    gate.set()
    chunk = next(chunks)
    while chunk == KEEP_ALIVE.encode():
        chunk = next(chunks)
    assert chunk == b"id: 1\ndata: finally something\n\n"
    assert next(chunks) == KEEP_ALIVE.encode()
    response.close()
    assert ended == ["source closed"]


def test_sync_event_source_is_closed_with_the_response(
    app: Carboy, client: CarboyClient
) -> None:
    ended: list[str] = []

    @app.get("/events")
    def events() -> Any:
        def generate() -> Iterator[Any]:
            try:
                n = 0
                while True:
                    n += 1
                    yield ServerSentEvent(str(n), id=str(n))
                    time.sleep(0.01)
            finally:
                ended.append("closed")

        return event_stream(generate(), keep_alive=None)

    response = client.get("/events", stream=True)
    chunks = response.iter_encoded()
    assert next(chunks) == b"id: 1\ndata: 1\n\n"
    assert next(chunks) == b"id: 2\ndata: 2\n\n"
    response.close()
    assert ended == ["closed"]


def test_last_event_id_needs_a_request() -> None:
    with pytest.raises(RuntimeError, match="Working outside of request context"):
        last_event_id()


# -- work after the response -------------------------------------------------------------


def test_after_this_response_runs_after_the_body(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    """The work waits for a gate the test opens only once it has the whole body: if
    the work ran first, the response would never arrive."""
    done: list[Any] = []
    gate = threading.Event()

    def record(label: str) -> None:
        _wait(gate)
        done.append((label, request.path, g.user))

    async def record_async(label: str) -> None:
        await _await(gate)
        done.append((label, request.path, g.user))

    @app.get("/signup")
    def signup() -> str:
        g.user = "ada"
        after_this_response(record if kind == "sync" else record_async, "mail")

        @after_this_response
        def decorated() -> None:
            done.append("decorated")

        return "Welcome!"

    response = client.get("/signup", stream=True)
    assert response.data == b"Welcome!"
    assert done == []
    gate.set()
    response.close()
    assert done == [("mail", "/signup", "ada"), "decorated"]
    done.clear()
    assert client.get("/signup").data == b"Welcome!"
    assert done == [("mail", "/signup", "ada"), "decorated"]


def test_after_this_response_errors_are_logged(
    app: Carboy, client: CarboyClient, caplog: pytest.LogCaptureFixture
) -> None:
    ran: list[str] = []

    def broken() -> None:
        raise RuntimeError("smtp down")

    @app.get("/")
    def index() -> str:
        after_this_response(broken)
        after_this_response(ran.append, "second still runs")
        return "ok"

    with caplog.at_level(logging.ERROR):
        rv = client.get("/")
    assert (rv.status_code, rv.data) == (200, b"ok")
    assert ran == ["second still runs"]
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == [
        "Error in test_after_this_response_errors_are_logged.<locals>.broken, run"
        " after the response to /"
    ]
    assert str(errors[0].exc_info[1]) == "smtp down"  # type: ignore[index]


def test_after_this_response_needs_a_request() -> None:
    with pytest.raises(RuntimeError, match="'after_this_response' can only be used"):
        after_this_response(print)


# -- lifespan --------------------------------------------------------------------------


def test_lifespan_startup_failure_is_reported(
    app: Carboy, caplog: pytest.LogCaptureFixture
) -> None:
    @app.before_serving
    async def connect() -> None:
        raise ConnectionError("database unreachable")

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        sent: list[dict[str, Any]] = []
        await inbox.put({"type": "lifespan.startup"})

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
        return sent

    with caplog.at_level(logging.ERROR):
        sent = asyncio.run(main())
    assert sent == [
        {
            "type": "lifespan.startup.failed",
            "message": "ConnectionError('database unreachable')",
        }
    ]
    assert [r.getMessage() for r in caplog.records] == [
        "A before_serving function failed"
    ]


def test_lifespan_shutdown_failure_is_reported(app: Carboy) -> None:
    @app.after_serving
    def close() -> None:
        raise RuntimeError("stuck")

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for kind in ("startup", "shutdown"):
            await inbox.put({"type": f"lifespan.{kind}"})
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
        return sent

    assert asyncio.run(main()) == [
        {"type": "lifespan.startup.complete"},
        {"type": "lifespan.shutdown.failed", "message": "RuntimeError('stuck')"},
    ]


def test_wsgi_lifespan_helpers(app: Carboy) -> None:
    calls: list[str] = []

    @app.before_serving
    def open_pool() -> None:
        calls.append(f"open {app.name}")

    @app.before_serving
    async def warm() -> None:
        calls.append("warm")

    @app.after_serving
    async def close_pool() -> None:
        calls.append("close")

    startup(app)
    assert calls == ["open test_app", "warm"]
    shutdown(app)
    assert calls == ["open test_app", "warm", "close"]
