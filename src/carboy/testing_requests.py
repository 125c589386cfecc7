"""Test requests: WSGI environs and ASGI scopes built as Flask's test client builds
them (the app's ``SERVER_NAME``, ``APPLICATION_ROOT`` and ``PREFERRED_URL_SCHEME`` as
defaults), with form, multipart, JSON and file bodies. ``carboy.testing`` re-exports
these names; the clients live there."""

from __future__ import annotations

import base64
import io
import json as _json
import mimetypes
import secrets
import sys
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .logging import ERRORS_EXTENSION
from .sansio.datastructures import Headers
from .sansio.request import host_without_port
from .sansio.urls import url_encode
from .wsgi import request_from_environ

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Request


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


def asgi_body(environ: dict[str, Any]) -> bytes:
    """The body an ASGI server would deliver for the same request as a test environ.

    NOTE: HTTP/1.1 framing (RFC 9112 section 6.3): without a Content-Length (or with
    an empty one) and not chunked, a request has no body; the WSGI app reads none
    either.
    """
    length = (environ.get("CONTENT_LENGTH") or "").strip(" \t")
    if not length and not environ.get("wsgi.input_terminated"):
        return b""
    return environ["wsgi.input"].read()  # type: ignore[no-any-return]


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
