"""carboy.ext.sqlalchemy on a SQLite file: setup, models, sessions, helpers."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from carboy import Carboy, abort
from carboy.ext.sqlalchemy import SQLAlchemy, snake_case
from carboy.testing import CarboyClient

from .conftest import DB


def test_relative_sqlite_files_live_in_the_instance_folder(sql: DB) -> None:
    with sql.app.app_context():
        assert sql.db.engine.url.database == os.path.join(
            sql.app.instance_path, "main.db"
        )
        assert sql.db.get_engine("logs").url.database == os.path.join(
            sql.app.instance_path, "logs.db"
        )
    assert os.path.isfile(os.path.join(sql.app.instance_path, "main.db"))


def test_default_database_is_app_db_in_the_instance_folder(tmp_path: Path) -> None:
    app = Carboy("x", instance_path=str(tmp_path / "inst"))
    db = SQLAlchemy()
    db.init_app(app)
    with app.app_context():
        assert db.engine.url.database == str(tmp_path / "inst" / "app.db")
    assert (tmp_path / "inst").is_dir()


def test_absolute_and_memory_urls_are_kept(tmp_path: Path) -> None:
    app = Carboy("x", instance_path=str(tmp_path / "inst"))
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path}/abs.db"
    app.config["SQLALCHEMY_BINDS"] = {
        "mem": {"url": "sqlite://", "echo": False},
    }
    app.config["SQLALCHEMY_ECHO"] = True
    db = SQLAlchemy(app)
    with app.app_context():
        assert db.engine.url.database == f"{tmp_path}/abs.db"
        assert db.engine.echo is True
        mem = db.engines["mem"]
        assert mem.echo is False
        assert type(mem.pool).__name__ == "StaticPool"
    assert not (tmp_path / "inst").exists()


def test_engine_options_are_applied(tmp_path: Path) -> None:
    app = Carboy("x", instance_path=str(tmp_path))
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
    db = SQLAlchemy(app, engine_options={"pool_recycle": 30})
    with app.app_context():
        assert db.engine.pool._pre_ping is True  # type: ignore[attr-defined]
        assert db.engine.pool._recycle == 30


def test_table_names_and_binds(sql: DB) -> None:
    assert sql.Author.__table__.name == "author"
    assert sql.LogEntry.__table__.name == "log_entry"
    assert sql.LogEntry.__table__.info["bind_key"] == "logs"
    with sql.app.app_context():
        sql.db.session.add(sql.LogEntry(message="hello"))
        sql.db.session.commit()
        logs = sa.inspect(sql.db.get_engine("logs")).get_table_names()
        main = sa.inspect(sql.db.engine).get_table_names()
    assert logs == ["log_entry"]
    assert main == ["author", "book"]


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("User", "user"),
        ("UserAccount", "user_account"),
        ("HTTPLog", "http_log"),
        ("Page2Link", "page2_link"),
        ("ABC", "abc"),
    ],
)
def test_snake_case(name: str, table: str) -> None:
    assert snake_case(name) == table


def test_inheritance_tables() -> None:
    db = SQLAlchemy()

    class Base(db.Model):  # type: ignore[name-defined,misc]
        __abstract__ = True
        id: Mapped[int] = mapped_column(primary_key=True)

    class Person(Base):
        kind: Mapped[str]
        __mapper_args__ = {"polymorphic_on": "kind", "polymorphic_identity": "p"}

    class Employee(Person):  # single-table: shares "person"
        __mapper_args__ = {"polymorphic_identity": "e"}

    class Manager(Person):  # joined-table: its own primary key, its own table
        id: Mapped[int] = mapped_column(sa.ForeignKey("person.id"), primary_key=True)
        __mapper_args__ = {"polymorphic_identity": "m"}

    class Named(db.Model):  # type: ignore[name-defined,misc]
        __tablename__ = "custom"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert Person.__table__.name == "person"
    assert Employee.__table__.name == "person"
    assert Manager.__table__.name == "manager"
    assert Named.__table__.name == "custom"
    assert sorted(db.metadata.tables) == ["custom", "manager", "person"]


def test_unknown_bind_key_says_what_to_do(sql: DB) -> None:
    with sql.app.app_context(), pytest.raises(KeyError, match="SQLALCHEMY_BINDS"):
        sql.db.get_engine("nope")


def test_session_outside_a_context_says_what_to_do(sql: DB) -> None:
    with pytest.raises(RuntimeError, match="outside an application context"):
        sql.db.session.execute(sa.text("select 1"))


def test_unregistered_app_says_what_to_do(sql: DB) -> None:
    other = Carboy("other")
    with other.app_context(), pytest.raises(RuntimeError, match="init_app"):
        sql.db.engine  # noqa: B018


def test_session_is_per_context_and_removed_at_teardown(sql: DB) -> None:
    db = sql.db
    with sql.app.app_context():
        first = db.session()
        assert db.session() is first
        with sql.app.app_context():
            assert db.session() is not first
        db.session.add(sql.Author(name="uncommitted"))
        db.session.flush()
    assert first.in_transaction() is False
    with sql.app.app_context():
        assert db.session() is not first
        names = db.session.scalars(sa.select(sql.Author.name)).all()
    assert names == []


def test_create_all_and_drop_all_by_bind(sql: DB) -> None:
    with sql.app.app_context():
        sql.db.drop_all(bind_key="logs")
        assert sa.inspect(sql.db.get_engine("logs")).get_table_names() == []
        assert sa.inspect(sql.db.engine).get_table_names() == ["author", "book"]
        sql.db.drop_all()
        assert sa.inspect(sql.db.engine).get_table_names() == []
        sql.db.create_all(bind_key=[None, "logs"])
        assert sa.inspect(sql.db.get_engine("logs")).get_table_names() == ["log_entry"]


def _add_authors(sql: DB, count: int) -> None:
    with sql.app.app_context():
        sql.db.session.add_all(
            [sql.Author(name=f"author {n:03}") for n in range(1, count + 1)]
        )
        sql.db.session.commit()


@pytest.mark.parametrize("asyncview", [False, True], ids=["def", "async"])
def test_get_first_one_or_404(sql: DB, client: CarboyClient, asyncview: bool) -> None:
    _add_authors(sql, 2)
    db, Author = sql.db, sql.Author

    def get(id: int) -> str:
        return db.get_or_404(Author, id).name  # type: ignore[no-any-return]

    def first(name: str) -> str:
        return db.first_or_404(
            sa.select(Author).where(Author.name.startswith(name))
        ).name  # type: ignore[no-any-return]

    def one(name: str) -> str:
        return db.one_or_404(sa.select(Author).where(Author.name.startswith(name))).name  # type: ignore[no-any-return]

    for func in (get, first, one):
        view = func
        if asyncview:

            async def view(_f=func, **kw: object) -> str:  # type: ignore[misc]
                return _f(**kw)  # type: ignore[arg-type]

        sql.app.add_url_rule(
            f"/{func.__name__}/<{'int:id' if func is get else 'name'}>",
            func.__name__,
            view,
        )
    assert client.get("/get/2").text == "author 002"
    assert client.get("/get/3").status_code == 404
    assert client.get("/first/author").text == "author 001"
    assert client.get("/first/nobody").status_code == 404
    assert client.get("/one/author 001").text == "author 001"
    assert client.get("/one/author").status_code == 404  # two rows
    assert client.get("/one/nobody").status_code == 404


def test_404_description(sql: DB) -> None:
    from carboy.exceptions import NotFound

    with sql.app.app_context(), pytest.raises(NotFound) as info:
        sql.db.get_or_404(sql.Author, 1, description="No such author.")
    assert info.value.description == "No such author."


@pytest.mark.parametrize("asyncview", [False, True], ids=["def", "async"])
def test_failing_view_rolls_back(
    sql: DB, client: CarboyClient, asyncview: bool
) -> None:
    db, Author = sql.db, sql.Author

    def add(name: str) -> str:
        db.session.add(Author(name=name))
        db.session.flush()  # the INSERT ran, in the request's transaction
        if name == "boom":
            raise RuntimeError("boom")
        abort(400)

    if asyncview:

        async def view(name: str) -> str:
            return add(name)
    else:
        view = add
    sql.app.add_url_rule("/add/<name>", "add", view, methods=["POST"])
    sql.app.config["PROPAGATE_EXCEPTIONS"] = False
    assert client.post("/add/boom").status_code == 500
    assert client.post("/add/aborted").status_code == 400
    with sql.app.app_context():
        assert db.session.scalars(sa.select(Author)).all() == []


def test_session_not_shared_between_threads(sql: DB) -> None:
    seen: list[object] = []
    barrier = threading.Barrier(4)

    def work() -> None:
        with sql.app.app_context():
            barrier.wait()
            seen.append(sql.db.session())
            barrier.wait()

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(s) for s in seen}) == 4
