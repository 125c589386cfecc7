"""The test client's connections that stay open: WebSockets and streamed responses.

::

    with client.websocket("/echo") as ws:          # any CarboyClient (always ASGI)
        ws.send("hi")
        assert ws.receive() == "hi"

    async with async_client.websocket("/echo") as ws:
        await ws.send_json({"a": 1})
        assert await ws.receive_json() == {"a": 1}

    response = client.get("/events", stream=True)   # chunk by chunk
    first = next(response.iter_encoded())
    response.close()                                # the app sees a disconnect

The app runs as a task; an exception it raises (with ``TESTING`` on, errors propagate)
surfaces from the next call that waits for it (``receive``, ``close``, leaving the
``with`` block). The sync forms run the app on an event loop in a helper thread.
"""

from __future__ import annotations

import asyncio
import json as _json
import threading
from collections.abc import Coroutine, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .websockets import WebSocketDisconnect

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy
    from .testing import TestResponse

T = TypeVar("T")
__all__ = [
    "WebSocketDenied",
    "WebSocketDisconnect",
    "AsyncWebSocketSession",
    "WebSocketSession",
]


class WebSocketDenied(Exception):
    """The app refused the connection; ``response`` is the HTTP response it sent."""

    def __init__(self, response: TestResponse) -> None:
        super().__init__(f"The WebSocket connection was refused: {response.status}")
        self.response = response
        self.status_code = response.status_code


def websocket_scope(
    environ: dict[str, Any], subprotocols: list[str] | None, http_response: bool
) -> dict[str, Any]:
    """The ASGI websocket scope for the handshake a test environ describes."""
    from .testing import scope_from_environ

    scope = scope_from_environ(environ)
    scope["type"] = "websocket"
    scope["scheme"] = "wss" if scope["scheme"] == "https" else "ws"
    del scope["method"]
    scope["subprotocols"] = list(subprotocols or ())
    scope["extensions"] = {"websocket.http.response": {}} if http_response else {}
    return scope


def _client_scope(
    client: Any,
    path: str,
    args: Any,
    kwargs: dict[str, Any],
) -> tuple[dict[str, Any], float]:
    subprotocols = kwargs.pop("subprotocols", None)
    http_response = kwargs.pop("http_response", True)
    timeout = float(kwargs.pop("timeout", 5.0))
    environ = client._environ(path, *args, **kwargs)
    return websocket_scope(environ, subprotocols, http_response), timeout


class AsyncWebSocketSession:
    """A WebSocket to the app, awaited from the test's event loop."""

    def __init__(self, client: Any, path: str, *args: Any, **kwargs: Any) -> None:
        self.app: Carboy = client.application
        self.scope, self.timeout = _client_scope(client, path, args, kwargs)
        #: The subprotocol and the headers the app accepted with.
        self.subprotocol: str | None = None
        self.accept_headers: list[tuple[str, str]] = []
        #: The close code and reason the app sent, once it closed.
        self.close_code: int | None = None
        self.close_reason = ""
        self._inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._disconnected = False

    async def connect(self) -> AsyncWebSocketSession:
        """Start the app and wait for it to accept (or refuse: :class:`WebSocketDenied`)."""
        self._task = asyncio.ensure_future(
            self.app.asgi_app(self.scope, self._inbox.get, self._outbox.put)
        )
        self._inbox.put_nowait({"type": "websocket.connect"})
        message = await self._next()
        kind = message["type"]
        if kind == "websocket.accept":
            self.subprotocol = message.get("subprotocol")
            self.accept_headers = [
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in message.get("headers") or ()
            ]
            return self
        if kind == "websocket.http.response.start":
            body = b""
            while True:
                part = await self._next()
                body += part.get("body", b"")
                if not part.get("more_body"):
                    break
            await self._finish()
            raise WebSocketDenied(_denial(message, body))
        await self._finish()
        self.close_code = message.get("code", 1000)
        raise WebSocketDenied(_denial({"status": 403, "headers": []}, b""))

    async def _next(self) -> dict[str, Any]:
        """The app's next message; the app's exception if it ended with one."""
        assert self._task is not None
        getter = asyncio.ensure_future(self._outbox.get())
        done, _ = await asyncio.wait(
            {getter, self._task},
            timeout=self.timeout,
            return_when=asyncio.FIRST_COMPLETED,
        )
        if getter in done:
            return getter.result()
        getter.cancel()
        if self._task in done:
            self._task.result()  # raises the app's error
            raise WebSocketDisconnect(1006, "the app ended without closing")
        raise TimeoutError(f"The app sent nothing for {self.timeout} seconds.")

    async def send(self, data: str | bytes) -> None:
        """Send a text (``str``) or binary (``bytes``) message to the app."""
        key = "text" if isinstance(data, str) else "bytes"
        self._inbox.put_nowait({"type": "websocket.receive", key: data})

    async def send_json(self, obj: Any) -> None:
        await self.send(_json.dumps(obj))

    async def receive(self) -> str | bytes:
        """The app's next message; :class:`WebSocketDisconnect` once it has closed."""
        if self.close_code is not None:
            raise WebSocketDisconnect(self.close_code, self.close_reason)
        message = await self._next()
        if message["type"] == "websocket.send":
            data: str | bytes | None = message.get("text")
            return data if data is not None else bytes(message.get("bytes", b""))
        assert message["type"] == "websocket.close", message
        self.close_code = int(message.get("code", 1000))
        self.close_reason = message.get("reason") or ""
        # An error that closed the socket (1011) surfaces as itself, once the app
        # has ended with it.
        assert self._task is not None
        await asyncio.wait({self._task}, timeout=self.timeout)
        if self._task.done():
            self._task.result()
        raise WebSocketDisconnect(self.close_code, self.close_reason)

    async def receive_json(self) -> Any:
        return _json.loads(await self.receive())

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Disconnect (as a client closing with ``code``) and wait for the app to end."""
        if not self._disconnected:
            self._disconnected = True
            self._inbox.put_nowait(
                {"type": "websocket.disconnect", "code": code, "reason": reason}
            )
        await self._finish()

    async def _finish(self) -> None:
        assert self._task is not None
        try:
            await asyncio.wait_for(asyncio.shield(self._task), self.timeout)
        except TimeoutError:
            self._task.cancel()
            raise TimeoutError(
                f"The WebSocket handler did not end within {self.timeout} seconds"
                " of the disconnect."
            ) from None

    async def __aenter__(self) -> AsyncWebSocketSession:
        return await self.connect()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _denial(start: dict[str, Any], body: bytes) -> TestResponse:
    from .testing import TestResponse

    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]
    return TestResponse.from_parts(body, start["status"], headers)


class _LoopThread:
    """An event loop running in a helper thread, for the sync test forms."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(
            target=self.loop.run_forever, name="carboy-test-loop", daemon=True
        )
        self.thread.start()

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join()
        self.loop.close()


class WebSocketSession:
    """A WebSocket to the app, used from sync test code (``client.websocket(path)``)."""

    def __init__(self, client: Any, path: str, *args: Any, **kwargs: Any) -> None:
        self._loop = _LoopThread()
        self._session: AsyncWebSocketSession = self._loop.run(
            _make_session(client, path, args, kwargs)
        )

    @property
    def subprotocol(self) -> str | None:
        return self._session.subprotocol

    @property
    def accept_headers(self) -> list[tuple[str, str]]:
        return self._session.accept_headers

    @property
    def close_code(self) -> int | None:
        return self._session.close_code

    @property
    def close_reason(self) -> str:
        return self._session.close_reason

    def connect(self) -> WebSocketSession:
        try:
            self._loop.run(self._session.connect())
        except BaseException:
            self._loop.stop()
            raise
        return self

    def send(self, data: str | bytes) -> None:
        self._loop.run(self._session.send(data))

    def send_json(self, obj: Any) -> None:
        self._loop.run(self._session.send_json(obj))

    def receive(self) -> str | bytes:
        return self._loop.run(self._session.receive())

    def receive_json(self) -> Any:
        return self._loop.run(self._session.receive_json())

    def close(self, code: int = 1000, reason: str = "") -> None:
        if self._loop.loop.is_closed():
            return
        try:
            self._loop.run(self._session.close(code, reason))
        finally:
            self._loop.stop()

    def __enter__(self) -> WebSocketSession:
        return self.connect()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


async def _make_session(
    client: Any, path: str, args: Any, kwargs: dict[str, Any]
) -> AsyncWebSocketSession:
    # The session's queues belong to the loop that runs it.
    return AsyncWebSocketSession(client, path, *args, **kwargs)


# -- streamed responses ----------------------------------------------------------------


class _StreamedASGI:
    """An HTTP request to the app whose body is read as it is sent."""

    def __init__(self, app: Carboy, scope: dict[str, Any], body: bytes, timeout: float):
        self.timeout = timeout
        self._loop = _LoopThread()
        self._chunks: asyncio.Queue[dict[str, Any]]
        self._disconnect: asyncio.Event
        self._task: asyncio.Future[None]
        self._loop.run(self._start(app, scope, body))

    async def _start(self, app: Carboy, scope: dict[str, Any], body: bytes) -> None:
        self._chunks = asyncio.Queue()
        self._disconnect = asyncio.Event()
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await self._disconnect.wait()
            return {"type": "http.disconnect"}

        self._task = asyncio.ensure_future(
            app.asgi_app(scope, receive, self._chunks.put)
        )

    async def _next(self) -> dict[str, Any] | None:
        getter = asyncio.ensure_future(self._chunks.get())
        waiting: set[asyncio.Future[Any]] = {getter, self._task}
        done, _ = await asyncio.wait(
            waiting, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
        )
        if getter in done:
            return getter.result()
        getter.cancel()
        if self._task in done:
            self._task.result()
            return None
        raise TimeoutError(f"The app sent nothing for {self.timeout} seconds.")

    def next_message(self) -> dict[str, Any] | None:
        return self._loop.run(self._next())

    async def _close(self) -> None:
        self._disconnect.set()
        await asyncio.wait_for(self._task, self.timeout)

    def close(self) -> None:
        if self._loop.loop.is_closed():
            return
        try:
            self._loop.run(self._close())
        finally:
            self._loop.stop()


def stream_asgi(
    app: Carboy, scope: dict[str, Any], body: bytes, timeout: float = 5.0
) -> tuple[int, list[tuple[str, str]], Iterator[bytes], Any]:
    """Start a request; its status, headers, an iterator of body chunks, and a
    ``close`` that disconnects (the app's streaming generator then stops)."""
    conn = _StreamedASGI(app, scope, body, timeout)
    try:
        start = conn.next_message()
    except BaseException:
        conn.close()
        raise
    assert start is not None and start["type"] == "http.response.start", start
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start["headers"]]

    def chunks() -> Iterator[bytes]:
        while True:
            message = conn.next_message()
            if message is None:
                return
            if message.get("body"):
                yield message["body"]
            if not message.get("more_body"):
                return

    return start["status"], headers, chunks(), conn.close


def stream_response(client: Any, environ: dict[str, Any]) -> TestResponse:
    """``client.open(..., stream=True)``: a response whose body is read lazily."""
    from .testing import TestResponse, scope_from_environ
    from .wsgi import request_from_environ

    app = client.application
    close: Any
    if client.protocol == "wsgi":
        status_headers: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            status_headers[:] = [status, headers]
            return lambda data: None

        body_iter = app.wsgi_app(environ, start_response)
        chunks: Iterator[bytes] = iter(body_iter)
        first = next(chunks, None)  # the status is known once the body starts
        status, headers = status_headers
        body: Iterator[bytes] = _chain(first, chunks)
        close = getattr(body_iter, "close", None)
    else:
        scope = scope_from_environ(environ)
        status, headers, body, close = stream_asgi(
            app, scope, environ["wsgi.input"].read()
        )
    response = TestResponse(body, status, list(headers))
    if close is not None:
        response.call_on_close(close)
    response.request = request_from_environ(app, environ)
    response.history = ()
    client._store_cookies(environ, response)
    return response


def _chain(first: bytes | None, rest: Iterator[bytes]) -> Iterator[bytes]:
    if first is None:
        return
    yield first
    yield from rest
