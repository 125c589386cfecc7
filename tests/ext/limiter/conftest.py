"""Fixtures for carboy.ext.limiter: behaviour tests run with in-memory and Redis
counters, both algorithms, under WSGI and ASGI (``client``), def and async def views."""

from __future__ import annotations

import pytest

from carboy import Carboy
from redis_server import RedisServer


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=["memory", "redis"])
def storage(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=["sliding-window", "fixed-window"])
def strategy(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def app(storage: str, strategy: str, request: pytest.FixtureRequest) -> Carboy:
    app = Carboy("test_limiter")
    app.config.update(TESTING=True, SECRET_KEY="k", RATELIMIT_STRATEGY=strategy)
    if storage == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        server.flushall()
        app.config["RATELIMIT_STORAGE_URI"] = server.url(0)
    return app
