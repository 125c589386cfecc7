"""The benchmark's requests and the responses they must produce.

Everything here is plain data shared by every framework's app module, so that all of
them serve the same routes, receive byte-identical requests and are held to the same
expected responses. Nothing in this module imports a web framework.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

# --- Shared data the app modules serve ---

TEMPLATES_DIR = Path(__file__).with_name("templates")
TEMPLATE_NAME = "page.html"
TEMPLATE_TITLE = "Inventory"
TEMPLATE_ITEMS: list[dict[str, Any]] = [
    {
        "id": i,
        "name": "Fish & Chips" if i == 7 else f"Item <{i}>" if i == 13 else f"Item {i}",
        "price": i * 1.25,
        "tags": ["new", "sale"] if i % 3 == 0 else [],
    }
    for i in range(20)
]

FORM_FIELDS = {
    "name": "Ada Lovelace",
    "email": "ada@example.com",
    "age": "36",
    "city": "London",
    "message": "Hello & welcome + thanks",
}

JSON_PAYLOAD: dict[str, Any] = {
    "id": 1234,
    "customer": {"name": "Ada Lovelace", "email": "ada@example.com", "vip": True},
    "items": [
        {"sku": f"SKU-{i:04d}", "qty": i % 4 + 1, "price": 9.99 + i, "gift": i % 2 == 0}
        for i in range(9)
    ],
    "notes": None,
    "tags": ["express", "fragile", "priority"],
}

MULTIPART_BOUNDARY = "----carboyBenchBoundary7MA4YWxkTrZu0gW"
UPLOAD_FILENAME = "data.bin"
UPLOAD_SIZE = 100 * 1024
UPLOAD_FIELDS = {"title": "quarterly report", "tag": "bench"}
# NOTE: 64 KiB of every byte value; it holds CR and LF (but never CRLF or "--"), so
# multipart parsers take their slow "maybe a boundary" paths now and then.
UPLOAD_CHUNK = bytes(range(256)) * 256

#: Route counts measured by the routes-scale case; ``--quick`` skips the last one.
ROUTE_SCALES = (10, 100, 1_000, 10_000)
#: Other routes registered beside the case routes in every app (the "params" case).
DEFAULT_ROUTES = 50


def other_routes(count: int) -> list[tuple[str, str | None, str]]:
    """The filler routes each app registers, as ``(prefix, converter, suffix)``.

    ``converter`` is ``None`` for a static route, ``"int"`` for an integer parameter
    named ``id`` and ``"str"`` for a string parameter named ``name``; each app module
    spells these in its own framework's syntax. Three in four routes are dynamic.
    """
    routes: list[tuple[str, str | None, str]] = []
    for i in range(count):
        kind = i % 4
        if kind == 0:
            routes.append((f"/static{i}/page", None, ""))
        elif kind == 1:
            routes.append((f"/r{i}/", "int", ""))
        elif kind == 2:
            routes.append((f"/r{i}/", "str", "/edit"))
        else:
            routes.append((f"/api/r{i}/", "int", "/items"))
    return routes


def read_size(stream: BinaryIO, chunk_size: int = 64 * 1024) -> int:
    """Count a file's bytes by reading it in chunks (never all at once)."""
    size = 0
    while chunk := stream.read(chunk_size):
        size += len(chunk)
    return size


def multipart_head() -> bytes:
    """The multipart body up to the first byte of the file's content."""
    parts = [
        f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        f"\r\n{value}\r\n"
        for name, value in UPLOAD_FIELDS.items()
    ]
    parts.append(
        f"--{MULTIPART_BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="file"; filename="{UPLOAD_FILENAME}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    )
    return "".join(parts).encode()


MULTIPART_TAIL = f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()
MULTIPART_CONTENT_TYPE = f"multipart/form-data; boundary={MULTIPART_BOUNDARY}"


def multipart_body(size: int) -> bytes:
    data = (UPLOAD_CHUNK * (size // len(UPLOAD_CHUNK) + 1))[:size]
    return multipart_head() + data + MULTIPART_TAIL


def upload_response(size: int) -> dict[str, Any]:
    return {"filename": UPLOAD_FILENAME, "size": size, "fields": UPLOAD_FIELDS}


# --- The cases ---

Checker = Callable[[int, str, bytes], str | None]


@dataclass(frozen=True)
class Case:
    """One request and the response every framework must give to it."""

    name: str
    method: str
    path: str
    query: str = ""
    content_type: str | None = None
    body: bytes = b""
    #: Filler routes registered beside the case routes (see :func:`other_routes`).
    routes: int = DEFAULT_ROUTES
    status: int = 200
    #: The response Content-Type must start with this (``None``: not checked).
    media_type: str | None = None
    #: Exact expected body (``None``: not checked, or checked as JSON below).
    text: bytes | None = None
    #: Expected JSON document (compared after parsing).
    json: Any = None
    #: The group ``--case`` selects it by ("routes-scale" for every route count).
    group: str = ""

    @property
    def selector(self) -> str:
        return self.group or self.name

    def check(self, status: int, content_type: str, body: bytes) -> str | None:
        """Return why the response is wrong, or ``None`` when it is right."""
        if status != self.status:
            return f"expected status {self.status}, got {status}; body {_clip(body)}"
        if self.media_type is not None and not content_type.lower().startswith(
            self.media_type
        ):
            return (
                f"expected Content-Type {self.media_type}, got {content_type!r}; "
                f"body {_clip(body)}"
            )
        if self.text is not None and body != self.text:
            return f"expected body {_clip(self.text)}, got {_clip(body)}"
        if self.json is not None:
            try:
                document = json.loads(body)
            except ValueError:
                return f"expected a JSON body, got {_clip(body)}"
            if document != self.json:
                return (
                    f"expected JSON {_clip(json.dumps(self.json).encode())}, got "
                    + (_clip(body))
                )
        return None


def _clip(data: bytes, limit: int = 160) -> str:
    text = repr(data[:limit])
    return text + (f"... ({len(data)} bytes)" if len(data) > limit else "")


def jinja_environment() -> Any:
    """A new Jinja2 environment configured as Flask configures its own.

    Autoescaping on and no reload check on each ``get_template`` (Flask turns
    ``auto_reload`` off outside debug mode). Each app module owns one.
    """
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        auto_reload=False,
    )


def render_expected_page() -> bytes:
    """The template rendered by Jinja2 alone: what every framework must send."""
    env = jinja_environment()
    page = env.get_template(TEMPLATE_NAME)
    return page.render(title=TEMPLATE_TITLE, items=TEMPLATE_ITEMS).encode()


def _urlencode(fields: dict[str, str]) -> bytes:
    from urllib.parse import urlencode

    return urlencode(fields).encode()


def build_cases(*, quick: bool = False) -> list[Case]:
    """Every case, in the order the tables list them."""
    users = Case(
        "params", "GET", "/users/42", media_type="application/json", json={"id": 42}
    )
    cases = [
        Case("hello", "GET", "/", media_type="text/plain", text=b"Hello, World!"),
        users,
        Case(
            "query",
            "GET",
            "/search",
            query="q=flask&page=2&tags=a&tags=b",
            media_type="application/json",
            json={"q": "flask", "page": 2, "tags": ["a", "b"]},
        ),
        Case(
            "form",
            "POST",
            "/form",
            content_type="application/x-www-form-urlencoded",
            body=_urlencode(FORM_FIELDS),
            media_type="application/json",
            json=FORM_FIELDS,
        ),
        Case(
            "json",
            "POST",
            "/json",
            content_type="application/json",
            body=json.dumps(JSON_PAYLOAD).encode(),
            media_type="application/json",
            json=JSON_PAYLOAD,
        ),
        Case(
            "template",
            "GET",
            "/template",
            media_type="text/html",
            text=render_expected_page(),
        ),
        Case("notfound", "GET", "/missing", status=404),
        Case(
            "multipart",
            "POST",
            "/upload",
            content_type=MULTIPART_CONTENT_TYPE,
            body=multipart_body(UPLOAD_SIZE),
            media_type="application/json",
            json=upload_response(UPLOAD_SIZE),
        ),
    ]
    scales = ROUTE_SCALES[:-1] if quick else ROUTE_SCALES
    for count in scales:
        cases.append(
            Case(
                f"routes-{count}",
                users.method,
                users.path,
                routes=count,
                media_type=users.media_type,
                json=users.json,
                group="routes-scale",
            )
        )
    return cases


CASE_SELECTORS = (
    "hello",
    "params",
    "query",
    "form",
    "json",
    "template",
    "notfound",
    "multipart",
    "routes-scale",
)
