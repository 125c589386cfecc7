"""@cache.memoize and delete_memoized for def and async def functions, on both
backends; with Redis, two app instances share results and forget them together."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from carboy import Carboy
from carboy.ext.cache import Cache
from carboy.testing import CarboyClient
from redis_server import RedisServer


def test_memoize_sync(app: Carboy) -> None:
    cache = Cache(app)
    calls: list[tuple[Any, ...]] = []

    @cache.memoize(timeout=60)
    def price(product: int, currency: str = "EUR") -> str | None:
        calls.append((product, currency))
        return None if product == 0 else f"{product} {currency}"

    assert price(1) == "1 EUR"
    assert price(1, currency="EUR") == "1 EUR"  # the same call, spelled differently
    assert price(product=1) == "1 EUR"
    assert price(2, "USD") == "2 USD"
    assert price(0) is None
    assert price(0) is None  # None is a result too
    assert calls == [(1, "EUR"), (2, "USD"), (0, "EUR")]
    cache.delete_memoized(price, 1)
    assert price(1) == "1 EUR"
    assert price(2, "USD") == "2 USD"
    assert calls[-1] == (1, "EUR") and len(calls) == 4
    cache.delete_memoized(price)
    price(1)
    price(2, "USD")
    assert len(calls) == 6
    with pytest.raises(TypeError):
        price(1, 2, 3)


def test_memoize_async(app: Carboy) -> None:
    cache = Cache(app)
    calls: list[int] = []

    @cache.memoize()
    async def square(n: int) -> int:
        calls.append(n)
        return n * n

    async def main() -> list[int]:
        out = [await square(3), await square(3), await square(4)]
        await cache.delete_memoized_async(square, 3)
        out.append(await square(3))
        await cache.delete_memoized_async(square)
        out.append(await square(4))
        return out

    assert asyncio.run(main()) == [9, 9, 16, 9, 16]
    assert calls == [3, 4, 3, 4]


def test_memoize_in_views(app: Carboy, client: CarboyClient) -> None:
    cache = Cache(app)
    calls: list[int] = []

    @cache.memoize()
    def total(n: int) -> int:
        calls.append(n)
        return n * 10

    @cache.memoize()
    async def total_async(n: int) -> int:
        calls.append(-n)
        return n * 100

    @app.get("/sync/<int:n>")
    def sync_view(n: int) -> str:
        return str(total(n))

    @app.get("/async/<int:n>")
    async def async_view(n: int) -> str:
        return str(await total_async(n))

    assert [client.get("/sync/2").text, client.get("/sync/2").text] == ["20", "20"]
    assert [client.get("/async/2").text, client.get("/async/2").text] == [
        "200",
        "200",
    ]
    assert calls == [2, -2]


def test_delete_memoized_needs_a_memoized_function(app: Carboy) -> None:
    cache = Cache(app)
    with pytest.raises(TypeError, match="not a function decorated with @cache.memoize"):
        cache.delete_memoized(print)
    with pytest.raises(TypeError, match="not a function decorated with @cache.memoize"):
        asyncio.run(cache.delete_memoized_async(print))


def test_two_instances_share_and_forget_through_redis(
    redis_server: RedisServer,
) -> None:
    redis_server.flushall()
    calls: list[str] = []

    def instance(name: str) -> tuple[Cache, Any]:
        app = Carboy(name)
        app.config.update(
            SECRET_KEY="s", CACHE_TYPE="redis", CACHE_REDIS_URL=redis_server.url(0)
        )
        cache = Cache(app)

        # The same function in two processes: the same module and name.
        def report(day: str) -> str:
            calls.append(name)
            return f"report {day}"

        report.__qualname__ = "report"
        return cache, cache.memoize()(report)

    cache_a, report_a = instance("a")
    cache_b, report_b = instance("b")
    assert report_a("mon") == "report mon"
    assert report_b("mon") == "report mon"
    assert calls == ["a"]
    cache_b.delete_memoized(report_b)
    assert report_a("mon") == "report mon"
    assert calls == ["a", "a"]
