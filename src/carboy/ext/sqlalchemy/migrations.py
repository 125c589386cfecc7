"""``carboy db ...``: tables and Alembic migrations for the app's ``db.Model`` metadata.

``db init`` writes a ``migrations/`` folder whose ``env.py`` reads the metadata and the
engine from the running app, so a migration compares the models with the database and
runs on the app's own connection settings. The other commands run Alembic's with a
configuration built in code (no ``alembic.ini`` to keep in step with the app's config).
"""

from __future__ import annotations

import os
import shutil
import sys
from typing import TYPE_CHECKING, Any

import click

from ...globals import current_app

if TYPE_CHECKING:  # pragma: no cover
    from alembic.config import Config

    from .extension import SQLAlchemy

DEFAULT_DIRECTORY = "migrations"

#: The ``env.py`` that ``carboy db init`` writes (Alembic runs it for every command).
ENV_PY = '''\
"""Alembic's environment for a carboy app, written by ``carboy db init``.

Alembic runs this file inside the app context of the ``carboy db`` command: the models'
metadata and the engine come from the app's ``SQLAlchemy`` extension.
"""

from alembic import context

from carboy.ext.sqlalchemy.migrations import current_db

db = current_db()
target_metadata = db.metadata


def include_object(obj, name, type_, reflected, compare_to):
    # Tables with a __bind_key__ live on another database: not this one's migrations.
    return type_ != "table" or obj.info.get("bind_key") is None


def run_migrations_offline():
    context.configure(
        url=db.engine.url.render_as_string(hide_password=False),
        target_metadata=target_metadata,
        include_object=include_object,
        literal_binds=True,
        render_as_batch=db.engine.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            include_object=include_object,
            compare_type=True,
            # NOTE: SQLite cannot ALTER most things; "batch" mode copies the table
            # into a new one, keeping its rows.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
'''


def current_db() -> SQLAlchemy:
    """The current app's :class:`SQLAlchemy` extension (for ``env.py``)."""
    return current_app.extensions["sqlalchemy"].db  # type: ignore[no-any-return]


def migrations_directory(directory: str | None = None) -> str:
    """``directory``, else the app's ``SQLALCHEMY_MIGRATIONS_DIRECTORY``, else
    ``migrations`` (relative paths are relative to the current directory)."""
    if directory is not None:
        return directory
    configured = current_app.config.get("SQLALCHEMY_MIGRATIONS_DIRECTORY")
    return os.fspath(configured) if configured else DEFAULT_DIRECTORY


def alembic_config(directory: str | None = None) -> Config:
    """Alembic's configuration for the migrations in ``directory`` (default:
    :func:`migrations_directory`), for calling ``alembic.command`` functions in code."""
    from alembic.config import Config

    directory = migrations_directory(directory)
    # NOTE: Config's default stdout is bound when alembic is imported; pass the current one.
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", directory)
    return config


def _directory_option(f: Any) -> Any:
    return click.option(
        "-d",
        "--directory",
        default=None,
        help="The migrations folder [default: the app's SQLALCHEMY_MIGRATIONS_DIRECTORY,"
        " else migrations].",
    )(f)


@click.group("db", help="Create tables and run database migrations (Alembic).")
def db_cli() -> None:
    pass


@db_cli.command("create", help="Create the tables that do not exist yet.")
def create() -> None:
    current_db().create_all()
    click.echo("Created the tables.")


@db_cli.command("init", help="Create the migrations folder.")
@_directory_option
def init(directory: str | None) -> None:
    import alembic

    directory = migrations_directory(directory)
    if os.path.exists(directory) and os.listdir(directory):
        raise click.ClickException(f"{directory!r} exists and is not empty.")
    os.makedirs(os.path.join(directory, "versions"), exist_ok=True)
    template = os.path.join(os.path.dirname(alembic.__file__), "templates", "generic")
    shutil.copy(os.path.join(template, "script.py.mako"), directory)
    with open(os.path.join(directory, "env.py"), "w", encoding="utf-8") as f:
        f.write(ENV_PY)
    click.echo(f"Created {directory}/. Next: 'carboy db migrate -m \"first\"'.")


@db_cli.command("migrate", help="Write a migration from the models' changes.")
@click.option("-m", "--message", default=None, help="What the migration does.")
@_directory_option
def migrate(message: str | None, directory: str | None) -> None:
    from alembic import command

    command.revision(alembic_config(directory), message=message, autogenerate=True)


@db_cli.command("upgrade", help="Apply migrations up to REVISION (default: head).")
@click.argument("revision", default="head")
@click.option("--sql", is_flag=True, help="Print the SQL instead of running it.")
@_directory_option
def upgrade(revision: str, sql: bool, directory: str | None) -> None:
    from alembic import command

    command.upgrade(alembic_config(directory), revision, sql=sql)


@db_cli.command("downgrade", help="Revert migrations down to REVISION (default: -1).")
@click.argument("revision", default="-1")
@_directory_option
def downgrade(revision: str, directory: str | None) -> None:
    from alembic import command

    command.downgrade(alembic_config(directory), revision)


@db_cli.command("current", help="Show the database's revision.")
@_directory_option
def current(directory: str | None) -> None:
    from alembic import command

    command.current(alembic_config(directory))


@db_cli.command("history", help="List the migrations.")
@_directory_option
def history(directory: str | None) -> None:
    from alembic import command

    command.history(alembic_config(directory))
