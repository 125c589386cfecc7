"""The test client: requests to the app without a server, over WSGI or ASGI.

::

    client = app.test_client()                   # WSGI
    client = app.test_client(protocol="asgi")    # the same API, through the ASGI adapter
    rv = client.post("/login", data={"user": "a"}, follow_redirects=True)
    assert rv.status_code == 200

    async with AsyncClient(app) as client:       # awaitable, ASGI
        rv = await client.get("/")
"""

from __future__ import annotations

import asyncio
import functools
import importlib.metadata
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from .app import Response
from .ctx import Context, _cv_ctx
from .sansio.datastructures import Headers
from .sansio.http import parse_cookie, parse_date
from .sansio.http.cookies import _quote_cookie_value
from .sansio.urls import url_quote
from .testing_requests import EnvironBuilder as EnvironBuilder
from .testing_requests import FileUpload as FileUpload
from .testing_requests import asgi_body as asgi_body
from .testing_requests import build_environ as build_environ
from .testing_requests import build_request as build_request
from .testing_requests import encode_multipart as encode_multipart
from .testing_requests import environ_for_app as environ_for_app
from .testing_requests import scope_from_environ as scope_from_environ
from .testing_requests import url_unquote_path as url_unquote_path
from .wsgi import request_from_environ

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Request
    from .testing_ws import AsyncWebSocketSession, WebSocketSession


class TestResponse(Response):
    """A response returned by the test client, with the request that produced it."""

    __test__ = False
    __slots__ = ()

    request: Request | None
    history: tuple[TestResponse, ...]

    @classmethod
    def from_parts(
        cls, body: bytes, status: int | str, headers: list[tuple[str, str]]
    ) -> TestResponse:
        """A response holding exactly what the app sent (headers untouched)."""
        rv = cls(None, status, Headers._trusted(list(headers)))
        # NOTE: the constructor adds the default Content-Type when there is none; a
        # response sent without one (a 204) must reach the test as it was sent.
        rv.headers = Headers._trusted(list(headers))
        rv.response = [body]
        rv.request = None
        rv.history = ()
        return rv


class _Cookie:
    __slots__ = ("key", "value", "domain", "path", "expires")

    def __init__(
        self, key: str, value: str, domain: str, path: str, expires: float | None
    ) -> None:
        self.key = key
        self.value = value
        self.domain = domain
        self.path = path
        self.expires = expires


def _parse_set_cookie(header: str, default_domain: str) -> _Cookie:
    name_value, *attrs = header.split(";")
    key, _, value = name_value.strip().partition("=")
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = dict(parse_cookie(f"x={value}")).get("x", value)
    domain, path, expires = default_domain, "/", None
    for attr in attrs:
        name, _, val = attr.strip().partition("=")
        lname = name.lower()
        if lname == "domain" and val:
            domain = val.lstrip(".").lower()
        elif lname == "path" and val:
            path = val
        elif lname == "max-age" and val.lstrip("-").isdigit():
            expires = time.time() + int(val)
        elif lname == "expires" and expires is None:
            parsed = parse_date(val)
            if parsed is not None:
                expires = parsed.timestamp()
    return _Cookie(key.strip(), value, domain, path, expires)


_REDIRECT_CODES = frozenset({301, 302, 303, 305, 307, 308})


def _current_url(environ: dict[str, Any]) -> str:
    url = (
        f"{environ['wsgi.url_scheme']}://{environ['HTTP_HOST']}"
        f"{url_quote(environ['SCRIPT_NAME'] + environ['PATH_INFO'])}"
    )
    if environ["QUERY_STRING"]:
        url += "?" + environ["QUERY_STRING"]
    return url


@functools.cache
def _user_agent() -> str:
    try:
        return f"carboy/{importlib.metadata.version('carboy')}"
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover
        return "carboy"


class _ClientBase:
    #: Follow a redirect to a subdomain of the current host (other hosts never).
    allow_subdomain_redirects = False

    def __init__(self, app: Carboy, use_cookies: bool = True) -> None:
        self.application = app
        self.app = app
        self.use_cookies = use_cookies
        self._cookies: dict[tuple[str, str, str], _Cookie] = {}
        #: The start of every request's environ; ``environ_base=`` adds to it per call.
        self.environ_base: dict[str, Any] = {
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_USER_AGENT": _user_agent(),
        }

    # -- cookies -----------------------------------------------------------------------

    def get_cookie(
        self, key: str, domain: str = "localhost", path: str = "/"
    ) -> _Cookie | None:
        """The stored cookie ``key`` (an object with ``key``, ``value``...) or ``None``."""
        return self._cookies.get((domain, path, key))

    def set_cookie(
        self, key: str, value: str = "", domain: str = "localhost", path: str = "/"
    ) -> None:
        self._cookies[(domain, path, key)] = _Cookie(key, value, domain, path, None)

    def delete_cookie(
        self, key: str, domain: str = "localhost", path: str = "/"
    ) -> None:
        self._cookies.pop((domain, path, key), None)

    def _cookie_header(self, environ: dict[str, Any]) -> None:
        if not self.use_cookies or not self._cookies:
            return
        host = environ["SERVER_NAME"].lower()
        path = environ["SCRIPT_NAME"] + environ["PATH_INFO"]
        now = time.time()
        parts = []
        for cookie in list(self._cookies.values()):
            if cookie.expires is not None and cookie.expires <= now:
                del self._cookies[(cookie.domain, cookie.path, cookie.key)]
                continue
            if not (host == cookie.domain or host.endswith("." + cookie.domain)):
                continue
            if not (
                path == cookie.path or path.startswith(cookie.path.rstrip("/") + "/")
            ):
                continue
            # The value is stored unquoted; send it quoted again, as the server set it.
            parts.append(f"{cookie.key}={_quote_cookie_value(cookie.value)}")
        if parts:
            existing = environ.get("HTTP_COOKIE")
            header = "; ".join(parts)
            environ["HTTP_COOKIE"] = f"{existing}; {header}" if existing else header

    def _store_cookies(self, environ: dict[str, Any], response: Response) -> None:
        if not self.use_cookies:
            return
        for header in response.headers.getlist("Set-Cookie"):
            cookie = _parse_set_cookie(header, environ["SERVER_NAME"].lower())
            key = (cookie.domain, cookie.path, cookie.key)
            if cookie.expires is not None and cookie.expires <= time.time():
                self._cookies.pop(key, None)
            else:
                self._cookies[key] = cookie

    # -- request building --------------------------------------------------------------

    @contextmanager
    def session_transaction(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
        """Open the session the next request would see, to read or change it.

        ::

            with client.session_transaction() as sess:
                sess["user_id"] = 7
            client.get("/profile")   # runs with user_id in its session

        Arguments build the request as for ``client.get`` (a path, ``base_url``...).
        Inside the block a request context is active (``request`` is usable); its
        teardown functions run when the block ends. Raises ``TypeError`` for a client
        without cookies and ``RuntimeError`` when no session can be opened.
        """
        if not self.use_cookies:
            raise TypeError(
                "Cookies are disabled: session_transaction() needs a client created"
                " with 'use_cookies=True'."
            )
        app = self.application
        environ = self._environ(*args, **kwargs)
        ctx = app.request_context(request_from_environ(app, environ))
        with ctx:
            interface = app.session_interface
            session = interface.open_session(app, ctx.request)  # type: ignore[arg-type]
            if session is None:
                raise RuntimeError(
                    "The session interface did not open a session for the test"
                    " request (is SECRET_KEY set?)."
                )
            yield session
            response = app.response_class()
            if not interface.is_null_session(session):
                interface.save_session(app, session, response)
        self._store_cookies(environ, response)

    def _environ(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        if args and isinstance(args[0], dict | EnvironBuilder):
            # A ready environ or builder, as Werkzeug's client allows.
            if len(args) > 1 or kwargs:
                raise TypeError("Pass an environ alone, without other arguments.")
            given = args[0]
            if isinstance(given, EnvironBuilder):
                given = given.get_environ()
            # Keys the environ lacks come from a default request.
            environ = environ_for_app(self.application, environ_base=self.environ_base)
            environ.update(given)
        else:
            base = dict(self.environ_base)
            base.update(kwargs.pop("environ_base", None) or {})
            kwargs["environ_base"] = base
            environ = environ_for_app(self.application, *args, **kwargs)
        self._cookie_header(environ)
        return environ

    def _follow(
        self,
        response: TestResponse,
        environ: dict[str, Any],
        kwargs: dict[str, Any],
        history: list[TestResponse],
        follow_redirects: bool,
    ) -> tuple[str, dict[str, Any]] | None:
        """The next request of a redirect chain, or ``None`` where the chain ends."""
        if (
            not follow_redirects
            or response.status_code not in _REDIRECT_CODES
            or "Location" not in response.headers
        ):
            return None
        location = urljoin(_current_url(environ), response.headers["Location"])
        # A loop repeats a redirect already followed: the same code to the same URL.
        if any(
            r.status_code == response.status_code
            and r.request is not None
            and urljoin(r.request.url, r.headers["Location"]) == location
            for r in history
        ):
            raise RuntimeError(
                f"Redirect loop: the {response.status_code} redirect to {location!r}"
                " was already followed, so the test client stops following redirects."
            )
        history.append(response)
        if len(history) > 30:
            raise RuntimeError("The test client followed more than 30 redirects.")
        return self._redirect_target(
            response,
            environ,
            environ["REQUEST_METHOD"],
            kwargs,
            self.allow_subdomain_redirects,
        )

    @staticmethod
    def _redirect_target(
        response: Response,
        environ: dict[str, Any],
        method: str,
        kwargs: dict[str, Any],
        allow_subdomains: bool,
    ) -> tuple[str, dict[str, Any]]:
        location = urljoin(_current_url(environ), response.headers["Location"])
        target = urlsplit(location)
        here = environ["SERVER_NAME"].lower().split(".")
        there = (target.hostname or "").split(".")
        if there != here:
            if there[-len(here) :] != here:
                raise RuntimeError(
                    f"The test client does not follow a redirect to another host"
                    f" ({location!r}); it sends every request to the app."
                )
            if not allow_subdomains:
                raise RuntimeError(
                    f"Following a redirect to a subdomain ({location!r}) needs"
                    " 'client.allow_subdomain_redirects = True'."
                )
        new = dict(kwargs)
        for key in ("query_string", "subdomain", "url_scheme", "input_stream"):
            new.pop(key, None)
        if response.status_code in {307, 308}:
            new["method"] = method
            stream = environ.get("wsgi.input")
            if isinstance(stream, io.BytesIO) and stream.getbuffer().nbytes:
                # NOTE: the same body again, byte for byte: files given as file objects
                # were read to their end by the first request.
                for key in ("data", "json", "mimetype", "content_length"):
                    new.pop(key, None)
                new["data"] = stream.getvalue()
                new["content_type"] = environ.get("CONTENT_TYPE")
        else:
            new["method"] = "HEAD" if method == "HEAD" else "GET"
            for key in ("data", "json", "content_type", "mimetype", "content_length"):
                new.pop(key, None)
        root = environ["SCRIPT_NAME"]
        path = target.path
        if path == root or path.startswith(root + "/"):
            path = path[len(root) :]
        else:  # not under the script root: the whole path, no root
            root = ""
        new["base_url"] = f"{target.scheme}://{target.netloc}{root}"
        return path + (f"?{target.query}" if target.query else ""), new


class CarboyClient(_ClientBase):
    """A synchronous test client, through the WSGI adapter (or ``protocol="asgi"``).

    ``with client:`` keeps the context of the last request, so ``request``, ``g`` and
    ``session`` can be inspected after it.
    """

    __test__ = False

    def __init__(
        self, app: Carboy, use_cookies: bool = True, protocol: str = "wsgi"
    ) -> None:
        super().__init__(app, use_cookies)
        if protocol not in {"wsgi", "asgi"}:
            raise ValueError("protocol must be 'wsgi' or 'asgi'")
        self.protocol = protocol
        self._preserve = False
        self._preserved: list[tuple[Context, Any]] = []
        self._runner: asyncio.Runner | None = None

    def __enter__(self) -> CarboyClient:
        if self._preserve:
            raise RuntimeError("Cannot nest client invocations")
        self._preserve = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._preserve = False
        self._release()
        if self._runner is not None:
            self._runner.close()
            self._runner = None

    def _release(self) -> None:
        while self._preserved:
            ctx, token = self._preserved.pop()
            try:
                if ctx._preserved and not ctx._pushes:
                    ctx._preserved = False
                    ctx.app._teardown(ctx, None)
            finally:
                _cv_ctx.reset(token)

    def open(
        self,
        path: str | dict[str, Any] | EnvironBuilder = "/",
        *args: Any,
        follow_redirects: bool = False,
        buffered: bool = False,
        stream: bool = False,
        **kwargs: Any,
    ) -> TestResponse:
        """Send a request; ``get``, ``post``... call this with their method.

        ``stream=True``: the body is read as the app sends it (``iter_encoded()``
        gives it chunk by chunk); ``response.close()`` leaves early, as a client would.
        """
        self._release()
        if stream:
            from .testing_ws import stream_response

            return stream_response(self, self._environ(path, *args, **kwargs))
        history: list[TestResponse] = []
        while True:
            environ = self._environ(path, *args, **kwargs)
            response = self._run(environ)
            response.history = tuple(history)
            target = self._follow(response, environ, kwargs, history, follow_redirects)
            if target is None:
                return response
            path, kwargs = target
            args = ()

    def websocket(self, path: str = "/", *args: Any, **kwargs: Any) -> WebSocketSession:
        """A WebSocket to the app (always through ASGI), used with ``with``::

            with client.websocket("/echo", subprotocols=["chat"]) as ws:
                ws.send("hi")
                assert ws.receive() == "hi"

        Takes ``client.get``'s arguments, plus ``subprotocols``, ``timeout`` (seconds
        a wait may take) and ``http_response`` (refusals as HTTP responses, the server
        extension; on by default). A refusal raises ``testing_ws.WebSocketDenied``.
        """
        from .testing_ws import WebSocketSession

        return WebSocketSession(self, path, *args, **kwargs)

    def _run(self, environ: dict[str, Any]) -> TestResponse:
        preserved: list[Context] = []
        if self._preserve:
            environ["carboy._preserve_context"] = preserved.append
        try:
            if self.protocol == "wsgi":
                response = self._run_wsgi(environ)
            else:
                response = self._run_asgi(environ, preserved)
        finally:
            # NOTE: also when the app's exception propagates: the context stays
            # inspectable, and its teardown (with that exception) runs on release.
            for ctx in preserved:
                self._preserved.append((ctx, _cv_ctx.set(ctx)))
        self._store_cookies(environ, response)
        return response

    def _run_wsgi(self, environ: dict[str, Any]) -> TestResponse:
        status_headers: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            status_headers[:] = [status, headers]
            return lambda data: None

        body_iter = self.application.wsgi_app(environ, start_response)
        try:
            body = b"".join(body_iter)
        finally:
            close = getattr(body_iter, "close", None)
            if close is not None:
                close()
        response = TestResponse.from_parts(body, status_headers[0], status_headers[1])
        response.request = request_from_environ(self.application, environ)
        return response

    def _run_asgi(
        self, environ: dict[str, Any], preserved: list[Context]
    ) -> TestResponse:
        if self._runner is None:
            self._runner = asyncio.Runner()
        scope = scope_from_environ(environ)
        if "carboy._preserve_context" in environ:
            scope["extensions"]["carboy.preserve_context"] = preserved.append
        body = asgi_body(environ)
        try:
            status, headers, data = self._runner.run(
                run_asgi(self.application, scope, body)
            )
        finally:
            # An exception propagating from the app must not leak the event loop.
            if not self._preserve:
                self._runner.close()
                self._runner = None
        response = TestResponse.from_parts(data, status, headers)
        response.request = request_from_environ(self.application, environ)
        return response

    def get(self, *args: Any, **kw: Any) -> TestResponse:
        return self.open(*args, method="GET", **kw)

    def post(self, *args: Any, **kw: Any) -> TestResponse:
        return self.open(*args, method="POST", **kw)

    def put(self, *args: Any, **kw: Any) -> TestResponse:
        return self.open(*args, method="PUT", **kw)

    def patch(self, *args: Any, **kw: Any) -> TestResponse:
        return self.open(*args, method="PATCH", **kw)

    def delete(self, *args: Any, **kw: Any) -> TestResponse:
        return self.open(*args, method="DELETE", **kw)

    def head(self, *args: Any, **kw: Any) -> TestResponse:
        return self.open(*args, method="HEAD", **kw)

    def options(self, *args: Any, **kw: Any) -> TestResponse:
        return self.open(*args, method="OPTIONS", **kw)

    def trace(self, *args: Any, **kw: Any) -> TestResponse:
        return self.open(*args, method="TRACE", **kw)


async def run_asgi(
    app: Carboy, scope: dict[str, Any], body: bytes
) -> tuple[int, list[tuple[str, str]], bytes]:
    """Call the app's ASGI entry once; the status, headers and body it sends."""
    sent_body = False
    disconnect = asyncio.Event()
    status = 500
    headers: list[tuple[str, str]] = []
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent_body
        if not sent_body:
            sent_body = True
            return {"type": "http.request", "body": body, "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: Any) -> None:
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = [
                (k.decode("latin-1"), v.decode("latin-1"))
                for k, v in message.get("headers", [])
            ]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
        elif message["type"] == "http.response.pathsend":  # pragma: no cover
            with open(message["path"], "rb") as f:
                chunks.append(f.read())

    try:
        await app.asgi_app(scope, receive, send)
    finally:
        disconnect.set()
    return status, headers, b"".join(chunks)


class AsyncClient(_ClientBase):
    """An awaitable test client through the ASGI adapter: ``await client.get("/")``."""

    __test__ = False

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        return None

    async def open(
        self,
        path: str | dict[str, Any] | EnvironBuilder = "/",
        *args: Any,
        follow_redirects: bool = False,
        **kwargs: Any,
    ) -> TestResponse:
        history: list[TestResponse] = []
        while True:
            environ = self._environ(path, *args, **kwargs)
            scope = scope_from_environ(environ)
            status, headers, data = await run_asgi(
                self.application, scope, asgi_body(environ)
            )
            response = TestResponse.from_parts(data, status, headers)
            response.request = request_from_environ(self.application, environ)
            response.history = tuple(history)
            self._store_cookies(environ, response)
            target = self._follow(response, environ, kwargs, history, follow_redirects)
            if target is None:
                return response
            path, kwargs = target
            args = ()

    def websocket(
        self, path: str = "/", *args: Any, **kwargs: Any
    ) -> AsyncWebSocketSession:
        """A WebSocket to the app, used with ``async with``; see
        :meth:`CarboyClient.websocket`."""
        from .testing_ws import AsyncWebSocketSession

        return AsyncWebSocketSession(self, path, *args, **kwargs)

    async def get(self, *args: Any, **kw: Any) -> TestResponse:
        return await self.open(*args, method="GET", **kw)

    async def post(self, *args: Any, **kw: Any) -> TestResponse:
        return await self.open(*args, method="POST", **kw)

    async def put(self, *args: Any, **kw: Any) -> TestResponse:
        return await self.open(*args, method="PUT", **kw)

    async def patch(self, *args: Any, **kw: Any) -> TestResponse:
        return await self.open(*args, method="PATCH", **kw)

    async def delete(self, *args: Any, **kw: Any) -> TestResponse:
        return await self.open(*args, method="DELETE", **kw)

    async def head(self, *args: Any, **kw: Any) -> TestResponse:
        return await self.open(*args, method="HEAD", **kw)

    async def options(self, *args: Any, **kw: Any) -> TestResponse:
        return await self.open(*args, method="OPTIONS", **kw)
