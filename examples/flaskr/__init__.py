"""Flask's tutorial blog ("flaskr"), ported to carboy by changing its imports.

Password hashing comes from ``carboy.security`` instead of ``werkzeug.security`` (the
same functions and hash format). The only other change: the ``init-db`` command
becomes ``init_db()`` (carboy has no CLI yet).
"""

from __future__ import annotations

import os
from typing import Any

from carboy import Carboy


def create_app(test_config: dict[str, Any] | None = None) -> Carboy:
    app = Carboy(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",
        DATABASE=os.path.join(app.instance_path, "flaskr.sqlite"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    @app.route("/hello")
    def hello() -> str:
        return "Hello, World!"

    from . import auth, blog, db

    db.init_app(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(blog.bp)
    app.add_url_rule("/", endpoint="index")
    return app
