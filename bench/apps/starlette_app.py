"""The benchmark app written the way Starlette's documentation shows (ASGI only).

Endpoints are ``async def`` functions taking the request; templates go through
``Jinja2Templates`` over a ``jinja2.Environment`` the app owns, configured like Flask's
(autoescaping on, no reload check per render).
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.templating import Jinja2Templates

from bench.cases import (
    TEMPLATE_ITEMS,
    TEMPLATE_NAME,
    TEMPLATE_TITLE,
    jinja_environment,
    other_routes,
)

PROTOCOLS = ("asgi",)
UNSUPPORTED: frozenset[str] = frozenset()

_CONVERTERS = {None: "", "int": "{id:int}", "str": "{name}"}


def build(protocol: str, routes: int) -> Starlette:
    templates = Jinja2Templates(env=jinja_environment())

    async def hello(request: Request) -> Response:
        return PlainTextResponse("Hello, World!")

    async def other(request: Request) -> Response:
        return PlainTextResponse("other")

    async def user(request: Request) -> Response:
        return JSONResponse({"id": request.path_params["user_id"]})

    async def search(request: Request) -> Response:
        params = request.query_params
        return JSONResponse(
            {
                "q": params.get("q"),
                "page": int(params.get("page", 1)),
                "tags": params.getlist("tags"),
            }
        )

    async def form(request: Request) -> Response:
        data = await request.form()
        return JSONResponse(dict(data))

    async def echo_json(request: Request) -> Response:
        return JSONResponse(await request.json())

    async def page(request: Request) -> Response:
        return templates.TemplateResponse(
            request, TEMPLATE_NAME, {"title": TEMPLATE_TITLE, "items": TEMPLATE_ITEMS}
        )

    async def upload(request: Request) -> Response:
        async with request.form() as data:
            file = data["file"]
            assert not isinstance(file, str)
            size = 0
            while chunk := await file.read(64 * 1024):
                size += len(chunk)
            fields = {k: v for k, v in data.items() if isinstance(v, str)}
            result: dict[str, Any] = {
                "filename": file.filename,
                "size": size,
                "fields": fields,
            }
        return JSONResponse(result)

    table = [Route("/", hello)]
    for prefix, converter, suffix in other_routes(routes):
        table.append(Route(prefix + _CONVERTERS[converter] + suffix, other))
    table += [
        Route("/users/{user_id:int}", user),
        Route("/search", search),
        Route("/form", form, methods=["POST"]),
        Route("/json", echo_json, methods=["POST"]),
        Route("/template", page),
        Route("/upload", upload, methods=["POST"]),
    ]
    return Starlette(routes=table)
