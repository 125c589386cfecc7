"""Starlette with plain ``def`` endpoints (``starlette-def``), as its documentation
allows: Starlette runs such an endpoint in a worker thread (``run_in_threadpool``).

A ``def`` endpoint cannot read the request body (``request.form()``, ``request.json()``
and ``request.body()`` are coroutines), so the cases that post a body (form, json,
multipart) are not served: they show ``-``. Everything else is ``starlette_app.py``'s
app with ``def`` for ``async def``.
"""

from __future__ import annotations

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
UNSUPPORTED: frozenset[str] = frozenset({"form", "json", "multipart"})

_CONVERTERS = {None: "", "int": "{id:int}", "str": "{name}"}


def build(protocol: str, routes: int) -> Starlette:
    templates = Jinja2Templates(env=jinja_environment())

    def hello(request: Request) -> Response:
        return PlainTextResponse("Hello, World!")

    def other(request: Request) -> Response:
        return PlainTextResponse("other")

    def user(request: Request) -> Response:
        return JSONResponse({"id": request.path_params["user_id"]})

    def search(request: Request) -> Response:
        params = request.query_params
        return JSONResponse(
            {
                "q": params.get("q"),
                "page": int(params.get("page", 1)),
                "tags": params.getlist("tags"),
            }
        )

    def page(request: Request) -> Response:
        return templates.TemplateResponse(
            request, TEMPLATE_NAME, {"title": TEMPLATE_TITLE, "items": TEMPLATE_ITEMS}
        )

    table = [Route("/", hello)]
    for prefix, converter, suffix in other_routes(routes):
        table.append(Route(prefix + _CONVERTERS[converter] + suffix, other))
    table += [
        Route("/users/{user_id:int}", user),
        Route("/search", search),
        Route("/template", page),
    ]
    return Starlette(routes=table)
