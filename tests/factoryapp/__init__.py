"""A small app built with the application-factory pattern (used by test_factory.py)."""

from __future__ import annotations

from typing import Any

from carboy import Carboy


def create_app(test_config: dict[str, Any] | None = None) -> Carboy:
    app = Carboy(__name__, instance_relative_config=True)
    app.config.from_mapping(SECRET_KEY="dev", GREETING="Hello")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)

    from . import auth, blog

    app.register_blueprint(auth.bp)
    app.register_blueprint(blog.bp)
    app.add_url_rule("/", endpoint="index")
    return app
