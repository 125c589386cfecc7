"""The ASGI 3 adapter: scope, ``receive`` and ``send`` in and out.

Its steps, in the same order and with the same names as the WSGI adapter's:
translate in (``request_from_scope``) → route (``app.match_request``) → run the plan
(``dispatch.handle_request`` driven by ``call``) → tear down → translate out
(``send_response``). ``call`` is the one place where sync meets async: ``async def``
functions are awaited on the loop, plain ones run in a worker thread with the request
context carried over. When the view itself is plain, the whole plan runs in one
worker-thread hop (async hooks then go back to the loop), which keeps a sync app at one
thread switch per request.

The request body is received when it is first needed: by a plain function reading it in
its worker thread, or before any ``async def`` function runs (so ``request.form`` and
``request.get_json()`` work inside it). It is bounded by ``max_content_length`` (413)
and by ``BODY_TIMEOUT`` seconds between messages (408).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import inspect
import io
import tempfile
import threading
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .ctx import Context, enter, leave
from .dispatch import (
    Hooks,
    Step,
    drive_async,
    drive_sync,
    needs_teardown,
    respond_async,
    respond_sync,
    teardown,
)
from .exceptions import BadRequest, RequestEntityTooLarge, RequestTimeout
from .sansio.forms import SPOOL_THRESHOLD as SPOOL_THRESHOLD_FORMS
from .sansio.response import FileBody
from .types import Receive, Scope, Send

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Request, Response

#: Bodies up to this size stay in memory; larger ones spool to a temporary file.
SPOOL_THRESHOLD = 1024 * 1024
_executor: concurrent.futures.ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _get_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                _executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=40, thread_name_prefix="carboy-sync"
                )
    return _executor


async def run_in_thread(func: Callable[..., Any], *args: Any) -> Any:
    """Run ``func(*args)`` in a worker thread with a copy of the current context."""
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    return await loop.run_in_executor(_get_executor(), context.run, func, *args)


class ClientDisconnected(BadRequest):
    """The client went away before its request body arrived."""

    description = "The client disconnected while sending the request body."


class ASGIBody:
    """The request body under ASGI: received once, on demand, into memory or a file."""

    __slots__ = (
        "_receive",
        "_loop",
        "_request",
        "_buffer",
        "loaded",
        "_timeout",
        "size",
    )

    def __init__(
        self, receive: Receive, loop: asyncio.AbstractEventLoop, timeout: float | None
    ) -> None:
        self._receive = receive
        self._loop = loop
        self._request: Request | None = None
        self._buffer: Any = None
        self.loaded = False
        self._timeout = timeout
        self.size = 0

    async def load(self) -> None:
        """Receive the whole body (bounded in size and time)."""
        if self.loaded:
            return
        request = self._request
        assert request is not None
        request._check_length()
        limit = request.max_content_length
        buffer: Any = io.BytesIO()
        spooled = False
        total = 0
        more = True
        while more:
            try:
                # PERF: asyncio.timeout, unlike wait_for, starts no task per message.
                async with asyncio.timeout(self._timeout):
                    message = await self._receive()
            except TimeoutError:
                raise RequestTimeout() from None
            if message["type"] == "http.disconnect":
                raise ClientDisconnected()
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            total += len(chunk)
            if limit is not None and total > limit:
                raise RequestEntityTooLarge()
            if not spooled and total > SPOOL_THRESHOLD:
                # NOTE: disk writes must not block the event loop: spool in a thread.
                file = await asyncio.to_thread(tempfile.TemporaryFile)
                await asyncio.to_thread(file.write, buffer.getvalue())
                buffer, spooled = file, True
                request.add_cleanup(file.close)
            if spooled:
                await asyncio.to_thread(buffer.write, chunk)
            else:
                buffer.write(chunk)
        buffer.seek(0)
        self._buffer = buffer
        self.size = total
        self.loaded = True

    def needs_form_parsing(self) -> bool:
        """Whether the received body is a multipart form nobody has parsed yet that is
        large enough for a part to be spooled to disk (smaller ones parse in memory,
        where a thread hop would cost more than the parse)."""
        request = self._request
        return (
            request is not None
            and self.size > SPOOL_THRESHOLD_FORMS
            and request._form is None
            and request.mimetype == "multipart/form-data"
        )

    def parse_form(self) -> None:
        """Parse the form now (called in a worker thread before async code runs)."""
        assert self._request is not None
        self._request._load_form_data()

    def read(self, size: int = -1) -> bytes:
        """Read from the received body, receiving it first when in a worker thread."""
        if not self.loaded:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is self._loop:
                raise RuntimeError(
                    "The request body was not received yet. Under ASGI, read it from a"
                    " plain view (run in a thread) or an async def view."
                )
            asyncio.run_coroutine_threadsafe(self.load(), self._loop).result()
        data: bytes = self._buffer.read(size) if size >= 0 else self._buffer.read()
        return data


def _has_body(headers: list[tuple[bytes, bytes]]) -> bool:
    for name, value in headers:
        if name == b"content-length":
            return value.strip() != b"0"
        if name == b"transfer-encoding":
            return True
    return False


class ASGIReader:
    """Answers a request's lazy questions from its ASGI scope."""

    kind = "asgi"
    indexed = False

    @staticmethod
    def headers(scope: Scope) -> list[tuple[str, str]]:
        return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]

    @staticmethod
    def header(scope: Scope, name: str) -> str | None:
        key = name.encode("latin-1")
        values: list[str] = [
            v.decode("latin-1") for k, v in scope["headers"] if k == key
        ]
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        return ("; " if name == "cookie" else ", ").join(values)

    @staticmethod
    def scheme(scope: Scope) -> str:
        return scope.get("scheme", "http")  # type: ignore[no-any-return]

    @staticmethod
    def server(scope: Scope) -> tuple[str, int | None] | None:
        server = scope.get("server")
        return (server[0], server[1]) if server else None

    @staticmethod
    def root_path(scope: Scope) -> str:
        return scope.get("root_path", "").rstrip("/")  # type: ignore[no-any-return]

    @staticmethod
    def remote_addr(scope: Scope) -> str | None:
        client = scope.get("client")
        return client[0] if client else None

    @staticmethod
    def input(scope: Scope) -> tuple[Any, bool]:
        return scope.get("carboy.body"), True


_READER = ASGIReader()


def request_from_scope(app: Carboy, scope: Scope, body: ASGIBody | None) -> Request:
    """Translate in: a request from the ASGI scope (the rest is read lazily)."""
    path = scope["path"]
    root_path = scope.get("root_path")
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :] or "/"
    if path[:1] != "/" or path[:2] == "//":
        path = "/" + path.lstrip("/")
    if body is not None:
        scope["carboy.body"] = body
    request = app.request_class(
        scope.get("method", "GET"), path, scope.get("query_string", b""), _READER, scope
    )
    if body is not None:
        body._request = request
    return request


def _make_call(
    body: ASGIBody | None,
    is_async: Callable[[Callable[..., Any]], bool],
    inline: bool = False,
) -> Callable[[Step], Awaitable[Any]]:
    def call(step: Step) -> Awaitable[Any]:
        """An async function's own coroutine (body received first); a plain one's run
        in a thread (``inline``: on the loop's thread). PERF: a plain function handing
        back the coroutine to await saves a coroutine frame per step."""
        func, args, kwargs = step
        if is_async(func):
            if body is not None and not body.loaded:
                return _after_body(body, func, args, kwargs)
            return func(*args, **kwargs) if kwargs else func(*args)  # type: ignore[no-any-return]
        if inline:
            return _inline(func, args, kwargs)
        return _in_thread(func, args, kwargs)

    return call


async def _inline(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None
) -> Any:
    rv = func(*args, **(kwargs or {}))
    if inspect.iscoroutine(rv):
        rv = await rv
    return rv


def _sync_cycle(
    app: Carboy, ctx: Context, hooks: Hooks, call: Callable[[Step], Any]
) -> Response:
    """A plain view's whole request in one worker thread: the plan, then the teardown.

    NOTE: one thread for the view, its hooks and its teardown, as under WSGI; objects
    bound to their thread (an SQLite connection in ``g``) are opened and closed there.
    """
    error: BaseException | None = None
    try:
        return respond_sync(app, ctx, hooks, call)
    except BaseException as e:
        error = e
        raise
    finally:
        if not ctx._pushes and needs_teardown(app, ctx, hooks):
            drive_sync(teardown(app, ctx, error), call)


def _bodiless_call(app: Carboy) -> Callable[[Step], Awaitable[Any]]:
    """The app's shared ``call`` for requests without a body (cached on the app)."""
    call: Callable[[Step], Awaitable[Any]] | None = app.__dict__.get("_asgi_call")
    if call is None:
        call = app.__dict__["_asgi_call"] = _make_call(None, app.is_async)
    return call


async def _after_body(
    body: ASGIBody, func: Callable[..., Any], args: tuple[Any, ...], kwargs: Any
) -> Any:
    await body.load()
    if body.needs_form_parsing():
        # NOTE: an upload's large parts go to temporary files; parse here, in a worker
        # thread, so an async view reading request.files never writes on the loop.
        await run_in_thread(body.parse_form)
    return await func(*args, **(kwargs or {}))


async def _in_thread(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None
) -> Any:
    rv = await run_in_thread(lambda: func(*args, **(kwargs or {})))
    # NOTE: asyncio.iscoroutine() is also true for a generator (a streamed body).
    if inspect.iscoroutine(rv):
        rv = await rv
    return rv


def _make_thread_call(
    body: ASGIBody | None, loop: asyncio.AbstractEventLoop
) -> Callable[[Step], Any]:
    def thread_call(step: Step) -> Any:
        """In the worker thread: plain functions directly, coroutines on the loop."""
        func, args, kwargs = step
        rv = func(*args, **kwargs) if kwargs else func(*args)
        if inspect.iscoroutine(rv):
            if body is not None and not body.loaded:
                asyncio.run_coroutine_threadsafe(body.load(), loop).result()
                if body.needs_form_parsing():
                    body.parse_form()  # here in the worker thread, not on the loop
            rv = asyncio.run_coroutine_threadsafe(rv, loop).result()
        return rv

    return thread_call


_header_names: dict[str, bytes] = {}


def _encode_name(name: str) -> bytes:
    encoded = name.lower().encode("latin-1")
    if len(_header_names) < 1024:
        _header_names[name] = encoded
    return encoded


def _encode_headers(response: Response) -> list[tuple[bytes, bytes]]:
    # PERF: header names repeat across responses; each is encoded once.
    names = _header_names
    return [
        (names.get(name) or _encode_name(name), value.encode("latin-1"))
        for name, value in response.header_list()
    ]


async def _watch_disconnect(receive: Receive, done: asyncio.Event) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            done.set()
            return


async def send_response(
    response: Response, scope: Scope, receive: Receive, send: Send
) -> None:
    """Translate out: send the status, headers and body; stop if the client leaves."""
    await send(
        {
            "type": "http.response.start",
            "status": response.status_code,
            "headers": _encode_headers(response),
        }
    )
    body = response.response
    try:
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        if type(body) is list:
            if len(body) == 1 and type(body[0]) is bytes:
                data = body[0]  # PERF: the common case, one bytes chunk
            else:
                data = b"".join(response.iter_encoded())
            await send({"type": "http.response.body", "body": data})
            return
        extensions = scope.get("extensions") or {}
        if (
            isinstance(body, FileBody)
            and body.path
            and body.remaining is None
            and ("http.response.pathsend" in extensions)
        ):
            await send({"type": "http.response.pathsend", "path": body.path})
            return
        await _send_streamed(response, receive, send)
    finally:
        if hasattr(body, "aclose"):
            await _aclose(response)
        elif response._on_close or hasattr(body, "close"):
            await run_in_thread(response.close)


async def _aclose(response: Response) -> None:
    await response.response.aclose()  # type: ignore[attr-defined]
    for func in response._on_close or ():
        func()


async def _send_streamed(response: Response, receive: Receive, send: Send) -> None:
    disconnected = asyncio.Event()
    watcher = asyncio.ensure_future(_watch_disconnect(receive, disconnected))
    try:
        body: Any = response.response
        if hasattr(body, "__aiter__"):
            async for chunk in body:
                if disconnected.is_set():
                    return
                if isinstance(chunk, str):
                    chunk = chunk.encode(response.charset)
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
        else:
            iterator = response.iter_encoded()
            sentinel = object()
            while not disconnected.is_set():
                chunk = await run_in_thread(next, iterator, sentinel)
                if chunk is sentinel:
                    break
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": True}
                )
            else:
                return
        await send({"type": "http.response.body", "body": b""})
    finally:
        watcher.cancel()


def asgi_app(
    app: Carboy, scope: Scope, receive: Receive, send: Send
) -> Awaitable[None]:
    """The ASGI application: ``app.asgi_app`` (returns the coroutine to await).

    PERF: a plain function handing back the handler's coroutine saves a coroutine
    frame per request over an ``async def`` that awaits it.
    """
    kind = scope["type"]
    if kind == "http":
        return _http(app, scope, receive, send)
    if kind == "lifespan":
        return _lifespan(app, scope, receive, send)
    if kind == "websocket":
        return _refuse_websocket(send)
    raise RuntimeError(f"carboy does not handle ASGI scope type {kind!r}.")


async def _refuse_websocket(send: Send) -> None:
    # WebSocket routes are not supported yet: refuse the handshake (403).
    await send({"type": "websocket.close", "code": 1000})


async def _http(app: Carboy, scope: Scope, receive: Receive, send: Send) -> None:
    app._got_first_request = True
    body = (
        ASGIBody(receive, asyncio.get_running_loop(), app.config["BODY_TIMEOUT"])
        if _has_body(scope["headers"])
        else None
    )
    request = request_from_scope(app, scope, body)
    ctx = Context(app, request)
    token = enter(ctx)
    error: BaseException | None = None
    hooks = None
    torn_down = False
    # The test client keeps a request's context to inspect it after (``with client:``)
    # and tears it down later on its own thread; such a request runs its plain
    # functions on the loop's thread, so that everything it opened is closed where it
    # was opened.
    preserve = (scope.get("extensions") or {}).get("carboy.preserve_context")
    if preserve is not None:
        if body is not None:
            await body.load()
        call = _make_call(body, app.is_async, inline=True)
    elif body is not None:
        call = _make_call(body, app.is_async)
    else:
        call = _bodiless_call(app)  # PERF: one per app for requests without a body
    try:
        app.match_request(ctx)
        hooks = app._hooks_for(request)
        rule = request.url_rule
        view = app.view_functions.get(rule.endpoint) if rule is not None else None
        if preserve is None and view is not None and not app.is_async(view):
            # PERF: a plain view: the whole request in one worker-thread hop.
            thread_call = _make_thread_call(body, asyncio.get_running_loop())
            torn_down = True
            response = await run_in_thread(_sync_cycle, app, ctx, hooks, thread_call)
        else:
            response = await respond_async(app, ctx, hooks, call)
    except BaseException as e:
        error = e
        raise
    finally:
        if preserve is not None:
            preserve(ctx)
        if ctx._pushes or preserve is not None:
            # Torn down later: by the streamed body, or by the test client.
            ctx._preserved = True
        elif not torn_down and needs_teardown(app, ctx, hooks):
            await drive_async(teardown(app, ctx, error), call)
        leave(ctx, token)
    await send_response(response, scope, receive, send)


async def _lifespan(app: Carboy, scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI lifespan: run ``before_serving`` at startup and ``after_serving`` at shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                for func in app.before_serving_funcs:
                    await _run_any(app, func)
            except Exception as e:
                await send({"type": "lifespan.startup.failed", "message": repr(e)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                for func in app.after_serving_funcs:
                    await _run_any(app, func)
            except Exception as e:
                await send({"type": "lifespan.shutdown.failed", "message": repr(e)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _run_any(app: Carboy, func: Callable[[], Any]) -> None:
    with app.app_context():
        if app.is_async(func):
            await func()
        else:
            await run_in_thread(func)
