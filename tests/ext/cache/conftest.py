"""Fixtures for carboy.ext.cache: each view test runs with the in-process backend and
with a real Redis, under WSGI and ASGI (the ``client`` fixture), with def and async
def views (``kind``)."""

from __future__ import annotations

import pytest

from carboy import Carboy
from redis_server import RedisServer


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture(params=["simple", "redis"])
def cache_type(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def app(cache_type: str, request: pytest.FixtureRequest) -> Carboy:
    app = Carboy("test_cache")
    app.config.update(TESTING=True, SECRET_KEY="test key", CACHE_TYPE=cache_type)
    if cache_type == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        server.flushall()
        app.config["CACHE_REDIS_URL"] = server.url(0)
    return app
