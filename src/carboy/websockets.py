"""WebSockets under ASGI: the ``websocket`` object a handler talks to, and the adapter
step that serves one connection.

A handler is registered with ``@app.websocket(rule)`` (or on a blueprint) and reads the
connection through the ``carboy.websocket`` context local::

    @app.websocket("/echo/<name>")
    async def echo(name):
        await websocket.accept()
        async for message in websocket:          # ends when the client disconnects
            await websocket.send(f"{name}: {message}")

One connection, in order: the handshake request is matched (``url_value_preprocessor``
functions, then ``before_websocket`` hooks; a hook's non-``None`` return refuses the
connection with that HTTP response), the handler runs, ``after_websocket`` hooks get the
response it returned (``None`` for a normal end), then the teardown functions run.

How a connection ends:

- the handler returns: an accepted socket is closed with 1000; one never accepted is
  refused, with the handler's response if it returned one, else 403;
- the client disconnects: ``receive()`` raises :class:`WebSocketDisconnect` (and
  ``async for`` simply ends); escaping the handler it is a normal end, not an error;
- the handler raises: the app's and its blueprint's error handlers apply (an HTTP error
  before ``accept()`` is sent as the refusal); an unhandled error is logged and closes
  the socket with 1011 (a refusal with 500 before ``accept()``);
- a message larger than ``WEBSOCKET_MAX_MESSAGE_SIZE`` closes it with 1009, and no
  message for ``WEBSOCKET_IDLE_TIMEOUT`` seconds closes it with 1001.

A refusal is an HTTP response when the server supports the ASGI ``websocket.http.response``
extension (uvicorn, hypercorn, the test client), else a close, which servers answer with
403. A plain ``def`` handler runs in one worker thread for its whole life; there,
``websocket``'s methods block instead of returning awaitables.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from .asgi import request_from_scope
from .bridge import run_in_own_thread, run_in_thread, run_sync_on
from .ctx import Context, enter, leave
from .dispatch import blueprint_chain, drive_async, is_http_exception, teardown
from .exceptions import Forbidden, InternalServerError
from .globals import _cv_websocket

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Request
    from .sansio.datastructures import Headers, MultiDict
    from .sansio.response import Response as SansioResponse
    from .types import Receive, Scope, Send

__all__ = ["WebSocket", "WebSocketDisconnect", "SyncWebSocket", "serve_websocket"]

#: Close codes (RFC 6455, section 7.4.1).
CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_ABNORMAL = 1006
CLOSE_TOO_BIG = 1009
CLOSE_INTERNAL_ERROR = 1011

_CONNECTING, _OPEN, _CLOSED = 0, 1, 2


class WebSocketDisconnect(Exception):
    """The connection is closed: the client went away (``code`` is its close code), or
    a limit closed it (1009: message too big, 1001: idle timeout).

    Raised by ``receive()`` and ``send()``. A handler may let it escape: that ends the
    handler normally. (``async for message in websocket`` ends without raising it.)
    """

    def __init__(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        super().__init__(code, reason)
        self.code = code
        self.reason = reason

    def __str__(self) -> str:
        return f"WebSocket closed with code {self.code}" + (
            f": {self.reason}" if self.reason else ""
        )


class WebSocket:
    """One WebSocket connection, as ``carboy.websocket`` inside a handler.

    The handshake request's ``args``, ``headers``, ``cookies``, ``path`` and the
    (read-only) ``session`` are here; ``accept()``, ``receive()``, ``send()``,
    ``receive_json()``, ``send_json()`` and ``close()`` talk to the client. The first
    ``receive()`` or ``send()`` accepts the connection if the handler has not.
    """

    def __init__(
        self,
        app: Carboy,
        request: Request,
        scope: Scope,
        receive: Receive,
        send: Send,
    ) -> None:
        self.app = app
        #: The handshake request (``request`` is the same object inside the handler).
        self.request = request
        self.scope = scope
        self._receive = receive
        self._send = send
        self._state = _CONNECTING
        self.max_message_size: int | None = app.config["WEBSOCKET_MAX_MESSAGE_SIZE"]
        self.idle_timeout: float | None = app.config["WEBSOCKET_IDLE_TIMEOUT"]
        #: The subprotocol chosen by ``accept()``, if any.
        self.subprotocol: str | None = None
        #: The close code once the connection is closed (by either side).
        self.close_code: int | None = None

    # -- the handshake request -------------------------------------------------------

    @property
    def args(self) -> MultiDict[str, str]:
        """The query string's values."""
        return self.request.args

    @property
    def headers(self) -> Headers:
        """The handshake request's headers."""
        return self.request.headers

    @property
    def cookies(self) -> Mapping[str, str]:
        return self.request.cookies

    @property
    def path(self) -> str:
        return self.request.path

    @property
    def full_path(self) -> str:
        return self.request.full_path

    @property
    def scheme(self) -> str:
        """``"ws"`` or ``"wss"``."""
        return str(self.scope.get("scheme", "ws"))

    @property
    def host(self) -> str:
        return self.request.host

    @property
    def url(self) -> str:
        """The connection's URL, with the ``ws``/``wss`` scheme."""
        rest = self.request.url.partition("://")[2]
        return f"{self.scheme}://{rest}"

    @property
    def view_args(self) -> dict[str, Any] | None:
        return self.request.view_args

    @property
    def endpoint(self) -> str | None:
        return self.request.endpoint

    @property
    def requested_subprotocols(self) -> list[str]:
        """The subprotocols the client offered, in its order of preference."""
        return list(self.scope.get("subprotocols") or ())

    @property
    def session(self) -> Mapping[str, Any]:
        """The session of the handshake request, read-only: a WebSocket has no
        response to carry a changed session cookie."""
        return _ReadOnlySession(self.app._open_session(_ctx_for(self)))

    @property
    def accepted(self) -> bool:
        """Whether ``accept()`` was sent (and the connection not yet closed)."""
        return self._state == _OPEN

    @property
    def closed(self) -> bool:
        return self._state == _CLOSED

    # -- talking to the client ----------------------------------------------------------

    async def accept(
        self,
        subprotocol: str | None = None,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
    ) -> None:
        """Complete the handshake, choosing ``subprotocol`` (one of
        ``requested_subprotocols``) and adding ``headers`` to the 101 response."""
        if self._state != _CONNECTING:
            raise RuntimeError(
                "The WebSocket is already accepted or closed; accept() is called once,"
                " before the first send() or receive()."
            )
        if subprotocol is not None and subprotocol not in self.requested_subprotocols:
            raise ValueError(
                f"The client did not offer the subprotocol {subprotocol!r}; it offered"
                f" {self.requested_subprotocols!r}."
            )
        pairs = headers.items() if isinstance(headers, Mapping) else headers or ()
        message: dict[str, Any] = {
            "type": "websocket.accept",
            "subprotocol": subprotocol,
            "headers": [
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in pairs
            ],
        }
        await self._send(message)
        self._state = _OPEN
        self.subprotocol = subprotocol

    async def receive(self) -> str | bytes:
        """The next message: ``str`` for a text frame, ``bytes`` for a binary one.

        Raises :class:`WebSocketDisconnect` when the connection closes.
        """
        if self._state == _CONNECTING:
            await self.accept()
        if self._state == _CLOSED:
            raise WebSocketDisconnect(self.close_code or CLOSE_NORMAL)
        if self.idle_timeout is None:
            # PERF: no timeout object per message when there is no idle limit.
            message = await self._receive()
        else:
            try:
                async with asyncio.timeout(self.idle_timeout):
                    message = await self._receive()
            except TimeoutError:
                await self._close_for(CLOSE_GOING_AWAY, "idle timeout")
        kind = message["type"]
        if kind == "websocket.receive":
            data: str | bytes | None = message.get("text")
            if data is None:
                data = message.get("bytes") or b""
            limit = self.max_message_size
            # NOTE: a str of n characters is at most 4n UTF-8 bytes: encode only when
            # that bound could pass the limit.
            if limit is not None and len(data) * 4 > limit and _size(data) > limit:
                await self._close_for(CLOSE_TOO_BIG, "message too big")
            return data
        self._state = _CLOSED
        self.close_code = int(message.get("code") or 1005)
        raise WebSocketDisconnect(self.close_code, message.get("reason") or "")

    async def _close_for(self, code: int, reason: str) -> Any:
        await self.close(code, reason)
        raise WebSocketDisconnect(code, reason)

    async def send(self, data: str | bytes) -> None:
        """Send a text frame (``str``) or a binary frame (``bytes``)."""
        if isinstance(data, str):
            message: dict[str, Any] = {"type": "websocket.send", "text": data}
        elif isinstance(data, bytes | bytearray | memoryview):
            message = {"type": "websocket.send", "bytes": bytes(data)}
        else:
            raise TypeError(
                f"send() takes str or bytes, not {type(data).__name__}; use"
                " send_json() for other values."
            )
        if self._state == _CONNECTING:
            await self.accept()
        if self._state == _CLOSED:
            raise WebSocketDisconnect(self.close_code or CLOSE_NORMAL)
        try:
            await self._send(message)
        except OSError:
            # The server reports a client that went away as an OSError (uvicorn's
            # ClientDisconnected is one).
            self._state = _CLOSED
            self.close_code = CLOSE_ABNORMAL
            raise WebSocketDisconnect(CLOSE_ABNORMAL) from None

    async def receive_json(self) -> Any:
        """The next message, parsed as JSON (a bad one closes the socket with 1007)."""
        data = await self.receive()
        try:
            return self.app.json.loads(data)
        except ValueError:
            await self._close_for(1007, "invalid JSON")

    async def send_json(self, obj: Any) -> None:
        """Send ``obj`` as JSON in a text frame."""
        await self.send(self.app.json.dumps(obj))

    async def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        """Close the connection (before ``accept()``, this refuses it: 403)."""
        if self._state == _CLOSED:
            return
        self._state = _CLOSED
        self.close_code = code
        try:
            await self._send(
                {"type": "websocket.close", "code": code, "reason": reason}
            )
        except OSError:  # pragma: no cover - the client left first
            pass

    def __aiter__(self) -> AsyncIterator[str | bytes]:
        return self._messages()

    async def _messages(self) -> AsyncIterator[str | bytes]:
        while True:
            try:
                message = await self.receive()
            except WebSocketDisconnect:
                return
            yield message

    # -- the refusal ------------------------------------------------------------------

    async def deny(self, response: SansioResponse) -> None:
        """Refuse the connection with an HTTP ``response`` (a close if the server has
        no ``websocket.http.response`` extension)."""
        if self._state != _CONNECTING:
            raise RuntimeError("Only a WebSocket that was not accepted can be refused.")
        self._state = _CLOSED
        self.close_code = 1008
        extensions = self.scope.get("extensions") or {}
        if "websocket.http.response" not in extensions:
            await self._send({"type": "websocket.close", "code": 1008, "reason": ""})
            return
        body = b"".join(response.iter_encoded())
        await self._send(
            {
                "type": "websocket.http.response.start",
                "status": response.status_code,
                "headers": [
                    (name.lower().encode("latin-1"), value.encode("latin-1"))
                    for name, value in response.header_list()
                ],
            }
        )
        await self._send({"type": "websocket.http.response.body", "body": body})
        response.close()


class SyncWebSocket:
    """``websocket`` inside a plain ``def`` handler or hook (run in a worker thread):
    the same methods as :class:`WebSocket`, blocking until done."""

    def __init__(self, ws: WebSocket, loop: asyncio.AbstractEventLoop) -> None:
        self._ws = ws
        self._loop = loop

    def __getattr__(self, name: str) -> Any:
        return getattr(self._ws, name)

    def _wait(self, coro: Any) -> Any:
        return run_sync_on(self._loop, coro)

    def accept(
        self,
        subprotocol: str | None = None,
        headers: Mapping[str, str] | list[tuple[str, str]] | None = None,
    ) -> None:
        self._wait(self._ws.accept(subprotocol, headers))

    def receive(self) -> str | bytes:
        return self._wait(self._ws.receive())  # type: ignore[no-any-return]

    def send(self, data: str | bytes) -> None:
        self._wait(self._ws.send(data))

    def receive_json(self) -> Any:
        return self._wait(self._ws.receive_json())

    def send_json(self, obj: Any) -> None:
        self._wait(self._ws.send_json(obj))

    def close(self, code: int = CLOSE_NORMAL, reason: str = "") -> None:
        self._wait(self._ws.close(code, reason))

    def __iter__(self) -> Iterator[str | bytes]:
        while True:
            try:
                message = self.receive()
            except WebSocketDisconnect:
                return
            yield message


class _ReadOnlySession(Mapping[str, Any]):
    __slots__ = ("_session",)

    def __init__(self, session: Mapping[str, Any]) -> None:
        self._session = session

    def __getitem__(self, key: str) -> Any:
        return self._session[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._session)

    def __len__(self) -> int:
        return len(self._session)

    def __repr__(self) -> str:
        return f"<read-only session {dict(self._session)!r}>"


def _ctx_for(ws: WebSocket) -> Context:
    return Context(ws.app, ws.request)


def _size(data: str | bytes) -> int:
    return len(data.encode()) if isinstance(data, str) else len(data)


# -- serving one connection ------------------------------------------------------------


def _hooks(app: Carboy, endpoint: str | None) -> tuple[list[Any], list[Any], list[Any]]:
    """``url_value_preprocessor``, ``before_websocket`` and ``after_websocket``
    functions for ``endpoint``'s blueprint chain, in call order."""
    chain = blueprint_chain(endpoint)
    outer: tuple[str | None, ...] = (None, *reversed(chain))
    preprocess = [
        f for name in outer for f in app.url_value_preprocessors.get(name, ())
    ]
    before = [f for name in outer for f in app.before_websocket_funcs.get(name, ())]
    after = [
        f
        for name in (*chain, None)
        for f in reversed(app.after_websocket_funcs.get(name, ()))
    ]
    return preprocess, before, after


def _make_call(app: Carboy, ws: WebSocket) -> Callable[[Any], Any]:
    """How a WebSocket's user functions run: ``async def`` ones on the loop, plain ones
    in a worker thread (the ASGI adapter's pool for hooks, a thread of its own for the
    handler) that sees a :class:`SyncWebSocket`."""
    sync_ws = SyncWebSocket(ws, asyncio.get_running_loop())

    def in_thread(func: Callable[..., Any], args: Any, kwargs: Any) -> Any:
        token = _cv_websocket.set(sync_ws)
        try:
            return app.ensure_sync(func)(*args, **(kwargs or {}))
        finally:
            _cv_websocket.reset(token)

    async def call(step: Any) -> Any:
        func, args, kwargs = step
        if app.is_async(func):
            return await func(*args, **(kwargs or {}))
        if func is _handler_of(app, ws):
            return await run_in_own_thread(in_thread, func, args, kwargs)
        return await run_in_thread(in_thread, func, args, kwargs)

    return call


def _handler_of(app: Carboy, ws: WebSocket) -> Any:
    rule = ws.request.url_rule
    return app.view_functions.get(rule.endpoint) if rule is not None else None


async def serve_websocket(
    app: Carboy, scope: Scope, receive: Receive, send: Send
) -> None:
    """The ASGI ``websocket`` scope: one connection, from handshake to teardown."""
    app._got_first_request = True
    message = await receive()
    if message["type"] != "websocket.connect":  # pragma: no cover - a broken server
        return
    scheme = "https" if scope.get("scheme") == "wss" else "http"
    request = request_from_scope(app, dict(scope, scheme=scheme), None)
    ctx = Context(app, request)
    ws = WebSocket(app, request, scope, receive, send)
    token = enter(ctx)
    ws_token = _cv_websocket.set(ws)
    call = _make_call(app, ws)
    error: BaseException | None = None
    try:
        app.match_request(ctx, websocket=True)
        await _run(app, ctx, ws, call)
    except BaseException as e:
        error = e
        raise
    finally:
        try:
            await drive_async(teardown(app, ctx, error), call)
        finally:
            _cv_websocket.reset(ws_token)
            leave(ctx, token)


async def _run(app: Carboy, ctx: Context, ws: WebSocket, call: Any) -> None:
    request = ctx.request
    assert request is not None
    preprocess, before, after = _hooks(app, request.endpoint)
    rv: Any = None
    try:
        try:
            for func in preprocess:
                await call((func, (request.endpoint, request.view_args), None))
            for func in before:
                rv = await call((func, (), None))
                if rv is not None:
                    break
            else:
                if request.routing_exception is not None:
                    raise request.routing_exception
                handler = app.view_functions[request.url_rule.endpoint]
                rv = await call((handler, (), request.view_args))
        except WebSocketDisconnect:
            rv = None
        except Exception as e:
            rv = await _handle_error(app, ctx, ws, e, call)
        response = app.make_response(rv) if rv is not None else None
        for func in after:
            response = await call((func, (response,), None))
    except Exception as e:
        await _fail(app, ctx, ws, e)
        return
    if ws._state == _CONNECTING:
        await ws.deny(response if response is not None else Forbidden().get_response())
    elif ws._state == _OPEN:
        await ws.close(CLOSE_NORMAL)


async def _handle_error(
    app: Carboy, ctx: Context, ws: WebSocket, e: Exception, call: Any
) -> Any:
    """An error handler's result for ``e``; an HTTP error without one is its own
    response; anything else is re-raised to :func:`_fail`."""
    handler = app._find_error_handler(e, ctx)
    if handler is not None:
        return await call((handler, (e,), None))
    if is_http_exception(e):
        return e
    raise e


async def _fail(app: Carboy, ctx: Context, ws: WebSocket, e: Exception) -> None:
    """An unhandled error: log it, close with 1011 (refuse with 500 if never
    accepted), and re-raise it when the app propagates errors (testing, debug)."""
    ctx.error = e
    if ws._state == _CONNECTING:
        await ws.deny(InternalServerError().get_response())
    elif ws._state == _OPEN:
        await ws.close(CLOSE_INTERNAL_ERROR, "internal error")
    if app.propagate_exceptions:
        raise e
    app.log_exception((type(e), e, e.__traceback__))
