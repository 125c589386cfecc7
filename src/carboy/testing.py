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
import base64
import functools
import importlib.metadata
import io
import json as _json
import mimetypes
import secrets
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from .app import Response
from .ctx import Context, _cv_ctx
from .logging import ERRORS_EXTENSION
from .sansio.datastructures import Headers
from .sansio.http import parse_cookie, parse_date
from .sansio.http.cookies import _quote_cookie_value
from .sansio.request import host_without_port
from .sansio.urls import url_encode, url_quote
from .wsgi import request_from_environ

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Request
    from .testing_ws import AsyncWebSocketSession, WebSocketSession


class FileUpload:
    """A file for a multipart test request: ``data={"f": (io.BytesIO(b"x"), "a.txt")}``."""

    def __init__(
        self, stream: Any, filename: str | None = None, content_type: str | None = None
    ) -> None:
        self.stream = stream
        self.filename = filename or getattr(stream, "name", None) or "file"
        self.content_type = (
            content_type
            or mimetypes.guess_type(self.filename)[0]
            or "application/octet-stream"
        )


def _as_file(value: Any) -> FileUpload | None:
    """A file to upload from a ``data`` value: a file object, a ``FileStorage``, or a
    tuple ``(file, filename)`` or ``(file, filename, content_type)``."""
    if isinstance(value, FileUpload):
        return value
    if isinstance(value, tuple) and value and hasattr(value[0], "read"):
        return FileUpload(*value)
    if hasattr(value, "read"):
        filename = getattr(value, "filename", None)
        if isinstance(filename, str):  # a FileStorage: its own name and type
            return FileUpload(value, filename, getattr(value, "content_type", None))
        return FileUpload(value)
    return None


def encode_multipart(
    fields: Iterable[tuple[str, Any]], boundary: str | None = None
) -> tuple[bytes, str]:
    """A ``multipart/form-data`` body and its content type from ``(name, value)`` pairs."""
    boundary = boundary or f"----carboy{secrets.token_hex(12)}"
    out = io.BytesIO()
    for name, value in fields:
        out.write(f"--{boundary}\r\n".encode())
        upload = _as_file(value)
        quoted = name.replace('"', "%22")
        if upload is not None:
            filename = upload.filename.replace('"', "%22")
            out.write(
                f'Content-Disposition: form-data; name="{quoted}"; filename="{filename}"\r\n'
                f"Content-Type: {upload.content_type}\r\n\r\n".encode()
            )
            data = upload.stream.read()
            out.write(data.encode() if isinstance(data, str) else data)
        else:
            out.write(
                f'Content-Disposition: form-data; name="{quoted}"\r\n\r\n'.encode()
            )
            out.write(value if isinstance(value, bytes) else str(value).encode())
        out.write(b"\r\n")
    out.write(f"--{boundary}--\r\n".encode())
    return out.getvalue(), f"multipart/form-data; boundary={boundary}"


def _pairs(data: Any) -> list[tuple[str, Any]]:
    if hasattr(data, "items") and callable(data.items):
        try:
            items = list(data.items(multi=True))
        except TypeError:
            items = list(data.items())
    else:
        items = list(data)
    pairs: list[tuple[str, Any]] = []
    for key, value in items:
        if isinstance(value, list):
            pairs.extend((key, v) for v in value)
        else:
            pairs.append((key, value))
    return pairs


def _encode_body(
    data: Any, json: Any, content_type: str | None, json_dumps: Any
) -> tuple[bytes, str | None]:
    """The request body and its content type from the client's ``data``/``json``."""
    if json is not None:
        if data is not None:
            raise TypeError("Pass 'data' or 'json', not both.")
        body: bytes = (json_dumps or _json.dumps)(json).encode()
        return body, content_type or "application/json"
    if data is None:
        return b"", content_type
    if isinstance(data, str):
        return data.encode(), content_type
    if isinstance(data, bytes | bytearray):
        return bytes(data), content_type
    if hasattr(data, "read"):
        raw = data.read()
        return (raw.encode() if isinstance(raw, str) else raw), content_type
    pairs = _pairs(data)
    if any(_as_file(v) is not None for _, v in pairs) or (
        content_type or ""
    ).startswith("multipart/form-data"):
        return encode_multipart(pairs)
    body = url_encode(pairs).encode()
    return body, content_type or "application/x-www-form-urlencoded"


def _add_headers(environ: dict[str, Any], hdrs: Headers) -> None:
    """Put the request's headers in the environ.

    Repeated headers reach the WSGI app joined, as servers join them (Cookie with
    "; "), and the ASGI app unjoined, as ASGI servers pass them.
    """
    separate: dict[str, list[str]] = {}
    for name, value in hdrs:
        key = name.upper().replace("-", "_")
        if key not in {"CONTENT_TYPE", "CONTENT_LENGTH"}:
            key = f"HTTP_{key}"
        if key in separate:
            separate[key].append(value)
            joiner = "; " if key == "HTTP_COOKIE" else ", "
            environ[key] = f"{environ[key]}{joiner}{value}"
        else:
            separate[key] = [value]
            environ[key] = value
    repeated = {k: v for k, v in separate.items() if len(v) > 1}
    if repeated:
        environ["carboy.test_repeated_headers"] = repeated


def build_environ(
    path: str = "/",
    base_url: str | None = None,
    query_string: Mapping[str, Any] | str | bytes | None = None,
    method: str = "GET",
    headers: Any = None,
    data: Any = None,
    json: Any = None,
    content_type: str | None = None,
    environ_base: Mapping[str, Any] | None = None,
    environ_overrides: Mapping[str, Any] | None = None,
    json_dumps: Any = None,
    *,
    errors_stream: Any = None,
    input_stream: Any = None,
    content_length: int | None = None,
    mimetype: str | None = None,
    auth: Any = None,
    multithread: bool = False,
    multiprocess: bool = False,
    run_once: bool = False,
) -> dict[str, Any]:
    """A WSGI environ for a request, as the test client sends it.

    The arguments are those of Flask's test client: ``environ_base`` is the starting
    point (the request's own keys win over it), ``environ_overrides`` has the last
    word, ``errors_stream`` is ``wsgi.errors`` (``sys.stderr`` by default), ``auth`` a
    ``(username, password)`` pair for Basic authentication.
    """
    parts = urlsplit(path)
    if parts.scheme or parts.netloc:
        base_url = f"{parts.scheme or 'http'}://{parts.netloc}"
    base = urlsplit(base_url or "http://localhost/")
    scheme = base.scheme or "http"
    host = base.netloc or "localhost"
    script_root = base.path.rstrip("/")
    qs = parts.query if query_string is None else _query_string(query_string)
    hdrs = Headers(headers)
    if auth is not None:
        hdrs.set("Authorization", _auth_header(auth))
    if input_stream is not None:
        data = _only_stream(input_stream, data, json)
    body, content_type = _encode_body(data, json, content_type or mimetype, json_dumps)
    if content_type is None:
        content_type = hdrs.get("Content-Type")
        if len(hdrs.getlist("Content-Type")) == 1:
            hdrs.remove("Content-Type")
    else:
        hdrs.remove("Content-Type")
    hostname = host_without_port(host)
    port = host[len(hostname) + 1 :]
    environ: dict[str, Any] = dict(environ_base or ())
    environ.setdefault("REMOTE_ADDR", "127.0.0.1")
    environ.update(
        {
            "REQUEST_METHOD": method.upper(),
            "SCRIPT_NAME": script_root,
            "PATH_INFO": url_unquote_path(parts.path or "/"),
            "QUERY_STRING": qs,
            "SERVER_NAME": hostname,
            "SERVER_PORT": port or ("443" if scheme == "https" else "80"),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": host,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": scheme,
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr if errors_stream is None else errors_stream,
            "wsgi.multithread": multithread,
            "wsgi.multiprocess": multiprocess,
            "wsgi.run_once": run_once,
        }
    )
    if body or method.upper() in {"POST", "PUT", "PATCH"}:
        environ["CONTENT_LENGTH"] = str(len(body))
    if content_length is not None:
        environ["CONTENT_LENGTH"] = str(content_length)
    if content_type and "Content-Type" not in hdrs:
        environ["CONTENT_TYPE"] = content_type
    _add_headers(environ, hdrs)
    if environ_overrides:
        environ.update(environ_overrides)
    return environ


def _only_stream(input_stream: Any, data: Any, json: Any) -> Any:
    if data is not None or json is not None:
        raise TypeError("Pass 'input_stream' or 'data'/'json', not both.")
    return input_stream


def _query_string(query_string: Mapping[str, Any] | str | bytes) -> str:
    if isinstance(query_string, bytes):
        return query_string.decode("latin-1")
    if isinstance(query_string, str):
        return query_string
    return url_encode(_pairs(query_string))


def _auth_header(auth: Any) -> str:
    if isinstance(auth, tuple):
        username, password = auth
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        return f"Basic {token}"
    if isinstance(auth, str):
        return auth
    return str(auth.to_header())


def environ_for_app(
    app: Carboy,
    path: str = "/",
    base_url: str | None = None,
    subdomain: str | None = None,
    url_scheme: str | None = None,
    **kwargs: Any,
) -> dict[str, Any]:
    """A test environ with the app's defaults, as Flask's test client builds it.

    Without ``base_url``, the host is ``SERVER_NAME`` (``localhost`` when unset), with
    ``subdomain`` in front of it; the scheme is ``url_scheme`` or
    ``PREFERRED_URL_SCHEME``; the script root is ``APPLICATION_ROOT``. A full URL as
    ``path`` gives its own scheme and host.
    """
    if base_url is None:
        config = app.config
        host = config["SERVER_NAME"] or "localhost"
        if subdomain:
            host = f"{subdomain}.{host}"
        scheme = url_scheme or config["PREFERRED_URL_SCHEME"] or "http"
        root = (config["APPLICATION_ROOT"] or "/").lstrip("/")
        parts = urlsplit(path)
        base_url = f"{parts.scheme or scheme}://{parts.netloc or host}/{root}"
        path = parts.path + (f"?{parts.query}" if parts.query else "")
    elif subdomain or url_scheme:
        raise ValueError("Pass 'subdomain' or 'url_scheme' without 'base_url'.")
    kwargs.setdefault("json_dumps", app.json.dumps)
    return build_environ(path, base_url, **kwargs)


def url_unquote_path(path: str) -> str:
    """The path as a server puts it in ``PATH_INFO``: percent-decoded, latin-1 text."""
    from urllib.parse import unquote_to_bytes

    return unquote_to_bytes(path).decode("latin-1")


class EnvironBuilder:
    """A test request for ``app``, built once, as Flask's ``testing.EnvironBuilder``.

    It takes the test client's arguments (``path``, ``base_url``, ``subdomain``,
    ``url_scheme``, ``query_string``, ``method``, ``headers``, ``data``, ``json``...);
    ``client.open(builder)`` sends it::

        builder = EnvironBuilder(app, "/search", query_string={"q": "tea"})
        assert builder.path == "/search"
        response = client.open(builder)
    """

    __test__ = False

    def __init__(self, app: Carboy, *args: Any, **kwargs: Any) -> None:
        self.app = app
        environ = environ_for_app(app, *args, **kwargs)
        self._environ = environ
        self.method: str = environ["REQUEST_METHOD"]
        self.url_scheme: str = environ["wsgi.url_scheme"]
        self.host: str = environ["HTTP_HOST"]
        self.script_root: str = environ["SCRIPT_NAME"]
        self.path: str = environ["PATH_INFO"]
        self.query_string: str = environ["QUERY_STRING"]
        self.content_type: str | None = environ.get("CONTENT_TYPE")
        self.input_stream: io.BytesIO = environ["wsgi.input"]
        self.base_url = f"{self.url_scheme}://{self.host}{self.script_root}/"

    @property
    def content_length(self) -> int | None:
        value = self._environ.get("CONTENT_LENGTH")
        return int(value) if value else None

    def get_environ(self) -> dict[str, Any]:
        """The WSGI environ of the request (a new dict each time)."""
        return dict(self._environ)

    def get_request(self) -> Request:
        """The request object the app would see."""
        return request_from_environ(self.app, self.get_environ())

    def close(self) -> None:
        self.input_stream.close()


def build_request(app: Carboy, *args: Any, **kwargs: Any) -> Request:
    """A request object for ``app.test_request_context(...)``."""
    return request_from_environ(app, environ_for_app(app, *args, **kwargs))


def scope_from_environ(environ: dict[str, Any]) -> dict[str, Any]:
    """The ASGI HTTP scope for the same request as a test environ."""
    headers: list[tuple[bytes, bytes]] = []
    repeated = environ.get("carboy.test_repeated_headers") or {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower().encode("latin-1")
        elif key in {"CONTENT_TYPE", "CONTENT_LENGTH"}:
            name = key.replace("_", "-").lower().encode("latin-1")
        else:
            continue
        values = repeated.get(key)
        joiner = "; " if key == "HTTP_COOKIE" else ", "
        if values and value == joiner.join(values):
            headers.extend((name, v.encode("latin-1")) for v in values)
        else:
            headers.append((name, value.encode("latin-1")))
    root = environ.get("SCRIPT_NAME", "")
    raw_path = environ["PATH_INFO"].encode("latin-1")
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": environ["REQUEST_METHOD"],
        "scheme": environ["wsgi.url_scheme"],
        "path": root + raw_path.decode("utf-8", "replace"),
        "raw_path": root.encode() + raw_path,
        "query_string": environ["QUERY_STRING"].encode("latin-1"),
        "root_path": root,
        "headers": headers,
        "client": (environ.get("REMOTE_ADDR", "127.0.0.1"), 50000),
        "server": (environ["SERVER_NAME"], int(environ["SERVER_PORT"])),
        # ASGI has no error stream; the test client passes ``errors_stream`` on here
        # for ``app.logger`` (see carboy.logging).
        "extensions": {ERRORS_EXTENSION: environ.get("wsgi.errors", sys.stderr)},
    }


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
        body = environ["wsgi.input"].read()
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
                self.application, scope, environ["wsgi.input"].read()
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
