"""The WSGI adapter (PEP 3333): environ in, ``start_response`` and a body iterable out.

Its steps, in the same order and with the same names as the ASGI adapter's:
translate in (``request_from_environ``) → route (``app.match_request``) → run the plan
(``dispatch.handle_request`` driven by ``call``) → tear down → translate out
(``send_response``). ``call`` is the one place where sync meets async: an ``async def``
view or hook runs to completion on an event loop owned by the worker thread.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from .bridge import call_sync, run_sync
from .ctx import Context, enter, leave
from .dispatch import drive_sync, needs_teardown, respond_sync, teardown
from .exceptions import BadRequest
from .sansio.request import REPEATED_HOST
from .sansio.response import FileBody

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Request, Response

Environ = dict[str, Any]
StartResponse = Callable[..., Any]

#: CONTENT_TYPE and CONTENT_LENGTH are the two headers PEP 3333 keeps without HTTP_.
_CONTENT_KEYS = {"CONTENT_TYPE": "Content-Type", "CONTENT_LENGTH": "Content-Length"}
_ENVIRON_KEYS = {
    "content-type": "CONTENT_TYPE",
    "content-length": "CONTENT_LENGTH",
    "host": "HTTP_HOST",
    "cookie": "HTTP_COOKIE",
}


def headers_from_environ(environ: Environ) -> list[tuple[str, str]]:
    """The request headers as ``(Name, value)`` pairs from an environ."""
    pairs = []
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            if key in {"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"}:
                continue
            pairs.append((key[5:].replace("_", "-").title(), value))
        elif key in _CONTENT_KEYS and value:
            pairs.append((_CONTENT_KEYS[key], value))
    return pairs


def _decode(value: str) -> str:
    # NOTE: PEP 3333 gives paths as latin-1 text of the raw bytes; URLs are UTF-8.
    if value.isascii():
        return value
    return value.encode("latin-1").decode("utf-8", "replace")


class WSGIReader:
    """Answers a request's lazy questions from its WSGI environ."""

    indexed = True
    headers = staticmethod(headers_from_environ)

    @staticmethod
    def header(environ: Environ, name: str) -> str | None:
        key = _ENVIRON_KEYS.get(name)
        if key is None:
            key = "HTTP_" + name.upper().replace("-", "_")
        value: str | None = environ.get(key)
        if not value and key in _CONTENT_KEYS:
            return None  # NOTE: PEP 3333: an empty CONTENT_TYPE/LENGTH is an absent one
        return value

    @staticmethod
    def environ(environ: Environ) -> Environ:
        return environ

    @staticmethod
    def scope(environ: Environ) -> None:
        return None

    @staticmethod
    def scheme(environ: Environ) -> str:
        return environ.get("wsgi.url_scheme", "http")  # type: ignore[no-any-return]

    @staticmethod
    def server(environ: Environ) -> tuple[str, int | None] | None:
        name = environ.get("SERVER_NAME")
        if not name:
            return None
        port = environ.get("SERVER_PORT")
        return name, int(port) if port and port.isdigit() and len(port) < 6 else None

    @staticmethod
    def root_path(environ: Environ) -> str:
        return _decode(environ.get("SCRIPT_NAME", "")).rstrip("/")

    @staticmethod
    def remote_addr(environ: Environ) -> str | None:
        return environ.get("REMOTE_ADDR")

    @staticmethod
    def input(environ: Environ) -> tuple[Any, bool]:
        return environ.get("wsgi.input"), bool(environ.get("wsgi.input_terminated"))


_READER = WSGIReader()


def request_from_environ(app: Carboy, environ: Environ) -> Request:
    """Translate in: a request from the WSGI environ (the rest is read lazily)."""
    path = environ.get("PATH_INFO") or "/"
    if not path.isascii():
        path = _decode(path)
    if path[0] != "/" or path[:2] == "//":
        path = "/" + path.lstrip("/")
    return app.request_class(
        environ.get("REQUEST_METHOD", "GET").upper(),
        path,
        environ.get("QUERY_STRING", "").encode("latin-1"),
        _READER,
        environ,
    )


#: Runs one user function: see :mod:`carboy.bridge`.
call = call_sync


class _ClosingBody:
    """A body iterable whose ``close()`` closes the response (PEP 3333 calls it)."""

    __slots__ = ("_iter", "_response")

    def __init__(self, response: Response) -> None:
        self._response = response
        body: Any = response.response
        if hasattr(body, "__aiter__"):
            self._iter = _iter_async(body, response.charset)
        else:
            self._iter = response.iter_encoded()

    def __iter__(self) -> Iterator[bytes]:
        return self._iter

    def close(self) -> None:
        body: Any = self._response.response
        if hasattr(body, "aclose"):
            run_sync(body.aclose())
        self._response.close()


class _ClosingFile:
    """A response's file for ``wsgi.file_wrapper`` whose ``close()`` (called by the
    server's wrapper when the response is done) closes the response, so its
    ``call_on_close`` callbacks run, exactly once. Reading and ``fileno()`` (for
    ``sendfile``) go to the file itself."""

    __slots__ = ("_response", "_file", "_closed")

    def __init__(self, response: Response) -> None:
        self._response = response
        self._file = response.response.file  # type: ignore[attr-defined]
        self._closed = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._response.close()


def _iter_async(body: Any, charset: str) -> Iterator[bytes]:
    """An async iterable body (an async generator, say) driven from the WSGI thread."""
    while True:
        try:
            chunk = run_sync(body.__anext__())
        except StopAsyncIteration:
            return
        yield chunk.encode(charset) if isinstance(chunk, str) else chunk


def send_response(
    response: Response, environ: Environ, start_response: StartResponse
) -> Iterable[bytes]:
    """Translate out: start the response and give the server its body iterable."""
    headers = response._headers  # PERF: header_list(), without the call
    start_response(
        response._status, response._pairs if headers is None else headers._list
    )
    body = response.response
    if environ.get("REQUEST_METHOD") == "HEAD":
        response.close()
        return []
    if type(body) is list and not response._on_close:
        # PERF: the common case, one bytes chunk, goes to the server as it is.
        if len(body) == 1 and type(body[0]) is bytes:
            return body
    if isinstance(body, FileBody) and body.remaining is None:
        wrapper = environ.get("wsgi.file_wrapper")
        if wrapper is not None:
            file = body.file if not response._on_close else _ClosingFile(response)
            return wrapper(file, body.block_size)  # type: ignore[no-any-return]
    return _ClosingBody(response)


def wsgi_app(
    app: Carboy, environ: Environ, start_response: StartResponse
) -> Iterable[bytes]:
    """The WSGI application: ``app.wsgi_app``."""
    if not app._got_first_request:
        app._start()
    request = request_from_environ(app, environ)
    ctx = Context(app, request)
    token = enter(ctx)
    error: BaseException | None = None
    hooks = None
    try:
        app.match_request(ctx)
        if "," in environ.get("HTTP_HOST", ""):
            # NOTE: servers join a repeated Host ("a, b"): refused, as under ASGI.
            request.routing_exception = BadRequest(REPEATED_HOST)
        hooks = app._hooks_for(request)
        response = respond_sync(app, ctx, hooks, call)
    except BaseException as e:
        error = e
        raise
    finally:
        preserve = environ.get("carboy._preserve_context")
        if preserve is not None:
            preserve(ctx)
        if ctx._pushes or preserve is not None:
            # Torn down later: by the streamed body, or by the test client.
            ctx._preserved = True
        elif needs_teardown(app, ctx, hooks):
            drive_sync(teardown(app, ctx, error), call)
        leave(ctx, token)
    return send_response(response, environ, start_response)
