"""Sessions under load: each request has its own, in sync and async views, under both
adapters; db.async_session() in async views."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from carboy import abort
from carboy.exceptions import Conflict
from carboy.testing import AsyncClient, CarboyClient

from .conftest import DB

N = 50


def _routes(sql: DB) -> None:
    db, Author = sql.db, sql.Author

    @sql.app.post("/sync/<int:n>")
    def sync_tx(n: int) -> dict[str, object]:
        author = Author(name=f"c{n:02}")
        db.session.add(author)
        db.session.flush()
        # Only this request's row is in this request's session.
        assert list(db.session.identity_map.values()) == [author]
        time.sleep(0.002)
        names = db.session.scalars(sa.select(Author.name)).all()
        if n % 2:
            abort(409)
        db.session.commit()
        return {"names": list(names)}

    @sql.app.post("/async/<int:n>")
    async def async_tx(n: int) -> dict[str, object]:
        async with db.async_session() as session, session.begin():
            author = Author(name=f"c{n:02}")
            session.add(author)
            await session.flush()
            assert list(session.identity_map.values()) == [author]
            await asyncio.sleep(0.002)
            names = (await session.scalars(sa.select(Author.name))).all()
            if n % 2:
                raise Conflict()
        return {"names": list(names)}


def _check(sql: DB, results: list[tuple[int, int, list[str]]]) -> None:
    evens = [f"c{n:02}" for n in range(0, N, 2)]
    for n, status, names in results:
        assert status == (409 if n % 2 else 200)
        mine = f"c{n:02}"
        if status == 200:
            # It saw its own row, and of the others only committed (even) ones.
            assert mine in names
            assert set(names) - {mine} <= set(evens)
    with sql.app.app_context():
        stored = sql.db.session.scalars(sa.select(sql.Author.name)).all()
    assert sorted(stored) == evens


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_50_concurrent_requests_wsgi(sql: DB, kind: str) -> None:
    _routes(sql)
    client = sql.app.test_client()

    def one(n: int) -> tuple[int, int, list[str]]:
        r = client.post(f"/{kind}/{n}")
        return n, r.status_code, (r.json or {}).get("names", []) if r.is_json else []

    with ThreadPoolExecutor(max_workers=N) as pool:
        results = list(pool.map(one, range(N)))
    _check(sql, results)


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_50_concurrent_requests_asgi(sql: DB, kind: str) -> None:
    _routes(sql)
    client = AsyncClient(sql.app)

    async def one(n: int) -> tuple[int, int, list[str]]:
        r = await client.post(f"/{kind}/{n}")
        return n, r.status_code, (r.json or {}).get("names", []) if r.is_json else []

    async def main() -> list[tuple[int, int, list[str]]]:
        return list(await asyncio.gather(*(one(n) for n in range(N))))

    _check(sql, asyncio.run(main()))


def test_async_session_uses_the_async_driver_and_binds(
    sql: DB, client: CarboyClient
) -> None:
    db = sql.db

    @sql.app.post("/log")
    async def log() -> dict[str, object]:
        async with db.async_session() as session:
            session.add(sql.LogEntry(message="async"))
            await session.commit()
            engine = db.async_engine()
            count = await session.scalar(
                sa.select(sa.func.count()).select_from(sql.LogEntry)
            )
        return {"driver": engine.url.drivername, "count": count}

    assert client.post("/log").json == {"driver": "sqlite+aiosqlite", "count": 1}
    with sql.app.app_context():
        logs = db.session.scalars(sa.select(sql.LogEntry.message)).all()
    assert logs == ["async"]


def test_async_engine_unknown_bind(sql: DB) -> None:
    async def main() -> None:
        with sql.app.app_context(), pytest.raises(KeyError, match="SQLALCHEMY_BINDS"):
            sql.db.async_engine("nope")

    asyncio.run(main())
