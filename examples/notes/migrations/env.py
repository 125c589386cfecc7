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
