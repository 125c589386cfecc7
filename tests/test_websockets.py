"""WebSocket routes, the ``websocket`` context local, hooks, endings and limits,
through the test client (sync and async handlers alike)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from carboy import Blueprint, Carboy, abort, request, session, url_for, websocket
from carboy.testing import AsyncClient
from carboy.testing_ws import WebSocketDenied
from carboy.websockets import WebSocketDisconnect


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def _echo_handlers(app: Carboy, kind: str) -> None:
    """The same echo handler, plain or ``async def``."""
    if kind == "sync":

        @app.websocket("/echo/<int:times>")
        def echo(times: int) -> None:
            websocket.accept()
            for message in websocket:
                websocket.send(message * times)

    else:

        @app.websocket("/echo/<int:times>")
        async def echo(times: int) -> None:
            await websocket.accept()
            async for message in websocket:
                await websocket.send(message * times)


def test_echo_text_and_bytes_with_a_converter(app: Carboy, kind: str) -> None:
    _echo_handlers(app, kind)
    with app.test_client().websocket("/echo/2") as ws:
        ws.send("ab")
        assert ws.receive() == "abab"
        ws.send(b"\x00\xff")
        assert ws.receive() == b"\x00\xff\x00\xff"


def test_async_client_websocket(app: Carboy, kind: str) -> None:
    _echo_handlers(app, kind)

    async def main() -> list[Any]:
        async with AsyncClient(app) as client:
            async with client.websocket("/echo/3") as ws:
                await ws.send("x")
                first = await ws.receive()
                await ws.send_json([1])
                second = await ws.receive()
        return [first, second]

    assert asyncio.run(main()) == ["xxx", "[1][1][1]"]


def test_json_messages(app: Carboy, kind: str) -> None:
    if kind == "sync":

        @app.websocket("/json")
        def handler() -> None:
            data = websocket.receive_json()
            websocket.send_json({"got": data, "n": len(data)})

    else:

        @app.websocket("/json")
        async def handler() -> None:
            data = await websocket.receive_json()
            await websocket.send_json({"got": data, "n": len(data)})

    with app.test_client().websocket("/json") as ws:
        ws.send_json(["a", "b"])
        assert ws.receive_json() == {"got": ["a", "b"], "n": 2}
        # The handler returned: the server closes the socket normally.
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
        assert info.value.code == 1000
    assert ws.close_code == 1000


def test_invalid_json_closes_with_1007(app: Carboy) -> None:
    @app.websocket("/json")
    async def handler() -> None:
        await websocket.receive_json()

    with app.test_client().websocket("/json") as ws:
        ws.send("{not json")
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
    assert (info.value.code, info.value.reason) == (1007, "invalid JSON")


def test_handshake_request_values(app: Carboy, kind: str) -> None:
    seen: dict[str, Any] = {}

    def record() -> None:
        seen.update(
            args=websocket.args.to_dict(),
            header=websocket.headers.get("X-Token"),
            cookie=websocket.cookies.get("flavour"),
            path=websocket.path,
            scheme=websocket.scheme,
            url=websocket.url,
            offered=websocket.requested_subprotocols,
            request_path=request.path,
            endpoint=websocket.endpoint,
            view_args=websocket.view_args,
        )

    if kind == "sync":

        @app.websocket("/info/<name>")
        def info(name: str) -> None:
            record()
            websocket.accept(subprotocol="chat.v2", headers={"X-Server": "carboy"})
            websocket.send(name)

    else:

        @app.websocket("/info/<name>")
        async def info(name: str) -> None:
            record()
            await websocket.accept(
                subprotocol="chat.v2", headers=[("X-Server", "carboy")]
            )
            await websocket.send(name)

    client = app.test_client()
    client.set_cookie("flavour", "oat")
    with client.websocket(
        "/info/ada?page=2",
        subprotocols=["chat.v1", "chat.v2"],
        headers={"X-Token": "t1"},
    ) as ws:
        assert ws.receive() == "ada"
        assert ws.subprotocol == "chat.v2"
        assert ws.accept_headers == [("x-server", "carboy")]
    assert seen == {
        "args": {"page": "2"},
        "header": "t1",
        "cookie": "oat",
        "path": "/info/ada",
        "scheme": "ws",
        "url": "ws://localhost/info/ada?page=2",
        "offered": ["chat.v1", "chat.v2"],
        "request_path": "/info/ada",
        "endpoint": "info",
        "view_args": {"name": "ada"},
    }


def test_wss_scheme(app: Carboy) -> None:
    @app.websocket("/s")
    async def s() -> None:
        await websocket.send(f"{websocket.scheme} {request.scheme} {request.is_secure}")

    with app.test_client().websocket("/s", base_url="https://example.com") as ws:
        assert ws.receive() == "wss https True"


def test_blueprint_websocket_prefix_and_url_for(app: Carboy) -> None:
    bp = Blueprint("chat", __name__, url_prefix="/chat")

    @bp.websocket("/room/<int:room>")
    async def room(room: int) -> None:
        await websocket.send(url_for(".room", room=room + 1))

    @app.get("/links")
    def links() -> dict[str, str]:
        return {
            "ws": url_for("chat.room", room=1, _external=True),
            "path": url_for("chat.room", room=1),
            "forced": url_for("chat.room", room=1, _external=True, _scheme="https"),
            "http": url_for("links", _external=True),
        }

    app.register_blueprint(bp)
    client = app.test_client()
    with client.websocket("/chat/room/7") as ws:
        assert ws.receive() == "/chat/room/8"
    assert client.get("/links").json == {
        "ws": "ws://localhost/chat/room/1",
        "path": "/chat/room/1",
        "forced": "https://localhost/chat/room/1",
        "http": "http://localhost/links",
    }
    secure = client.get("/links", base_url="https://example.com").json
    assert secure["ws"] == "wss://example.com/chat/room/1"
    app.config["SERVER_NAME"] = "example.org"
    with app.app_context():
        assert url_for("chat.room", room=2) == "ws://example.org/chat/room/2"


def test_plain_http_request_to_a_websocket_route_is_426(
    app: Carboy, client: Any
) -> None:
    @app.websocket("/ws")
    async def ws() -> None:  # pragma: no cover - never connected here
        pass

    rv = client.get("/ws")
    assert rv.status_code == 426
    assert rv.headers["Upgrade"] == "websocket"
    assert b"WebSocket connections only" in rv.data
    assert client.post("/ws").status_code == 426
    assert client.get("/other").status_code == 404


def test_session_is_read_only(app: Carboy) -> None:
    @app.websocket("/me")
    async def me() -> None:
        await websocket.send(f"{websocket.session['user']} {session.get('user')}")
        with pytest.raises(TypeError):
            websocket.session["user"] = "mallory"  # type: ignore[index]
        await websocket.send(str(dict(websocket.session)))

    client = app.test_client()
    with client.session_transaction() as sess:
        sess["user"] = "ada"
    with client.websocket("/me") as ws:
        assert ws.receive() == "ada ada"
        assert ws.receive() == "{'user': 'ada'}"


def test_hooks_order_and_blueprint_scope(app: Carboy, kind: str) -> None:
    calls: list[str] = []
    bp = Blueprint("bp", __name__, url_prefix="/bp")

    @app.before_websocket
    def app_before() -> None:
        calls.append(f"app before {websocket.path}")

    @bp.before_websocket
    async def bp_before() -> None:
        calls.append("bp before")

    @bp.after_websocket
    def bp_after(response: Any) -> Any:
        calls.append(f"bp after {response}")
        return response

    @app.after_websocket
    async def app_after(response: Any) -> Any:
        calls.append("app after")
        return response

    @app.before_request
    def http_only() -> None:
        calls.append("before_request")

    @app.teardown_request
    def torn(exc: BaseException | None) -> None:
        calls.append(f"teardown {exc}")

    if kind == "sync":

        @bp.websocket("/")
        def handler() -> None:
            calls.append("handler")
            websocket.send("ok")

    else:

        @bp.websocket("/")
        async def handler() -> None:
            calls.append("handler")
            await websocket.send("ok")

    @app.websocket("/plain")
    async def plain() -> None:
        await websocket.send("plain")

    app.register_blueprint(bp)
    client = app.test_client()
    with client.websocket("/bp/") as ws:
        assert ws.receive() == "ok"
    assert calls == [
        "app before /bp/",
        "bp before",
        "handler",
        "bp after None",
        "app after",
        "teardown None",
    ]
    calls.clear()
    with client.websocket("/plain") as ws:
        assert ws.receive() == "plain"
    assert calls == ["app before /plain", "app after", "teardown None"]


def test_before_websocket_can_refuse(app: Carboy) -> None:
    @app.before_websocket
    def check() -> Any:
        if websocket.args.get("token") != "s3cret":
            return {"error": "bad token"}, 401
        return None

    @app.websocket("/ws")
    async def handler() -> None:
        await websocket.send("welcome")

    client = app.test_client()
    with pytest.raises(WebSocketDenied) as info:
        with client.websocket("/ws"):
            pass  # pragma: no cover
    assert info.value.status_code == 401
    assert info.value.response.json == {"error": "bad token"}
    with client.websocket("/ws?token=s3cret") as ws:
        assert ws.receive() == "welcome"


def test_abort_before_accept_is_the_refusal(app: Carboy, kind: str) -> None:
    if kind == "sync":

        @app.websocket("/private")
        def private() -> None:
            abort(403, "Members only.")

    else:

        @app.websocket("/private")
        async def private() -> None:
            abort(403, "Members only.")

    with pytest.raises(WebSocketDenied) as info:
        with app.test_client().websocket("/private"):
            pass  # pragma: no cover
    assert info.value.status_code == 403
    assert b"Members only." in info.value.response.data


def test_unknown_path_is_refused_with_404(app: Carboy) -> None:
    with pytest.raises(WebSocketDenied) as info:
        with app.test_client().websocket("/nowhere"):
            pass  # pragma: no cover
    assert info.value.status_code == 404


def test_returning_without_accepting_is_403(app: Carboy, kind: str) -> None:
    if kind == "sync":

        @app.websocket("/no")
        def no() -> None:
            return None

    else:

        @app.websocket("/no")
        async def no() -> None:
            return None

    @app.websocket("/custom")
    async def custom() -> Any:
        return "Go away", 418

    client = app.test_client()
    with pytest.raises(WebSocketDenied) as info:
        with client.websocket("/no"):
            pass  # pragma: no cover
    assert info.value.status_code == 403
    with pytest.raises(WebSocketDenied) as info:
        with client.websocket("/custom"):
            pass  # pragma: no cover
    assert (info.value.status_code, info.value.response.data) == (418, b"Go away")


def test_refusal_is_a_close_without_the_http_response_extension(app: Carboy) -> None:
    @app.websocket("/no")
    async def no() -> Any:
        return "Go away", 418

    client = app.test_client()
    with pytest.raises(WebSocketDenied) as info:
        with client.websocket("/no", http_response=False):
            pass  # pragma: no cover
    # The server answers a close before the handshake with 403.
    assert info.value.status_code == 403


def test_error_handlers_apply(app: Carboy) -> None:
    bp = Blueprint("bp", __name__)

    @app.errorhandler(KeyError)
    def app_handler(e: KeyError) -> Any:
        return "app handled", 400

    @bp.errorhandler(ValueError)
    def bp_handler(e: ValueError) -> Any:
        return "bp handled", 409

    @bp.websocket("/value")
    async def value() -> None:
        raise ValueError("x")

    @bp.websocket("/key")
    async def key() -> None:
        raise KeyError("x")

    @bp.websocket("/after-accept")
    async def after_accept() -> None:
        await websocket.accept()
        raise KeyError("x")

    app.register_blueprint(bp)
    client = app.test_client()
    for path, status, body in [
        ("/value", 409, b"bp handled"),
        ("/key", 400, b"app handled"),
    ]:
        with pytest.raises(WebSocketDenied) as info:
            with client.websocket(path):
                pass  # pragma: no cover
        assert (info.value.status_code, info.value.response.data) == (status, body)
    # Handled after accept: the socket is open, so it is closed normally.
    with client.websocket("/after-accept") as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive()
    assert closed.value.code == 1000


def test_handler_error_surfaces_in_the_test(app: Carboy, kind: str) -> None:
    if kind == "sync":

        @app.websocket("/boom")
        def boom() -> None:
            websocket.receive()
            raise RuntimeError("kaboom")

    else:

        @app.websocket("/boom")
        async def boom() -> None:
            await websocket.receive()
            raise RuntimeError("kaboom")

    with pytest.raises(RuntimeError, match="kaboom"):
        with app.test_client().websocket("/boom") as ws:
            ws.send("go")
            ws.receive()
    assert ws.close_code == 1011


def test_handler_error_closes_1011_and_is_logged(
    app: Carboy, caplog: pytest.LogCaptureFixture
) -> None:
    app.config["TESTING"] = False
    torn: list[Any] = []

    @app.websocket("/boom")
    async def boom() -> None:
        await websocket.accept()
        raise RuntimeError("kaboom")

    @app.websocket("/early")
    async def early() -> None:
        raise RuntimeError("early")

    @app.teardown_request
    def teardown(exc: BaseException | None) -> None:
        torn.append(exc)

    client = app.test_client()
    with caplog.at_level(logging.ERROR):
        with client.websocket("/boom") as ws:
            with pytest.raises(WebSocketDisconnect) as info:
                ws.receive()
        assert (info.value.code, info.value.reason) == (1011, "internal error")
        with pytest.raises(WebSocketDenied) as denied:
            with client.websocket("/early"):
                pass  # pragma: no cover
    assert denied.value.status_code == 500
    messages = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in messages] == [
        "Exception on /boom [GET]",
        "Exception on /early [GET]",
    ]
    assert str(messages[0].exc_info[1]) == "kaboom"  # type: ignore[index]
    assert [str(e) for e in torn] == ["kaboom", "early"]


def test_client_disconnect_ends_the_handler_cleanly(app: Carboy, kind: str) -> None:
    events: list[Any] = []

    if kind == "sync":

        @app.websocket("/listen")
        def listen() -> None:
            try:
                while True:
                    events.append(websocket.receive())
            except WebSocketDisconnect as e:
                events.append(("closed", e.code))
                raise

        @app.websocket("/iterate")
        def iterate() -> None:
            for message in websocket:
                events.append(message)
            events.append("loop ended")

    else:

        @app.websocket("/listen")
        async def listen() -> None:
            try:
                while True:
                    events.append(await websocket.receive())
            except WebSocketDisconnect as e:
                events.append(("closed", e.code))
                raise

        @app.websocket("/iterate")
        async def iterate() -> None:
            async for message in websocket:
                events.append(message)
            events.append("loop ended")

    client = app.test_client()
    with client.websocket("/listen") as ws:
        ws.send("a")
        ws.close(4001)
    with client.websocket("/iterate") as ws:
        ws.send("b")
    assert events == ["a", ("closed", 4001), "b", "loop ended"]


def test_send_or_receive_after_close_raises_disconnect(app: Carboy) -> None:
    results: list[Any] = []

    @app.websocket("/closing")
    async def closing() -> None:
        await websocket.close(4000, "bye")
        await websocket.close()  # a second close does nothing
        for action in (websocket.receive(), websocket.send("late")):
            try:
                await action
            except WebSocketDisconnect as e:
                results.append(e.code)
        results.append(websocket.closed)

    with pytest.raises(WebSocketDenied):
        with app.test_client().websocket("/closing"):
            pass  # pragma: no cover
    assert results == [4000, 4000, True]


def test_server_initiated_close_with_code_and_reason(app: Carboy) -> None:
    @app.websocket("/bye")
    async def bye() -> None:
        await websocket.accept()
        await websocket.send("last words")
        await websocket.close(4002, "done here")

    with app.test_client().websocket("/bye") as ws:
        assert ws.receive() == "last words"
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
        assert str(info.value) == "WebSocket closed with code 4002: done here"
        with pytest.raises(WebSocketDisconnect):
            ws.receive()  # still closed
    assert (ws.close_code, ws.close_reason) == (4002, "done here")


def test_oversized_message_closes_with_1009(app: Carboy, kind: str) -> None:
    app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 10
    received: list[Any] = []

    @app.websocket("/small")
    async def small() -> None:
        async for message in websocket:
            received.append(message)

    client = app.test_client()
    with client.websocket("/small") as ws:
        ws.send("0123456789")  # exactly the limit
        ws.send(b"x" * 11)
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
    assert (info.value.code, info.value.reason) == (1009, "message too big")
    with client.websocket("/small") as ws:
        ws.send("é" * 6)  # 6 characters, 12 bytes in UTF-8
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
    assert info.value.code == 1009
    assert received == ["0123456789"]


def test_default_message_limit_is_one_mebibyte(app: Carboy) -> None:
    @app.websocket("/size")
    async def size() -> None:
        async for message in websocket:
            await websocket.send(str(len(message)))

    assert app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] == 1024 * 1024
    with app.test_client().websocket("/size") as ws:
        ws.send(b"x" * (1024 * 1024))
        assert ws.receive() == "1048576"
        ws.send(b"x" * (1024 * 1024 + 1))
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
    assert info.value.code == 1009


def test_idle_timeout_closes_with_1001(app: Carboy) -> None:
    app.config["WEBSOCKET_IDLE_TIMEOUT"] = 0.05
    ended: list[int] = []

    @app.websocket("/idle")
    async def idle() -> None:
        try:
            await websocket.receive()
        except WebSocketDisconnect as e:
            ended.append(e.code)
            raise

    with app.test_client().websocket("/idle") as ws:
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive()
    assert (info.value.code, info.value.reason) == (1001, "idle timeout")
    assert ended == [1001]


def test_misuse_is_explained(app: Carboy) -> None:
    errors: list[str] = []

    @app.websocket("/misuse")
    async def misuse() -> None:
        for bad in (
            lambda: websocket.accept(subprotocol="nope"),
            lambda: websocket.send(42),  # type: ignore[arg-type]
        ):
            try:
                await bad()
            except (ValueError, TypeError) as e:
                errors.append(str(e))
        await websocket.accept()
        try:
            await websocket.accept()
        except RuntimeError as e:
            errors.append(str(e))
        try:
            await websocket.deny(app.response_class("no"))
        except RuntimeError as e:
            errors.append(str(e))

    with app.test_client().websocket("/misuse", subprotocols=["a"]) as ws:
        with pytest.raises(WebSocketDisconnect):
            ws.receive()
    assert errors == [
        "The client did not offer the subprotocol 'nope'; it offered ['a'].",
        "send() takes str or bytes, not int; use send_json() for other values.",
        "The WebSocket is already accepted or closed; accept() is called once, before"
        " the first send() or receive().",
        "Only a WebSocket that was not accepted can be refused.",
    ]


def test_websocket_outside_a_handler_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="Working outside of WebSocket context"):
        websocket.args  # noqa: B018
    assert not websocket
    assert "unbound" in repr(websocket)


def test_client_receive_times_out(app: Carboy) -> None:
    @app.websocket("/quiet")
    async def quiet() -> None:
        async for _ in websocket:
            pass

    with app.test_client().websocket("/quiet", timeout=0.05) as ws:
        with pytest.raises(TimeoutError, match="sent nothing for 0.05 seconds"):
            ws.receive()


def test_a_send_to_a_client_that_left_is_a_disconnect(app: Carboy) -> None:
    """A server reports a vanished client by raising OSError from ``send``."""
    results: list[Any] = []

    @app.websocket("/gone")
    async def gone() -> None:
        await websocket.accept()
        try:
            await websocket.send("anyone?")
        except WebSocketDisconnect as e:
            results.append(e.code)
            raise

    async def main() -> None:
        messages = iter([{"type": "websocket.connect"}])

        async def receive() -> dict[str, Any]:
            return next(messages)

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "websocket.send":
                raise OSError("connection reset")

        scope = {
            "type": "websocket",
            "path": "/gone",
            "headers": [],
            "subprotocols": [],
        }
        await app(scope, receive, send)

    asyncio.run(main())
    assert results == [1006]


def test_the_module_does_not_shadow_the_context_local() -> None:
    """``carboy.websocket`` stays the proxy once the machinery module is imported (a
    submodule named ``websocket`` would replace the package attribute)."""
    import carboy
    import carboy.globals
    import carboy.websockets

    assert carboy.websocket is carboy.globals.websocket
    assert carboy.websockets.WebSocketDisconnect.__name__ == "WebSocketDisconnect"


def test_many_plain_handlers_at_once_each_have_a_thread(app: Carboy) -> None:
    """60 open sockets with ``def`` handlers (more than the worker pool's threads):
    none waits for another to close, and plain views still answer meanwhile."""

    @app.websocket("/echo")
    def echo() -> None:
        for message in websocket:
            websocket.send(message)

    @app.get("/")
    def index() -> str:
        return "still here"

    async def main() -> tuple[list[Any], int]:
        client = AsyncClient(app)
        sockets = [client.websocket("/echo") for _ in range(60)]
        for ws in sockets:
            await ws.connect()
        for n, ws in enumerate(sockets):
            await ws.send(str(n))
        replies = [await ws.receive() for ws in sockets]
        status = (await client.get("/")).status_code
        for ws in sockets:
            await ws.close()
        return replies, status

    replies, status = asyncio.run(main())
    assert replies == [str(n) for n in range(60)]
    assert status == 200
