"""Fixtures for carboy.ext.api: the shop API (tests/ext/api/shop.py) with ``def`` or
``async def`` views, served through the ``client`` fixture under WSGI and ASGI."""

from __future__ import annotations

import pytest

from carboy import Carboy

from .shop import make_app


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def app(kind: str) -> Carboy:
    return make_app(kind)
