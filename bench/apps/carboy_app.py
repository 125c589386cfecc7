"""The benchmark app written for carboy: Flask's API with ``Carboy`` for ``Flask``.

The views below are the Flask app's views (``flask_app.py``) with the imports changed:
that is the whole promise carboy makes to a Flask user, and the benchmark holds it to
it. ``build`` registers the same routes, in the same order, on one ``Carboy`` object,
which is both a WSGI app and an ASGI app.

Which views for which protocol: under WSGI the app has plain ``def`` views, which is
what a Flask user writes and what a WSGI server runs without an event loop. Under ASGI
the ``carboy`` column has ``async def`` views, because that is what someone deploying on
an ASGI server writes (and what Starlette and Falcon's ASGI app require of their
endpoints). The ``carboy-def`` column (``carboy_def.py``) is the Flask app itself, plain
``def`` views, served over ASGI: each request's view runs in a worker thread, as a ported
Flask app's does, and it is compared with Starlette's ``def`` endpoints
(``starlette_def.py``), which also run in a thread. All variants are built by
:func:`build_app` from one route table, so they serve byte-identical responses; each is
still a single ``Carboy`` object that speaks both protocols.

What this module assumes about carboy's API (all of it Flask's):
``Carboy(import_name, template_folder=...)``, ``app.config["MAX_CONTENT_LENGTH"]``,
``app.get``/``app.post`` decorators, ``app.add_url_rule(rule, endpoint=, view_func=)``,
``<int:id>`` and ``<name>`` rule converters, a ``(body, headers)`` tuple return,
``jsonify(**kwargs)`` and ``jsonify(obj)``,
``request.args.get(key, default, type=int)``,
``request.args.getlist``, ``request.form.to_dict()``, ``request.get_json()``,
``request.files["file"]`` with ``.filename`` and ``.stream``, and ``render_template``.
Inside ``async def`` views, ``request.form``, ``request.files`` and
``request.get_json()`` are used exactly as in sync views (DESIGN.md promises that they
work in all four sync/async x WSGI/ASGI combinations).
"""

from __future__ import annotations

from typing import Any

from bench.cases import (
    TEMPLATE_ITEMS,
    TEMPLATE_NAME,
    TEMPLATE_TITLE,
    TEMPLATES_DIR,
    other_routes,
    read_size,
)
from carboy import Carboy, jsonify, render_template, request

PROTOCOLS = ("wsgi", "asgi")
UNSUPPORTED: frozenset[str] = frozenset()

_CONVERTERS = {None: "", "int": "<int:id>", "str": "<name>"}


def build(protocol: str, routes: int) -> Carboy:
    """The benchmark app: ``def`` views for ``"wsgi"``, ``async def`` for ``"asgi"``."""
    return build_app(routes, _async_views() if protocol == "asgi" else sync_views())


def build_app(routes: int, views: dict[str, Any]) -> Carboy:
    """One ``Carboy`` app with ``routes`` filler routes and the case routes, on
    ``views`` (:func:`sync_views` or the ``async def`` ones)."""
    app = Carboy(__name__, template_folder=str(TEMPLATES_DIR))
    # Large uploads (the RSS measurement) must not hit a size limit.
    app.config["MAX_CONTENT_LENGTH"] = None

    app.get("/")(views["hello"])
    for i, (prefix, converter, suffix) in enumerate(other_routes(routes)):
        rule = prefix + _CONVERTERS[converter] + suffix
        app.add_url_rule(rule, endpoint=f"other{i}", view_func=views["other"])
    app.get("/users/<int:user_id>")(views["user"])
    app.get("/search")(views["search"])
    app.post("/form")(views["form"])
    app.post("/json")(views["echo_json"])
    app.get("/template")(views["page"])
    app.post("/upload")(views["upload"])
    return app


def sync_views() -> dict[str, Any]:
    """The Flask app's views: plain ``def`` functions."""

    def hello():
        return "Hello, World!", {"Content-Type": "text/plain; charset=utf-8"}

    def other(**kwargs):
        return "other"

    def user(user_id):
        return jsonify(id=user_id)

    def search():
        return jsonify(
            q=request.args.get("q"),
            page=request.args.get("page", 1, type=int),
            tags=request.args.getlist("tags"),
        )

    def form():
        return jsonify(request.form.to_dict())

    def echo_json():
        return jsonify(request.get_json())

    def page():
        return render_template(
            TEMPLATE_NAME, title=TEMPLATE_TITLE, items=TEMPLATE_ITEMS
        )

    def upload():
        file = request.files["file"]
        return jsonify(
            filename=file.filename,
            size=read_size(file.stream),
            fields=request.form.to_dict(),
        )

    return locals()


def _async_views() -> dict[str, Any]:
    async def hello():
        return "Hello, World!", {"Content-Type": "text/plain; charset=utf-8"}

    async def other(**kwargs):
        return "other"

    async def user(user_id):
        return jsonify(id=user_id)

    async def search():
        return jsonify(
            q=request.args.get("q"),
            page=request.args.get("page", 1, type=int),
            tags=request.args.getlist("tags"),
        )

    async def form():
        return jsonify(request.form.to_dict())

    async def echo_json():
        return jsonify(request.get_json())

    async def page():
        return render_template(
            TEMPLATE_NAME, title=TEMPLATE_TITLE, items=TEMPLATE_ITEMS
        )

    async def upload():
        file = request.files["file"]
        return jsonify(
            filename=file.filename,
            size=read_size(file.stream),
            fields=request.form.to_dict(),
        )

    return locals()
