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
``request.get_json()`` work inside it). A plain view's body is received on the loop
before its worker thread starts, so a slow client never holds a thread. The body is
what the ``http.request`` messages carry (HTTP/2 and HTTP/3 send bodies with neither
``Content-Length`` nor ``Transfer-Encoding``), bounded by ``max_content_length`` as it
arrives (413), and by ``BODY_TIMEOUT`` seconds for all of it, from the first message to
the last (408). Past the limit in force receiving pauses rather than fails, so that a
hook can still raise the limit for this request (``ASGIBody``). A client that
disconnects mid-body ends the request: no view runs with part of a body, and nothing is
sent.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from .asgi_body import ASGIBody, _body_timeout
from .bridge import (
    call_sync,
    make_async_call,
    run_in_thread,
    run_in_thread_with_body,
)
from .ctx import Context, enter, leave
from .dispatch import (
    Hooks,
    Plan,
    Step,
    drive_async,
    drive_sync,
    needs_teardown,
    respond_async,
    respond_sync,
    teardown,
)
from .exceptions import (
    BadRequest,
    HTTPException,
)
from .sansio.request import REPEATED_HOST
from .sansio.response import FileBody
from .types import Message, Receive, Scope, Send

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Request, Response


def _scan(scope: Scope) -> tuple[bool, bool]:
    """Whether the headers announce a body, and whether ``Host`` is repeated (or
    holds a comma, as a repeated one joined by a WSGI server does)."""
    headers = scope["headers"]
    # PERF: the fields as a dict, built in C; the loop below only when a name repeats.
    fields = dict(headers)
    if len(fields) == len(headers):
        scope["carboy.fields"] = fields  # the request's header index (ASGIReader)
        length = fields.get(b"content-length")
        announced = (length is not None and length.strip() != b"0") or (
            b"transfer-encoding" in fields
        )
        # NOTE: a comma is what WSGI servers join two Host headers with.
        return announced, b"," in fields.get(b"host", b"")
    announced = False
    hosts = 0
    for name, value in headers:
        if name == b"host":
            hosts += 2 if b"," in value else 1
        elif name == b"content-length":
            announced = announced or value.strip() != b"0"
        elif name == b"transfer-encoding":
            announced = True
    return announced, hosts > 1


def _join_repeated(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    # NOTE: RFC 9110 section 5.3: a repeated field is its values joined with ", " (as
    # WSGI servers pass them), except Cookie, whose pieces join with "; " (RFC 9113
    # section 8.2.3: HTTP/2 splits it).
    joined: dict[str, list[str]] = {}
    for name, value in pairs:
        joined.setdefault(name, []).append(value)
    return [
        (name, ("; " if name == "cookie" else ", ").join(values))
        for name, values in joined.items()
    ]


_header_names: dict[str, bytes] = {}


def _encode_name(name: str) -> bytes:
    encoded = name.lower().encode("latin-1")
    if len(_header_names) < 1024:
        _header_names[name] = encoded
    return encoded


class ASGIReader:
    """Answers a request's lazy questions from its ASGI scope."""

    indexed = True

    @staticmethod
    def headers(scope: Scope) -> list[tuple[str, str]]:
        raw = scope["headers"]
        pairs = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw]
        if len({k for k, _ in raw}) != len(raw):
            pairs = _join_repeated(pairs)
        return pairs

    @staticmethod
    def header(scope: Scope, name: str) -> str | None:
        key = _header_names.get(name) or _encode_name(name)
        fields = scope.get("carboy.fields")
        if fields is not None:
            # PERF: no name repeats (the common case): one dict look-up.
            value = fields.get(key)
            return None if value is None else value.decode("latin-1")
        values: list[str] = [
            v.decode("latin-1") for k, v in scope["headers"] if k == key
        ]
        if not values:
            return None
        if len(values) == 1:
            return values[0]
        return ("; " if name == "cookie" else ", ").join(values)

    @staticmethod
    def environ(scope: Scope) -> None:
        return None

    @staticmethod
    def scope(scope: Scope) -> Scope:
        return scope

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
        # NOTE: the method upper-cased, as under WSGI (and as Werkzeug does).
        scope.get("method", "GET").upper(),
        path,
        scope.get("query_string", b""),
        _READER,
        scope,
    )
    if body is not None:
        # PERF: a weak proxy: the request holds its body (through the scope); a
        # strong reference back would make a cycle that only the garbage collector
        # frees, request by request.
        body._request = weakref.proxy(request)
    return request


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
    """The app's shared ``call`` for requests without a body (cached on the app).

    NOTE: it holds the app's ``AsyncFlags``, not the app: no cycle through the app's
    ``__dict__`` that would outlive the last reference to the app.
    """
    call: Callable[[Step], Awaitable[Any]] | None = app.__dict__.get("_asgi_call")
    if call is None:
        call = app.__dict__["_asgi_call"] = make_async_call(None, app._async_flags)
    return call


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
    # PERF: header names repeat across responses; each is encoded once.
    names = _header_names
    headers = response._headers
    await send(
        {
            "type": "http.response.start",
            "status": response._status_code,
            "headers": [
                (names.get(name) or _encode_name(name), value.encode("latin-1"))
                for name, value in (
                    response._pairs if headers is None else headers._list
                )
            ],
        }
    )
    body = response.response
    if type(body) is list and not response._on_close:
        # PERF: the common case, a body in memory with nothing to close.
        if len(body) == 1 and type(body[0]) is bytes:
            data = body[0]
        else:
            data = b"".join(response.iter_encoded())
        if scope.get("method") == "HEAD":
            data = b""
        await send({"type": "http.response.body", "body": data})
        return
    closed = False
    try:
        if scope.get("method") == "HEAD":
            await send({"type": "http.response.body", "body": b""})
            return
        if type(body) is list:
            await send(
                {
                    "type": "http.response.body",
                    "body": b"".join(response.iter_encoded()),
                }
            )
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
        closed = await _send_streamed(response, receive, send)
    finally:
        if closed:
            pass
        elif hasattr(body, "aclose"):
            await _aclose(response)
        elif response._on_close or hasattr(body, "close"):
            await run_in_thread(response.close)


async def _aclose(response: Response) -> None:
    await response.response.aclose()  # type: ignore[attr-defined]
    if response._on_close:
        # NOTE: close callbacks are plain functions (work after the response, say):
        # they run in a worker thread, never blocking the loop.
        await run_in_thread(_run_on_close, response)


def _run_on_close(response: Response) -> None:
    for func in response._on_close or ():
        func()


async def _send_streamed(response: Response, receive: Receive, send: Send) -> bool:
    """Send a streamed body until it ends or the client disconnects; whether the
    response is closed already.

    An async iterable is iterated on the loop; a disconnect cancels it where it waits
    (its ``finally`` runs). A plain iterable (a generator) runs in ONE worker thread
    for its whole life, closing included, so thread-bound objects (an SQLite
    connection) work in it; it stops at the first chunk after a disconnect.
    """
    disconnected = asyncio.Event()
    watcher = asyncio.ensure_future(_watch_disconnect(receive, disconnected))
    try:
        if not hasattr(response.response, "__aiter__"):
            loop = asyncio.get_running_loop()
            await run_in_thread(_pump, response, send, loop, disconnected)
            return True
        streamer = asyncio.ensure_future(_send_async_body(response, send))

        def stop(_: object) -> None:
            if disconnected.is_set():
                streamer.cancel()

        watcher.add_done_callback(stop)
        try:
            await streamer
        except asyncio.CancelledError:
            if not disconnected.is_set():
                raise
        return False
    finally:
        watcher.cancel()


async def _send_async_body(response: Response, send: Send) -> None:
    charset = response.charset
    async for chunk in response.response:  # type: ignore[attr-defined]
        if isinstance(chunk, str):
            chunk = chunk.encode(charset)
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def _pump(
    response: Response,
    send: Send,
    loop: asyncio.AbstractEventLoop,
    disconnected: asyncio.Event,
) -> None:
    """In one worker thread: iterate the body, hand each chunk to the loop to send,
    then close the response here."""
    try:
        for chunk in response.iter_encoded():
            if disconnected.is_set():
                return
            message = {"type": "http.response.body", "body": chunk, "more_body": True}
            asyncio.run_coroutine_threadsafe(_send(send, message), loop).result()
        if not disconnected.is_set():
            final = {"type": "http.response.body", "body": b""}
            asyncio.run_coroutine_threadsafe(_send(send, final), loop).result()
    finally:
        response.close()


async def _send(send: Send, message: dict[str, Any]) -> None:
    await send(message)


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
        return _websocket(app, scope, receive, send)
    raise RuntimeError(f"carboy does not handle ASGI scope type {kind!r}.")


async def _websocket(app: Carboy, scope: Scope, receive: Receive, send: Send) -> None:
    # NOTE: carboy.websockets imports this module, so it is imported on first use.
    from .websockets import serve_websocket

    await serve_websocket(app, scope, receive, send)


#: The ASGI ``http_version`` values of HTTP/1 (RFC 9112).
_HTTP1 = frozenset({"1.1", "1.0"})


async def _first_message(receive: Receive, timeout: float | None) -> Message:
    """The first message of an HTTP/2 or HTTP/3 request that announced no body; a
    timeout gives a message of type ``carboy.timeout``."""
    try:
        async with asyncio.timeout(timeout):
            return await receive()
    except TimeoutError:
        return {"type": "carboy.timeout"}


def _body_from(
    app: Carboy, receive: Receive, message: Message, started: float | None
) -> ASGIBody | None:
    """The body a request's first message begins (one that announced none: HTTP/2
    and HTTP/3 send bodies without a length header); ``None`` when the client left."""
    if message["type"] == "http.disconnect":
        return None
    timeout = app.config["BODY_TIMEOUT"]
    loop = asyncio.get_running_loop()
    if message["type"] == "carboy.timeout":
        body = ASGIBody(receive, loop, timeout)
        body._error = _body_timeout(timeout)
        return body
    return ASGIBody(receive, loop, timeout, message, started)


async def _http(app: Carboy, scope: Scope, receive: Receive, send: Send) -> None:
    if not app._got_first_request:
        app._start()
    announced, repeated_host = _scan(scope)
    body: ASGIBody | None
    if announced:
        body = ASGIBody(receive, asyncio.get_running_loop(), app.config["BODY_TIMEOUT"])
    else:
        # NOTE: the ASGI spec defines the body by its http.request messages, not by
        # headers: HTTP/2 and HTTP/3 servers send bodies without a length header.
        started = None
        if scope.get("http_version", "1.1") in _HTTP1:
            # PERF: HTTP/1 without Content-Length or Transfer-Encoding has no body
            # (RFC 9112 section 6.3), so the server's message is ready: no timer.
            message = await receive()
        else:
            started = asyncio.get_running_loop().time()
            message = await _first_message(receive, app.config["BODY_TIMEOUT"])
        if message["type"] == "http.request" and not (
            message.get("body") or message.get("more_body")
        ):
            body = None  # the common case: no body
        else:
            body = _body_from(app, receive, message, started)
            if body is None:
                return  # the client left before anything: nobody to answer
    request = request_from_scope(app, scope, body)
    ctx = Context(app, request)
    token = enter(ctx)
    error: BaseException | None = None
    hooks = None
    torn_down = False
    response = None
    # The test client keeps a request's context to inspect it after (``with client:``)
    # and tears it down later on its own thread; such a request runs its plain
    # functions on the loop's thread, so that everything it opened is closed where it
    # was opened.
    preserve = (scope.get("extensions") or {}).get("carboy.preserve_context")
    if preserve is not None and body is not None:
        await _receive_body(body)
    call = app.__dict__.get("_asgi_call")
    if call is None or body is not None or preserve is not None:
        call = _call_for(app, body, preserve is not None)
    try:
        app.match_request(ctx)
        if repeated_host:
            # NOTE: two Host headers could name two hosts; refused, as under WSGI.
            request.routing_exception = BadRequest(REPEATED_HOST)
        hooks = app._hooks_for(request)
        if preserve is None and _in_thread(app, request):
            # NOTE: the body is received here, on the loop, so that a slow client
            # never holds a worker thread; an error is raised to whoever reads it.
            if body is None or await _receive_body(body):
                # PERF: a plain view: the whole request in one worker-thread hop.
                torn_down = True
                response = await run_in_thread_with_body(
                    body, _sync_cycle, app, ctx, hooks, call_sync
                )
        else:
            response = await respond_async(app, ctx, hooks, call)
    except BaseException as e:
        error = e
        raise
    finally:
        pending = _teardown_of(app, ctx, hooks, error, preserve, torn_down)
        if pending is not None:
            await drive_async(pending, call)
        leave(ctx, token)
    if body is not None and body.disconnected:
        # NOTE: the client went away mid-body: no one is left to answer.
        await _discard(response)
        return
    assert response is not None
    await send_response(response, scope, receive, send)


def _in_thread(app: Carboy, request: Request) -> bool:
    """Whether the request's view is plain, to run in a worker thread (``False`` for
    an ``async def`` one, and for a plain one declared non-blocking: ``ON_LOOP``)."""
    rule = request.url_rule
    if rule is None:
        return False
    view = app.view_functions.get(rule.endpoint)
    if view is None:
        return False
    try:  # PERF: a registered view's kind is a dict lookup
        return app._async_flags._known[view] is False
    except (KeyError, TypeError):
        return app._async_flags.kind(view) is False


def _teardown_of(
    app: Carboy,
    ctx: Context,
    hooks: Hooks | None,
    error: BaseException | None,
    preserve: Callable[[Context], None] | None,
    torn_down: bool,
) -> Plan[None] | None:
    """The request's teardown plan to run now, if any."""
    if preserve is not None:
        preserve(ctx)
    if ctx._pushes or preserve is not None:
        # Torn down later: by the streamed body, or by the test client.
        ctx._preserved = True
    elif not torn_down and needs_teardown(app, ctx, hooks):
        return teardown(app, ctx, error)
    return None


def _call_for(
    app: Carboy, body: ASGIBody | None, preserved: bool
) -> Callable[[Step], Awaitable[Any]]:
    if preserved:
        return make_async_call(body, app._async_flags, inline=True)
    if body is not None:
        return make_async_call(body, app._async_flags)
    return _bodiless_call(app)  # PERF: one per app for requests without a body


async def _discard(response: Response | None) -> None:
    if response is not None:
        await run_in_thread(response.close)


async def _receive_body(body: ASGIBody) -> bool:
    """Receive the body; whether the client is still there."""
    try:
        await body.load()
    except HTTPException:
        pass  # kept by the body, and raised to the first reader
    return not body.disconnected


async def _lifespan(app: Carboy, scope: Scope, receive: Receive, send: Send) -> None:
    """ASGI lifespan: run ``before_serving`` at startup and ``after_serving`` at shutdown."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            try:
                for func in app.before_serving_funcs:
                    await _run_any(app, func)
                if not app._got_first_request:
                    app._start()
            except Exception as e:
                app.logger.exception("A before_serving function failed")
                await send({"type": "lifespan.startup.failed", "message": repr(e)})
                return
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            try:
                for func in app.after_serving_funcs:
                    await _run_any(app, func)
            except Exception as e:
                app.logger.exception("An after_serving function failed")
                await send({"type": "lifespan.shutdown.failed", "message": repr(e)})
                return
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _run_any(app: Carboy, func: Callable[[], Any]) -> None:
    """Run a lifespan function in an app context, torn down through the bridge too
    (an ``async def`` ``teardown_appcontext`` function is awaited on this loop)."""
    call = _bodiless_call(app)
    ctx = Context(app)
    token = enter(ctx)
    error: BaseException | None = None
    try:
        await call((func, (), None))
    except BaseException as e:
        error = e
        raise
    finally:
        try:
            if needs_teardown(app, ctx, None):
                await drive_async(teardown(app, ctx, error), call)
        finally:
            leave(ctx, token)
