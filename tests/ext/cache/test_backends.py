"""The cache calls (get/set/delete/clear and their async twins) on every backend,
the in-process backend's bound, expiry and thread safety, the Redis backend's prefix
and signed values, and the configuration."""

from __future__ import annotations

import asyncio
import pickle
import threading
import time
from typing import Any

import pytest

from carboy import Carboy
from carboy.ext.cache import Cache, NullCache, RedisCache, SimpleCache
from redis_server import RedisServer


def test_get_set_delete_clear(app: Carboy) -> None:
    cache = Cache(app)
    assert cache.get("missing") is None
    assert cache.get("missing", "default") == "default"
    assert cache.set("k", {"a": [1, 2]}) is True
    assert cache.get("k") == {"a": [1, 2]}
    assert cache.set("none", None) is True
    assert cache.get("none", "default") is None
    assert cache.delete("k") is True
    assert cache.delete("k") is False
    assert cache.get("k") is None
    cache.set("x", 1)
    cache.set("y", 2)
    assert cache.clear() is True
    assert (cache.get("x"), cache.get("y")) == (None, None)


def test_async_calls(app: Carboy) -> None:
    cache = Cache(app)

    async def main() -> list[Any]:
        out = [await cache.get_async("k", "default")]
        out.append(await cache.set_async("k", [1]))
        out.append(await cache.get_async("k"))
        out.append(await cache.delete_async("k"))
        out.append(await cache.delete_async("k"))
        await cache.set_async("z", 3)
        out.append(await cache.clear_async())
        out.append(await cache.get_async("z"))
        return out

    assert asyncio.run(main()) == ["default", True, [1], True, False, True, None]
    # A second loop (the first one is closed) gets a client of its own.
    assert asyncio.run(main()) == ["default", True, [1], True, False, True, None]


def test_values_are_copies(app: Carboy) -> None:
    cache = Cache(app)
    value = [1]
    cache.set("k", value)
    value.append(2)
    got = cache.get("k")
    got.append(3)
    assert cache.get("k") == [1]


def test_timeouts(app: Carboy) -> None:
    cache = Cache(app)
    cache.set("short", 1, timeout=0.5)
    cache.set("forever", 2, timeout=0)
    assert cache.get("short") == 1
    time.sleep(0.7)
    assert cache.get("short") is None
    assert cache.get("forever") == 2
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        cache.set("bad", 1, timeout=-1)


def test_simple_cache_is_bounded_least_recently_used_first() -> None:
    cache = SimpleCache(threshold=3)
    for key in "abc":
        cache.set(key, key)
    assert cache.get("a") == "a"  # now the most recently used
    cache.set("d", "d")
    assert len(cache) == 3
    assert [cache.get(k) for k in "abcd"] == ["a", None, "c", "d"]


def test_simple_cache_evicts_expired_entries_first() -> None:
    cache = SimpleCache(threshold=2)
    cache.set("old", 1)
    cache.set("brief", 2, timeout=0.01)
    time.sleep(0.05)
    cache.set("new", 3)
    assert (cache.get("old"), cache.get("new")) == (1, 3)


def test_simple_cache_under_threads() -> None:
    cache = SimpleCache(threshold=50)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(300):
                cache.set(f"{n}-{i}", i)
                value = cache.get(f"{n}-{i}")
                assert value in (i, None)
                cache.delete(f"{n}-{i - 1}")
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(cache) <= 50


def test_bad_settings() -> None:
    with pytest.raises(ValueError, match="CACHE_THRESHOLD must be at least 1"):
        SimpleCache(threshold=0)
    with pytest.raises(ValueError, match="timeout must be >= 0"):
        NullCache(default_timeout=-5)
    app = Carboy("bad")
    app.config.update(CACHE_TYPE="memcached")
    with pytest.raises(ValueError, match="Unknown CACHE_TYPE 'memcached'"):
        Cache(app)
    app.config.update(CACHE_TYPE="redis")
    with pytest.raises(ValueError, match="set SECRET_KEY"):
        Cache(app)


def test_ported_type_names_and_instances() -> None:
    app = Carboy("ported")
    for name, cls in [("SimpleCache", SimpleCache), ("NullCache", NullCache)]:
        app.config["CACHE_TYPE"] = name
        assert type(Cache(app).backend) is cls
    backend = SimpleCache(threshold=7)
    app.config["CACHE_TYPE"] = backend
    assert Cache(app).backend is backend


def test_null_cache_stores_nothing() -> None:
    app = Carboy("null")
    cache = Cache(app, config={"CACHE_TYPE": "null"})
    assert cache.set("k", 1) is True
    assert cache.get("k") is None
    assert cache.delete("k") is False
    assert cache.clear() is True
    assert asyncio.run(cache.get_async("k", 5)) == 5


def test_unbound_cache_says_what_to_do() -> None:
    cache = Cache()
    with pytest.raises(RuntimeError, match="not bound to an app"):
        cache.get("k")
    app = Carboy("other")
    with app.app_context(), pytest.raises(RuntimeError, match="cache.init_app"):
        cache.get("k")
    cache.init_app(app)
    with app.app_context():
        cache.set("k", 1)
        assert cache.get("k") == 1


def test_one_cache_object_per_app_via_init_app() -> None:
    cache = Cache()
    one, two = Carboy("one"), Carboy("two")
    cache.init_app(one)
    cache.init_app(two)
    with one.app_context():
        cache.set("k", "one")
    with two.app_context():
        assert cache.get("k") is None


# -- Redis --------------------------------------------------------------------------


def test_redis_shared_between_apps_and_cleared_by_prefix(
    redis_server: RedisServer,
) -> None:
    redis_server.flushall()
    url = redis_server.url(0)

    def make(prefix: str) -> Cache:
        app = Carboy("r")
        app.config.update(
            SECRET_KEY="s",
            CACHE_TYPE="redis",
            CACHE_REDIS_URL=url,
            CACHE_KEY_PREFIX=prefix,
        )
        return Cache(app)

    first, second, other = make("site[1]:"), make("site[1]:"), make("site2:")
    first.set("k", "shared")
    other.set("k", "other")
    assert second.get("k") == "shared"
    for i in range(1200):  # more than one SCAN/DEL batch
        first.set(f"n{i}", i)
    second.clear()  # the prefix's "[" and "]" are not a glob class
    assert first.get("k") is None
    assert first.get("n7") is None
    assert other.get("k") == "other"

    async def fill_and_clear() -> Any:
        for i in range(1200):
            await first.set_async(f"a{i}", i)
        await first.clear_async()
        return await first.get_async("a5"), await other.get_async("k")

    assert asyncio.run(fill_and_clear()) == (None, "other")
    backend = first.backend
    assert isinstance(backend, RedisCache)
    backend.clients.close()
    backend.clients.close()  # closing twice is harmless


def test_redis_refuses_values_it_did_not_sign(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    """Someone who can write to Redis (but lacks the key) plants a pickle that runs
    code when loaded: it is a miss, never unpickled."""
    redis_server.flushall()
    import redis

    app = Carboy("r")
    app.config.update(
        SECRET_KEY="s", CACHE_TYPE="redis", CACHE_REDIS_URL=redis_server.url(0)
    )
    cache = Cache(app)
    cache.set("page", "genuine")
    raw = redis.Redis.from_url(redis_server.url(0))
    evil = pickle.dumps(Exploding())
    raw.set("carboy:cache:page", b"\0" * 32 + evil)
    assert cache.get("page", "miss") == "miss"
    assert "bad signature" in caplog.text
    other_key = Carboy("r2")
    other_key.config.update(
        SECRET_KEY="other", CACHE_TYPE="redis", CACHE_REDIS_URL=redis_server.url(0)
    )
    cache.set("page", "genuine")
    assert Cache(other_key).get("page", "miss") == "miss"
    raw.close()


class Exploding:
    def __reduce__(self) -> Any:
        return (_explode, ())


def _explode() -> None:  # pragma: no cover - must never run
    raise AssertionError("unpickled an unsigned value")


def test_redis_async_client_closes_with_its_loop(redis_server: RedisServer) -> None:
    app = Carboy("r")
    app.config.update(
        SECRET_KEY="s", CACHE_TYPE="redis", CACHE_REDIS_URL=redis_server.url(0)
    )
    cache = Cache(app)
    backend = cache.backend
    assert isinstance(backend, RedisCache)

    async def use() -> int:
        await cache.set_async("k", 1)
        return len(backend.clients._async)

    assert asyncio.run(use()) == 1
    assert len(backend.clients._async) == 0  # the loop's shutdown closed it

    async def close_early() -> int:
        await cache.get_async("k")
        await backend.clients.aclose()
        await backend.clients.aclose()
        return len(backend.clients._async)

    assert asyncio.run(close_early()) == 0
