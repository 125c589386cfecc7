"""The apps ``python -m bench --e2e`` serves, one attribute per target, built on first
access (PEP 562), so each server process builds only the app it serves:
``granian --interface wsgi bench.e2e_apps:carboy_def``.

Each is the in-process benchmark's app (bench/apps/) with 50 other routes; Starlette's
``def`` flavour (not in bench/apps/, whose Starlette endpoints are ``async def``) is
built here with the same two routes the end-to-end cases ask for.
"""

from __future__ import annotations

from typing import Any

ROUTES = 50


def _starlette_def() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, PlainTextResponse
    from starlette.routing import Route

    from bench.apps.starlette_app import _CONVERTERS
    from bench.cases import other_routes

    def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("Hello, World!")

    def other(request: Request) -> PlainTextResponse:
        return PlainTextResponse("other")

    def user(request: Request) -> JSONResponse:
        return JSONResponse({"id": request.path_params["user_id"]})

    routes = [Route("/", hello)]
    for prefix, converter, suffix in other_routes(ROUTES):
        routes.append(Route(prefix + _CONVERTERS[converter] + suffix, other))
    routes.append(Route("/users/{user_id:int}", user))
    return Starlette(routes=routes)


def _build(name: str) -> Any:
    from bench import apps

    framework, _, kind = name.partition("_")
    if framework == "starlette" and kind == "def":
        return _starlette_def()
    protocol = {"def": "wsgi", "async": "asgi", "wsgi": "wsgi", "asgi": "asgi"}[kind]
    return apps.load(framework).build(protocol, ROUTES)


NAMES = (
    "carboy_def",  # def views (bench/apps builds def views for "wsgi")
    "carboy_async",
    "falcon_wsgi",
    "falcon_asgi",
    "flask_def",
    "starlette_def",
    "starlette_async",
)


def __getattr__(name: str) -> Any:
    if name not in NAMES:
        raise AttributeError(name)
    app = globals()[name] = _build(name)
    return app
