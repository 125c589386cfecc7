"""The ASGI adapter called directly with scope, receive and send."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from typing import Any

import pytest

from carboy import Carboy, Response, request


def make_scope(path: str = "/", method: str = "GET", **extra: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 5000),
        "server": ("localhost", 80),
    }
    scope.update(extra)
    return scope


async def call(
    app: Any,
    scope: dict[str, Any],
    body: list[bytes] | None = None,
    on_send: Any = None,
) -> list[dict[str, Any]]:
    """Run the app once; every message it sent."""
    chunks = body or [b""]
    messages = [
        {"type": "http.request", "body": chunk, "more_body": i < len(chunks) - 1}
        for i, chunk in enumerate(chunks)
    ]
    sent: list[dict[str, Any]] = []
    finished = asyncio.Event()

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop(0)
        await finished.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if on_send is not None:
            await on_send(message)

    try:
        await app(scope, receive, send)
    finally:
        finished.set()
    return sent


@pytest.fixture
def app() -> Carboy:
    app = Carboy("asgi_app", static_folder=None)
    app.testing = True

    @app.get("/")
    def index() -> str:
        return "hello"

    return app


def test_simple_response(app: Carboy) -> None:
    start, body = asyncio.run(call(app, make_scope()))
    assert start["type"] == "http.response.start"
    assert start["status"] == 200
    for name, value in start["headers"]:
        assert type(name) is bytes and type(value) is bytes
        assert name == name.lower()
    assert (b"content-length", b"5") in start["headers"]
    assert body == {"type": "http.response.body", "body": b"hello"} or (
        body["body"] == b"hello" and not body.get("more_body", False)
    )


def test_404_and_405(app: Carboy) -> None:
    assert asyncio.run(call(app, make_scope("/x")))[0]["status"] == 404
    start = asyncio.run(call(app, make_scope("/", "POST")))[0]
    assert start["status"] == 405
    assert any(name == b"allow" for name, _ in start["headers"])


def test_head_sends_no_body(app: Carboy) -> None:
    start, *bodies = asyncio.run(call(app, make_scope("/", "HEAD")))
    assert (b"content-length", b"5") in start["headers"]
    assert b"".join(m.get("body", b"") for m in bodies) == b""


def test_request_body_in_chunks(app: Carboy) -> None:
    @app.post("/echo")
    async def echo() -> bytes:
        return request.get_data()

    scope = make_scope(
        "/echo", "POST", headers=[(b"host", b"x"), (b"content-length", b"6")]
    )
    messages = asyncio.run(call(app, scope, [b"ab", b"cd", b"ef"]))
    assert b"".join(m.get("body", b"") for m in messages[1:]) == b"abcdef"


def test_sync_view_reads_body(app: Carboy) -> None:
    @app.post("/echo")
    def echo() -> bytes:
        return request.get_data()

    scope = make_scope(
        "/echo", "POST", headers=[(b"host", b"x"), (b"transfer-encoding", b"chunked")]
    )
    messages = asyncio.run(call(app, scope, [b"12", b"34"]))
    assert b"".join(m.get("body", b"") for m in messages[1:]) == b"1234"


def test_scope_available_and_root_path(app: Carboy) -> None:
    @app.get("/where")
    def where() -> dict[str, Any]:
        assert request.environ is None
        return {
            "type": request.scope["type"],
            "root": request.script_root,
            "path": request.path,
        }

    scope = make_scope("/mnt/where", root_path="/mnt")
    messages = asyncio.run(call(app, scope))
    import json

    assert json.loads(messages[1]["body"]) == {
        "type": "http",
        "root": "/mnt",
        "path": "/where",
    }


def test_streaming_sent_as_produced(app: Carboy) -> None:
    produced: list[str] = []

    @app.get("/stream")
    def stream() -> Response:
        def gen() -> Iterator[str]:
            for i in range(3):
                produced.append(f"p{i}")
                yield f"c{i}"

        return Response(gen())

    sent_when: list[tuple[bytes, list[str]]] = []

    async def on_send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            sent_when.append((message.get("body", b""), list(produced)))

    asyncio.run(call(app, make_scope("/stream"), on_send=on_send))
    chunks = [(body, seen) for body, seen in sent_when if body]
    assert chunks == [
        (b"c0", ["p0"]),
        (b"c1", ["p0", "p1"]),
        (b"c2", ["p0", "p1", "p2"]),
    ]
    assert sent_when[-1][0] == b""


def test_async_generator_streamed(app: Carboy) -> None:
    @app.get("/astream")
    async def astream() -> Any:
        async def gen() -> Any:
            yield "a"
            yield b"b"

        return gen()

    messages = asyncio.run(call(app, make_scope("/astream")))
    bodies = [m for m in messages if m["type"] == "http.response.body"]
    assert [m.get("body") for m in bodies] == [b"a", b"b", b""]
    assert all(m.get("more_body") for m in bodies[:-1])
    assert not bodies[-1].get("more_body", False)


def test_client_disconnect_stops_stream(app: Carboy) -> None:
    produced: list[int] = []
    closed: list[bool] = []

    @app.get("/forever")
    def forever() -> Response:
        def gen() -> Iterator[bytes]:
            try:
                i = 0
                while True:
                    produced.append(i)
                    i += 1
                    yield b"x"
            finally:
                closed.append(True)

        return Response(gen())

    async def main() -> None:
        disconnected = asyncio.Event()
        sent = 0
        requested = False

        async def receive() -> dict[str, Any]:
            # NOTE: as the ASGI spec says, the (empty) body comes first.
            nonlocal requested
            if not requested:
                requested = True
                return {"type": "http.request", "body": b"", "more_body": False}
            await disconnected.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal sent
            if message["type"] == "http.response.body":
                sent += 1
                if sent == 3:
                    disconnected.set()
                await asyncio.sleep(0.001)

        await asyncio.wait_for(app(make_scope("/forever"), receive, send), 5)

    asyncio.run(main())
    assert len(produced) < 100
    assert closed == [True]


def test_lifespan(app: Carboy) -> None:
    events: list[str] = []

    @app.before_serving
    async def startup() -> None:
        events.append("startup-async")

    @app.before_serving
    def startup_sync() -> None:
        from carboy import current_app

        events.append(f"startup-sync:{current_app.name}")

    @app.after_serving
    async def shutdown() -> None:
        events.append("shutdown")

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
    assert events == ["startup-async", "startup-sync:asgi_app", "shutdown"]


def test_lifespan_startup_failure(app: Carboy) -> None:
    @app.before_serving
    def broken() -> None:
        raise RuntimeError("db down")

    async def main() -> list[dict[str, Any]]:
        inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        sent: list[dict[str, Any]] = []

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await inbox.put({"type": "lifespan.startup"})
        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, inbox.get, send)
        return sent

    (message,) = asyncio.run(main())
    assert message["type"] == "lifespan.startup.failed"
    assert "db down" in message["message"]


def test_asgi2_style_call(app: Carboy) -> None:
    """uvicorn's "auto" interface: ``app(scope)`` then ``instance(receive, send)``."""

    async def main() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []
        done = asyncio.Event()
        first = True

        async def receive() -> dict[str, Any]:
            nonlocal first
            if first:
                first = False
                return {"type": "http.request", "body": b"", "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        instance = app(make_scope())
        await instance(receive, send)
        done.set()
        return sent

    sent = asyncio.run(main())
    assert sent[0]["status"] == 200
    assert sent[1]["body"] == b"hello"


def test_body_too_large_is_413(app: Carboy) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 4

    @app.post("/up")
    async def up() -> bytes:
        return request.get_data()

    scope = make_scope("/up", "POST", headers=[(b"transfer-encoding", b"chunked")])
    messages = asyncio.run(call(app, scope, [b"123", b"456"]))
    assert messages[0]["status"] == 413


def test_disconnect_before_body_ends_the_request(app: Carboy) -> None:
    # The client is gone: no view runs, and nothing is sent (a send on a closed
    # connection may raise OSError under ASGI 2.4).
    ran: list[bool] = []

    @app.post("/up")
    async def up() -> bytes:
        ran.append(True)
        return request.get_data()

    async def main() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = make_scope("/up", "POST", headers=[(b"content-length", b"10")])
        await app(scope, receive, send)
        return sent

    assert asyncio.run(main()) == []
    assert ran == []


def test_websocket_is_refused(app: Carboy) -> None:
    async def main() -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "websocket.connect"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        await app({"type": "websocket", "path": "/", "headers": []}, receive, send)
        return sent

    sent = asyncio.run(main())
    assert sent[0]["type"] == "websocket.close"


def test_latin1_header_values(app: Carboy) -> None:
    @app.get("/h")
    def h() -> Response:
        rv = Response("x")
        rv.headers["X-Latin"] = "café"
        return rv

    start = asyncio.run(call(app, make_scope("/h")))[0]
    assert (b"x-latin", "café".encode("latin-1")) in start["headers"]


def test_async_view_upload_spools_off_the_event_loop(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Writing an upload's large part to disk happens in a worker thread, never on the
    event loop's thread, when an async view reads request.files."""
    import tempfile
    import threading

    from carboy import Carboy, request
    from carboy.testing import AsyncClient

    created_in: list[str] = []
    real = tempfile.SpooledTemporaryFile

    def spy(*args: Any, **kwargs: Any) -> Any:
        created_in.append(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(tempfile, "SpooledTemporaryFile", spy)
    app = Carboy(__name__)
    loop_thread: list[str] = []

    @app.post("/up")
    async def up() -> dict[str, int]:
        loop_thread.append(threading.current_thread().name)
        return {"size": len(request.files["f"].read())}

    data = {"f": (io.BytesIO(b"x" * 2_000_000), "big.bin")}
    rv = asyncio.run(AsyncClient(app).post("/up", data=data))
    assert rv.status_code == 200
    assert rv.json == {"size": 2_000_000}
    assert created_in, "the 2 MB part was spooled to a temporary file"
    assert loop_thread[0] not in created_in


def test_plain_view_hooks_and_teardown_share_one_thread() -> None:
    """A sync request's before_request, view, after_request and teardowns run in one
    worker thread (as under WSGI), even with many requests at once: an object bound
    to its thread, such as an SQLite connection kept in ``g``, is closed where it was
    opened."""
    import threading

    from carboy import Carboy, g
    from carboy.testing import AsyncClient

    app = Carboy(__name__)
    mismatches: list[tuple[int, int]] = []
    done: list[int] = []

    @app.before_request
    def remember() -> None:
        g.thread = threading.get_ident()

    @app.get("/")
    def index() -> str:
        assert g.thread == threading.get_ident()
        threading.Event().wait(0.01)  # keep the thread busy so others are used too
        return "ok"

    @app.teardown_appcontext
    def check(exc: BaseException | None) -> None:
        if g.thread != threading.get_ident():
            mismatches.append((g.thread, threading.get_ident()))
        done.append(1)

    async def main() -> list[int]:
        client = AsyncClient(app)
        responses = await asyncio.gather(*(client.get("/") for _ in range(30)))
        return [r.status_code for r in responses]

    assert asyncio.run(main()) == [200] * 30
    assert len(done) == 30
    assert mismatches == []


def test_a_call_in_a_worker_thread_lets_go_of_its_arguments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The worker pool's work item outlives the await (its thread drops it later, or
    not soon on a loaded machine): it must not keep the request's objects (and the
    app) alive after the response."""
    import weakref

    from carboy import bridge

    kept: list[object] = []

    class KeepingWorkers(bridge._Workers):
        def submit(self, loop: Any, future: Any, context: Any, work: Any) -> None:
            kept.append(work)  # as a work item its thread has not dropped yet
            super().submit(loop, future, context, work)

    class Thing:
        pass

    monkeypatch.setattr(bridge, "_get_workers", lambda: KeepingWorkers(1))
    things = [Thing()]
    ref = weakref.ref(things[0])

    async def main() -> Any:
        return await bridge.run_in_thread(lambda t: 42, things[0])

    assert asyncio.run(main()) == 42
    things.clear()
    assert ref() is None
    assert len(kept) == 1
