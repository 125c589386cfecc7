"""Shared fixtures: every behaviour test runs under both adapters (ids wsgi, asgi)."""

from __future__ import annotations

import pytest

from carboy import Carboy
from carboy.testing import CarboyClient


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
