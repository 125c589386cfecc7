"""notes: a small notebook app, the shape of a real carboy project.

An application factory, a blueprint, a SQLite database in the instance folder and an
``init-db`` command that ``db.init_app`` registers on ``app.cli``::

    carboy --app examples.notes init-db
    carboy --app examples.notes run --debug
"""

from __future__ import annotations

import os
from typing import Any

from carboy import Carboy


def create_app(test_config: dict[str, Any] | None = None) -> Carboy:
    app = Carboy(__name__, instance_relative_config=True)
    app.config.from_mapping(
        SECRET_KEY="dev",  # replace in production: CARBOY_SECRET_KEY=... or config.py
        DATABASE=os.path.join(app.instance_path, "notes.sqlite"),
    )
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.from_prefixed_env()  # CARBOY_DATABASE=/path/to/notes.sqlite
    else:
        app.config.from_mapping(test_config)
    os.makedirs(app.instance_path, exist_ok=True)

    from . import db, views

    db.init_app(app)
    app.register_blueprint(views.bp)
    return app
