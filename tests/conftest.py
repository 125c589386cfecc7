"""Shared fixtures: every behaviour test runs under both adapters (ids wsgi, asgi)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from carboy import Carboy
from carboy.testing import CarboyClient
from redis_server import RedisServer, start_redis

# Hypothesis checks behaviour here, never speed: no per-example deadline, no too-slow
# health check (a loaded two-core CI machine made both fail tests that were right).
settings.register_profile(
    "carboy", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("carboy")


@pytest.fixture
def app() -> Carboy:
    app = Carboy("test_app")
    app.config.update(TESTING=True, SECRET_KEY="test key")
    return app


@pytest.fixture(params=["wsgi", "asgi"])
def protocol(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def client(app: Carboy, protocol: str) -> CarboyClient:
    """A test client through the WSGI adapter or the ASGI adapter."""
    return app.test_client(protocol=protocol)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """One real ``redis-server`` on 127.0.0.1 for the whole run, stopped by its PID."""
    server = start_redis()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The URL of an empty Redis database for one test (the server is flushed first)."""
    redis_server.flushall()
    return redis_server.url(0)
