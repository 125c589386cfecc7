"""The benchmark app written the way Bottle's documentation shows (WSGI only).

Templates use a ``jinja2.Environment`` the app owns (Bottle's own ``jinja2_template``
helper re-reads its settings on every call and is not what Bottle users with Jinja2
templates typically reach for), configured like Flask's: autoescaping on, no reload.
"""

from __future__ import annotations

from typing import Any

import bottle

from bench.cases import (
    TEMPLATE_ITEMS,
    TEMPLATE_NAME,
    TEMPLATE_TITLE,
    jinja_environment,
    other_routes,
    read_size,
)

PROTOCOLS = ("wsgi",)
UNSUPPORTED: frozenset[str] = frozenset()
#: Bottle recompiles its combined route patterns on every ``add``, so
#: registering 10,000 routes takes about a minute; skipped unless ``--all-routes``.
MAX_ROUTES = 1_000

_CONVERTERS = {None: "", "int": "<id:int>", "str": "<name>"}


def build(protocol: str, routes: int) -> bottle.Bottle:
    # NOTE: Bottle's default MEMFILE_MAX (100 KB) rejects the 100 KB upload ("Memory
    # limit reached"); its documentation says to raise it, and 1 MiB is the in-memory
    # limit its multipart parser uses by default. It is a process-wide setting.
    bottle.BaseRequest.MEMFILE_MAX = 1024 * 1024
    app = bottle.Bottle()
    request, response = bottle.request, bottle.response
    templates = jinja_environment()

    @app.get("/")
    def hello() -> str:
        response.content_type = "text/plain; charset=utf-8"
        return "Hello, World!"

    def other(**kwargs: Any) -> str:
        return "other"

    for prefix, converter, suffix in other_routes(routes):
        app.route(prefix + _CONVERTERS[converter] + suffix, callback=other)

    @app.get("/users/<user_id:int>")
    def user(user_id: int) -> dict[str, Any]:
        return {"id": user_id}

    @app.get("/search")
    def search() -> dict[str, Any]:
        query = request.query
        return {
            "q": query.get("q"),
            "page": int(query.get("page", 1)),
            "tags": query.getall("tags"),
        }

    @app.post("/form")
    def form() -> dict[str, Any]:
        return {key: request.forms.getunicode(key) for key in request.forms}

    @app.post("/json")
    def echo_json() -> Any:
        return request.json

    @app.get("/template")
    def page() -> str:
        template = templates.get_template(TEMPLATE_NAME)
        return template.render(title=TEMPLATE_TITLE, items=TEMPLATE_ITEMS)

    @app.post("/upload")
    def upload() -> dict[str, Any]:
        file = request.files["file"]
        return {
            "filename": file.raw_filename,
            "size": read_size(file.file),
            "fields": {key: request.forms.getunicode(key) for key in request.forms},
        }

    return app
