"""The key cases again, on a real PostgreSQL: concurrent requests in their own
transactions, a failing view rolling back, migrations over existing rows, and a pool
that survives a server restart (``pool_pre_ping``)."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

from carboy import Carboy
from carboy.testing import AsyncClient

from . import test_extension, test_migrations, test_sessions
from .conftest import DB, make_db
from .postgres import Cluster


@pytest.fixture
def pg(tmp_path: Path, pg_cluster: Cluster) -> DB:
    app = Carboy("pg_app", instance_path=str(tmp_path / "instance"))
    app.config.update(
        TESTING=True,
        SQLALCHEMY_DATABASE_URI=pg_cluster.url(),
        SQLALCHEMY_BINDS={"logs": pg_cluster.url()},
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 20, "max_overflow": 40},
    )
    sql = make_db(app)
    yield sql
    with app.app_context():
        for engine in sql.db.engines.values():
            engine.dispose()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_50_concurrent_requests(pg: DB, kind: str, protocol: str) -> None:
    test_sessions._routes(pg)
    if protocol == "wsgi":
        client = pg.app.test_client()

        def one(n: int) -> tuple[int, int, list[str]]:
            r = client.post(f"/{kind}/{n}")
            return n, r.status_code, r.json["names"] if r.status_code == 200 else []

        with ThreadPoolExecutor(max_workers=test_sessions.N) as pool:
            results = list(pool.map(one, range(test_sessions.N)))
    else:
        aclient = AsyncClient(pg.app)

        async def aone(n: int) -> tuple[int, int, list[str]]:
            r = await aclient.post(f"/{kind}/{n}")
            return n, r.status_code, r.json["names"] if r.status_code == 200 else []

        async def main() -> list[tuple[int, int, list[str]]]:
            return list(await asyncio.gather(*map(aone, range(test_sessions.N))))

        results = asyncio.run(main())
    test_sessions._check(pg, results)


@pytest.mark.parametrize("asyncview", [False, True], ids=["def", "async"])
def test_failing_view_rolls_back(pg: DB, protocol: str, asyncview: bool) -> None:
    client = pg.app.test_client(protocol=protocol)
    test_extension.test_failing_view_rolls_back(pg, client, asyncview)


def test_async_session_uses_psycopg(pg: DB, protocol: str) -> None:
    db = pg.db

    @pg.app.get("/driver")
    async def driver() -> dict[str, Any]:
        async with db.async_session() as session:
            version = await session.scalar(sa.text("select version()"))
        return {"driver": db.async_engine().url.drivername, "pg": version[:10]}

    assert pg.app.test_client(protocol=protocol).get("/driver").json == {
        "driver": "postgresql+psycopg",
        "pg": "PostgreSQL",
    }


def test_pool_pre_ping_survives_a_restart(tmp_path: Path, pg_cluster: Cluster) -> None:
    url = pg_cluster.url()
    results: dict[bool, Any] = {}
    engines = {}
    for pre_ping in (True, False):
        app = Carboy("ping", instance_path=str(tmp_path))
        app.config["SQLALCHEMY_DATABASE_URI"] = url
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": pre_ping}
        from carboy.ext.sqlalchemy import SQLAlchemy

        db = SQLAlchemy(app)

        @app.get("/")
        def one(db: Any = db) -> str:
            return str(db.session.scalar(sa.text("select 1")))

        engines[pre_ping] = (app, db)
        assert app.test_client().get("/").text == "1"  # a pooled connection now
    pg_cluster.restart()
    for pre_ping, (app, db) in engines.items():
        app.config["PROPAGATE_EXCEPTIONS"] = True
        try:
            results[pre_ping] = app.test_client().get("/").text
        except OperationalError as e:
            results[pre_ping] = type(e).__name__
        with app.app_context():
            db.engine.dispose()
    # Without pre-ping the first request after the restart fails on the dead
    # connection; with it, the pool notices and reconnects.
    assert results == {True: "1", False: "OperationalError"}


def test_migrations_keep_existing_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pg_cluster: Cluster
) -> None:
    monkeypatch.setattr(test_migrations, "URL", pg_cluster.url())
    test_migrations.made.clear()
    test_migrations.test_migrations_keep_existing_data(tmp_path, monkeypatch)
    for app, db in test_migrations.made:
        with app.app_context():
            db.engine.dispose()
