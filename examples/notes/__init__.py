"""notes: a small multi-user notebook, built the way carboy's docs recommend.

- an application factory (``create_app``) and three blueprints: ``auth``, ``notes``
  and ``api``;
- settings from ``config.Config``, then ``instance/config.py``, then ``CARBOY_*``
  environment variables;
- SQLite (in the instance folder) through ``carboy.ext.sqlalchemy``, created on the
  first run by the migrations in ``migrations/``;
- registration and login (``carboy.ext.login``, ``carboy.security``), forms with CSRF
  tokens (``carboy.ext.wtf``), attachments, a JSON API with its OpenAPI document
  (``carboy.ext.api``), Prometheus metrics (``carboy.ext.metrics``), and a live view
  over a WebSocket when served over ASGI.

Run it::

    carboy --app examples.notes run            # http://127.0.0.1:5000
    carboy --app examples.notes db upgrade     # apply new migrations
"""

from __future__ import annotations

import os
from typing import Any

from carboy import Carboy, render_template
from carboy.exceptions import HTTPException
from carboy.ext.csrf import CSRFProtect
from carboy.ext.login import LoginManager
from carboy.ext.metrics import PrometheusMetrics

from .models import User, db

#: The Alembic migrations of the app's tables (``carboy db upgrade`` applies them).
MIGRATIONS = os.path.join(os.path.dirname(__file__), "migrations")

csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "Please log in to see your notes."
# API callers are not sent to a page: they get a 401 (as problem+json).
login_manager.blueprint_login_views["api"] = None  # type: ignore[assignment]


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    return db.session.get(User, int(user_id)) if user_id.isdigit() else None


def create_app(
    test_config: dict[str, Any] | None = None, instance_path: str | None = None
) -> Carboy:
    """Make the app. ``test_config`` replaces the instance file and the environment;
    ``instance_path`` (or ``NOTES_INSTANCE_PATH``) moves the instance folder."""
    app = Carboy(
        __name__,
        instance_path=instance_path or os.environ.get("NOTES_INSTANCE_PATH"),
        instance_relative_config=True,
    )
    app.config.from_object("examples.notes.config.Config")
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)  # instance/config.py
        app.config.from_prefixed_env()  # CARBOY_SECRET_KEY=..., CARBOY_SQLALCHEMY_...
    else:
        app.config.from_mapping(test_config)
    app.config.setdefault("SQLALCHEMY_MIGRATIONS_DIRECTORY", MIGRATIONS)
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import api, auth, live, notes
    from .forms import ConfirmForm

    app.extensions["notes.live"] = live.Hub()
    app.register_blueprint(auth.bp)
    app.register_blueprint(notes.bp)
    app.register_blueprint(api.bp)
    from . import stats

    # Request series and /metrics; the app's own series are in stats.py.
    metrics = PrometheusMetrics(check=stats.may_read_metrics)
    metrics.init_app(app)
    app.extensions["notes.stats"] = stats.Stats(metrics)
    api.api.init_app(app)  # /openapi.json and /docs
    # The API takes JSON only (a 415 otherwise), which no cross-site form can send,
    # and browsers send a cross-site fetch() with JSON only after a CORS preflight
    # this app never grants; so it needs no CSRF token.
    csrf.exempt(api.bp)

    @app.errorhandler(HTTPException)
    def error_page(error: HTTPException) -> Any:
        return render_template("error.html", error=error), error.code

    @app.context_processor
    def button_form() -> dict[str, Any]:
        # The CSRF token of the one-button forms (delete, log out) in macros.html.
        return {"button_form": ConfirmForm(formdata=None)}

    if app.config["NOTES_CREATE_DATABASE"]:
        create_database(app)
    return app


def create_database(app: Carboy) -> None:
    """Run the migrations if the database has no tables yet (the first run)."""
    import sqlalchemy as sa

    with app.app_context():
        if sa.inspect(db.engine).get_table_names():
            return
        from alembic import command

        from carboy.ext.sqlalchemy.migrations import alembic_config

        command.upgrade(alembic_config(), "head")
