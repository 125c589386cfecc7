"""``carboy db`` commands (create, and Alembic's init, migrate, upgrade, downgrade,
current, history), run through ``app.test_cli_runner()`` as ``carboy db ...``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import Result
from sqlalchemy.orm import Mapped, mapped_column

from carboy import Carboy
from carboy.ext.sqlalchemy import SQLAlchemy
from carboy.ext.sqlalchemy.migrations import db_cli

#: Every app made here, so a test on another database can dispose of their engines.
made: list[tuple[Carboy, SQLAlchemy]] = []
URL = "sqlite:///data.db"


def _app(tmp_path: Path, version: int) -> tuple[Carboy, SQLAlchemy, Any]:
    app = Carboy("migrating", instance_path=str(tmp_path / "instance"))
    app.config["SQLALCHEMY_DATABASE_URI"] = URL
    db = SQLAlchemy(app)
    made.append((app, db))

    if version == 1:

        class Author(db.Model):  # type: ignore[name-defined,misc]
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(sa.String(50))

    else:

        class Author(db.Model):  # type: ignore[name-defined,misc]  # noqa: F811
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str] = mapped_column(sa.String(50))
            bio: Mapped[str | None]

        class Book(db.Model):  # type: ignore[name-defined,misc]
            id: Mapped[int] = mapped_column(primary_key=True)
            title: Mapped[str]

    return app, db, Author


def _run(app: Carboy, *args: str) -> Result:
    result = app.test_cli_runner().invoke(args=["db", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


def _columns(db: SQLAlchemy, app: Carboy, table: str) -> list[str]:
    with app.app_context():
        return [c["name"] for c in sa.inspect(db.engine).get_columns(table)]


def test_migrations_keep_existing_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app, db, Author = _app(tmp_path, 1)
    assert "Created migrations/" in _run(app, "init").output
    assert (tmp_path / "migrations" / "env.py").is_file()
    _run(app, "migrate", "-m", "authors")
    _run(app, "upgrade")
    with app.app_context():
        db.session.add_all([Author(name="ada"), Author(name="grace")])
        db.session.commit()

    app2, db2, Author2 = _app(tmp_path, 2)
    _run(app2, "migrate", "-m", "bio and books")
    _run(app2, "upgrade")
    assert _columns(db2, app2, "author") == ["id", "name", "bio"]
    with app2.app_context():
        rows = db2.session.execute(sa.select(Author2.name, Author2.bio)).all()
        assert [tuple(r) for r in rows] == [("ada", None), ("grace", None)]
        assert sa.inspect(db2.engine).has_table("book")

    history = _run(app2, "history").output
    assert "authors" in history and "bio and books" in history
    head = _run(app2, "current").output
    assert "(head)" in head

    _run(app2, "downgrade")
    assert _columns(db2, app2, "author") == ["id", "name"]
    with app.app_context():
        names = db.session.scalars(sa.select(Author.name)).all()
    assert names == ["ada", "grace"]
    assert "(head)" not in _run(app2, "current").output


def test_upgrade_sql_prints_instead_of_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app, db, _ = _app(tmp_path, 1)
    _run(app, "init", "-d", "migs")
    _run(app, "migrate", "-m", "first", "-d", "migs")
    out = _run(app, "upgrade", "--sql", "-d", "migs").output
    assert "CREATE TABLE author" in out
    with app.app_context():
        assert not sa.inspect(db.engine).has_table("author")


def test_init_refuses_a_folder_with_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "migrations").mkdir()
    (tmp_path / "migrations" / "keep.txt").write_text("mine")
    app, _, _ = _app(tmp_path, 1)
    result = app.test_cli_runner().invoke(args=["db", "init"])
    assert result.exit_code == 1
    assert "'migrations' exists and is not empty." in result.output


def test_create_command(tmp_path: Path) -> None:
    app, db, _ = _app(tmp_path, 2)
    assert _run(app, "create").output == "Created the tables.\n"
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == ["author", "book"]


def test_registered_on_app_cli(tmp_path: Path) -> None:
    app = Carboy("x", instance_path=str(tmp_path))
    SQLAlchemy(app)
    assert app.cli.commands["db"] is db_cli
    out = app.test_cli_runner().invoke(args=["db", "--help"]).output
    for name in ("create", "init", "migrate", "upgrade", "downgrade", "current"):
        assert f"  {name} " in out
