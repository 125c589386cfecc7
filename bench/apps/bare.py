"""The floor: bare WSGI and ASGI functions doing the minimum correct work themselves.

No framework, only the standard library (and Jinja2 for the template case): dispatch
by comparing the path, ``urllib.parse`` for query strings and form bodies, ``json``
for JSON.
There is no router, so the routes-scale case and the filler routes do not apply, and the
standard library has no multipart parser, so the multipart case shows "-".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs, parse_qsl

from bench.cases import (
    TEMPLATE_ITEMS,
    TEMPLATE_NAME,
    TEMPLATE_TITLE,
    jinja_environment,
)

PROTOCOLS = ("wsgi", "asgi")
UNSUPPORTED = frozenset({"multipart", "routes-scale"})

_TEMPLATES = jinja_environment()
_TEXT = "text/plain; charset=utf-8"
_JSON = "application/json"
_HTML = "text/html; charset=utf-8"
_REASONS = {200: "200 OK", 404: "404 Not Found", 405: "405 Method Not Allowed"}


def _handle(method: str, path: str, query: str, body: bytes) -> tuple[int, str, bytes]:
    """Route and answer one request: ``(status, content type, body)``."""
    if path == "/":
        return 200, _TEXT, b"Hello, World!"
    if path.startswith("/users/"):
        user_id = path[7:]
        if user_id.isascii() and user_id.isdigit():
            return 200, _JSON, _dumps({"id": int(user_id)})
    elif path == "/search":
        params = parse_qs(query)
        return (
            200,
            _JSON,
            _dumps(
                {
                    "q": params.get("q", [None])[0],
                    "page": int(params.get("page", ["1"])[0]),
                    "tags": params.get("tags", []),
                }
            ),
        )
    elif path == "/form" and method == "POST":
        fields = dict(parse_qsl(body.decode(), keep_blank_values=True))
        return 200, _JSON, _dumps(fields)
    elif path == "/json" and method == "POST":
        return 200, _JSON, _dumps(json.loads(body))
    elif path == "/template":
        template = _TEMPLATES.get_template(TEMPLATE_NAME)
        page = template.render(title=TEMPLATE_TITLE, items=TEMPLATE_ITEMS)
        return 200, _HTML, page.encode()
    return 404, _TEXT, b"Not Found"


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _wsgi(
    environ: dict[str, Any], start_response: Callable[..., Any]
) -> Iterable[bytes]:
    length = environ.get("CONTENT_LENGTH")
    body = environ["wsgi.input"].read(int(length)) if length else b""
    status, content_type, payload = _handle(
        environ["REQUEST_METHOD"],
        environ["PATH_INFO"],
        environ.get("QUERY_STRING", ""),
        body,
    )
    start_response(
        _REASONS[status],
        [("Content-Type", content_type), ("Content-Length", str(len(payload)))],
    )
    return [payload]


async def _asgi(
    scope: dict[str, Any],
    receive: Callable[[], Any],
    send: Callable[[dict[str, Any]], Any],
) -> None:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    status, content_type, payload = _handle(
        scope["method"], scope["path"], scope["query_string"].decode(), b"".join(chunks)
    )
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


def build(protocol: str, routes: int) -> Any:
    return _asgi if protocol == "asgi" else _wsgi
