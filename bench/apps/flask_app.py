"""The benchmark app written the way Flask's documentation shows (WSGI only)."""

from __future__ import annotations

from flask import Flask, jsonify, render_template, request

from bench.cases import (
    TEMPLATE_ITEMS,
    TEMPLATE_NAME,
    TEMPLATE_TITLE,
    TEMPLATES_DIR,
    other_routes,
    read_size,
)

PROTOCOLS = ("wsgi",)
UNSUPPORTED: frozenset[str] = frozenset()

_CONVERTERS = {None: "", "int": "<int:id>", "str": "<name>"}


def build(protocol: str, routes: int) -> Flask:
    app = Flask(__name__, template_folder=str(TEMPLATES_DIR))
    # Large uploads (the RSS measurement) must not hit a size limit.
    app.config["MAX_CONTENT_LENGTH"] = None

    @app.get("/")
    def hello() -> tuple[str, dict[str, str]]:
        return "Hello, World!", {"Content-Type": "text/plain; charset=utf-8"}

    def other(**kwargs: object) -> str:
        return "other"

    for i, (prefix, converter, suffix) in enumerate(other_routes(routes)):
        rule = prefix + _CONVERTERS[converter] + suffix
        app.add_url_rule(rule, endpoint=f"other{i}", view_func=other)

    @app.get("/users/<int:user_id>")
    def user(user_id: int):
        return jsonify(id=user_id)

    @app.get("/search")
    def search():
        return jsonify(
            q=request.args.get("q"),
            page=request.args.get("page", 1, type=int),
            tags=request.args.getlist("tags"),
        )

    @app.post("/form")
    def form():
        return jsonify(request.form.to_dict())

    @app.post("/json")
    def echo_json():
        return jsonify(request.get_json())

    @app.get("/template")
    def page() -> str:
        return render_template(
            TEMPLATE_NAME, title=TEMPLATE_TITLE, items=TEMPLATE_ITEMS
        )

    @app.post("/upload")
    def upload():
        file = request.files["file"]
        return jsonify(
            filename=file.filename,
            size=read_size(file.stream),
            fields=request.form.to_dict(),
        )

    return app
