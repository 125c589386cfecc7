"""An app with a SQLite file in tmp_path and two models (one on a second bind)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from carboy import Carboy
from carboy.ext.sqlalchemy import SQLAlchemy
from carboy.testing import CarboyClient


@dataclass
class DB:
    app: Carboy
    db: SQLAlchemy
    Author: Any
    Book: Any
    LogEntry: Any


def make_db(app: Carboy) -> DB:
    db = SQLAlchemy(app)

    class Author(db.Model):  # type: ignore[name-defined,misc]
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(50), unique=True)

    class Book(db.Model):  # type: ignore[name-defined,misc]
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str]
        author_id: Mapped[int] = mapped_column(ForeignKey("author.id"))

    class LogEntry(db.Model):  # type: ignore[name-defined,misc]
        __bind_key__ = "logs"
        id: Mapped[int] = mapped_column(primary_key=True)
        message: Mapped[str]

    with app.app_context():
        db.create_all()
    return DB(app, db, Author, Book, LogEntry)


@pytest.fixture
def app(tmp_path: Path) -> Carboy:
    app = Carboy("sql_app", instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SECRET_KEY="test key",
        SQLALCHEMY_DATABASE_URI="sqlite:///main.db",
        SQLALCHEMY_BINDS={"logs": "sqlite:///logs.db"},
    )
    return app


@pytest.fixture
def sql(app: Carboy) -> DB:
    return make_db(app)


@pytest.fixture
def client(app: Carboy, sql: DB, protocol: str) -> CarboyClient:
    return app.test_client(protocol=protocol)


@pytest.fixture(scope="session")
def pg_cluster() -> Any:
    from .postgres import start_cluster

    cluster = start_cluster()
    yield cluster
    cluster.close()
