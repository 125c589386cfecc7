"""The database: one SQLite connection per request or command, closed at teardown."""

from __future__ import annotations

import sqlite3

import click

from carboy import Carboy, current_app, g

SCHEMA = """
DROP TABLE IF EXISTS note;
CREATE TABLE note (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    created TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
"""


def get_db() -> sqlite3.Connection:
    """This context's connection, opened on first use."""
    if "db" not in g:
        g.db = sqlite3.connect(current_app.config["DATABASE"])
        g.db.row_factory = sqlite3.Row
    connection: sqlite3.Connection = g.db
    return connection


def close_db(exc: BaseException | None = None) -> None:
    connection = g.pop("db", None)
    if connection is not None:
        connection.close()


def init_db() -> None:
    """Create the tables, dropping any that exist."""
    get_db().executescript(SCHEMA)


@click.command("init-db")
def init_db_command() -> None:
    """Create a fresh, empty database."""
    init_db()
    click.echo(f"Initialized the database at {current_app.config['DATABASE']}.")


def init_app(app: Carboy) -> None:
    app.teardown_appcontext(close_db)
    app.cli.add_command(init_db_command)
