"""The benchmark app written the way Falcon's documentation shows.

One module, two apps: ``falcon.App`` (WSGI) with ``on_get``/``on_post`` responders and
``falcon.asgi.App`` (ASGI) with ``async def`` responders, as Falcon requires. Templates
use a ``jinja2.Environment`` the app owns, configured like Flask's.
"""

from __future__ import annotations

from typing import Any

import falcon
import falcon.asgi

from bench.cases import (
    TEMPLATE_ITEMS,
    TEMPLATE_NAME,
    TEMPLATE_TITLE,
    jinja_environment,
    other_routes,
    read_size,
)

PROTOCOLS = ("wsgi", "asgi")
UNSUPPORTED: frozenset[str] = frozenset()
#: Falcon checks each new route against all the others, so
#: registering 10,000 routes takes about a minute; skipped unless ``--all-routes``.
MAX_ROUTES = 1_000

_CONVERTERS = {None: "", "int": "{id:int}", "str": "{name}"}
_TEMPLATES = jinja_environment()


def _render_page() -> str:
    template = _TEMPLATES.get_template(TEMPLATE_NAME)
    return template.render(title=TEMPLATE_TITLE, items=TEMPLATE_ITEMS)


# --- WSGI ---


class Hello:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"


class Other:
    def on_get(self, req: falcon.Request, resp: falcon.Response, **kw: Any) -> None:
        resp.text = "other"


class User:
    def on_get(self, req: falcon.Request, resp: falcon.Response, user_id: int) -> None:
        resp.media = {"id": user_id}


class Search:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = {
            "q": req.get_param("q"),
            "page": req.get_param_as_int("page", default=1),
            "tags": req.get_param_as_list("tags"),
        }


class Form:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = req.get_media()


class EchoJSON:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.media = req.get_media()


class Page:
    def on_get(self, req: falcon.Request, resp: falcon.Response) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = _render_page()


class Upload:
    def on_post(self, req: falcon.Request, resp: falcon.Response) -> None:
        result: dict[str, Any] = {"fields": {}}
        for part in req.get_media():
            if part.name == "file":
                result["filename"] = part.filename
                result["size"] = read_size(part.stream)
            else:
                result["fields"][part.name] = part.text
        resp.media = result


# --- ASGI ---


class AsyncHello:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response
    ) -> None:
        resp.content_type = falcon.MEDIA_TEXT
        resp.text = "Hello, World!"


class AsyncOther:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, **kw: Any
    ) -> None:
        resp.text = "other"


class AsyncUser:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response, user_id: int
    ) -> None:
        resp.media = {"id": user_id}


class AsyncSearch:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response
    ) -> None:
        resp.media = {
            "q": req.get_param("q"),
            "page": req.get_param_as_int("page", default=1),
            "tags": req.get_param_as_list("tags"),
        }


class AsyncForm:
    async def on_post(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response
    ) -> None:
        resp.media = await req.get_media()


class AsyncEchoJSON:
    async def on_post(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response
    ) -> None:
        resp.media = await req.get_media()


class AsyncPage:
    async def on_get(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response
    ) -> None:
        resp.content_type = falcon.MEDIA_HTML
        resp.text = _render_page()


class AsyncUpload:
    async def on_post(
        self, req: falcon.asgi.Request, resp: falcon.asgi.Response
    ) -> None:
        result: dict[str, Any] = {"fields": {}}
        form = await req.get_media()
        async for part in form:
            if part.name == "file":
                result["filename"] = part.filename
                size = 0
                while chunk := await part.stream.read(64 * 1024):
                    size += len(chunk)
                result["size"] = size
            else:
                result["fields"][part.name] = await part.get_text()
        resp.media = result


def build(protocol: str, routes: int) -> falcon.App:
    if protocol == "asgi":
        app: falcon.App = falcon.asgi.App()
        hello, other, user, search = AsyncHello, AsyncOther, AsyncUser, AsyncSearch
        form, echo, page, upload = AsyncForm, AsyncEchoJSON, AsyncPage, AsyncUpload
    else:
        app = falcon.App()
        hello, other, user, search = Hello, Other, User, Search  # type: ignore[assignment]
        form, echo, page, upload = Form, EchoJSON, Page, Upload  # type: ignore[assignment]
    app.add_route("/", hello())
    filler = other()
    for prefix, converter, suffix in other_routes(routes):
        app.add_route(prefix + _CONVERTERS[converter] + suffix, filler)
    app.add_route("/users/{user_id:int}", user())
    app.add_route("/search", search())
    app.add_route("/form", form())
    app.add_route("/json", echo())
    app.add_route("/template", page())
    app.add_route("/upload", upload())
    return app
