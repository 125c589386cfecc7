"""The evasion attack: a client that forges ``X-Forwarded-For`` to look like a new
client on every request. Without ProxyFix the header is ignored (the socket peer is the
key); with ProxyFix only the address the trusted proxy appended counts."""

from __future__ import annotations

from typing import Any

import pytest

from carboy import Carboy
from carboy.ext.limiter import Limiter, get_remote_address
from carboy.middleware.proxy_fix import ProxyFix


def limited_app(kind: str, proxies: int) -> Carboy:
    app = Carboy("forwarded")
    Limiter(app, key_func=get_remote_address, default_limits=["3/minute"])

    if kind == "def":

        @app.get("/login")
        def login() -> str:
            return "ok"

    else:

        @app.get("/login")
        async def login() -> str:
            return "ok"

    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies)  # type: ignore[method-assign]
        app.asgi_app = ProxyFix(app.asgi_app, x_for=proxies)  # type: ignore[method-assign]
    return app


def send(app: Carboy, protocol: str, peer: str, forwarded: str | None) -> int:
    headers: dict[str, Any] = {}
    if forwarded is not None:
        headers["X-Forwarded-For"] = forwarded
    client = app.test_client(protocol=protocol)
    response = client.get("/login", headers=headers, environ_base={"REMOTE_ADDR": peer})
    return response.status_code


@pytest.mark.parametrize("kind", ["def", "async"])
def test_forged_header_without_proxy_fix_changes_nothing(
    protocol: str, kind: str
) -> None:
    app = limited_app(kind, proxies=0)
    codes = [send(app, protocol, "198.51.100.7", f"203.0.113.{i}") for i in range(1, 7)]
    assert codes == [200, 200, 200, 429, 429, 429]
    # Another real client is unaffected.
    assert send(app, protocol, "198.51.100.8", None) == 200


@pytest.mark.parametrize("kind", ["def", "async"])
def test_forged_header_behind_proxy_fix_changes_nothing(
    protocol: str, kind: str
) -> None:
    """The client forges a first value; the proxy (the socket peer) appends the real
    address, which is the only one trusted with x_for=1."""
    app = limited_app(kind, proxies=1)
    codes = [
        send(app, protocol, "10.0.0.1", f"203.0.113.{i}, 198.51.100.7")
        for i in range(1, 7)
    ]
    assert codes == [200, 200, 200, 429, 429, 429]
    # Two real clients behind the same proxy are counted apart.
    assert send(app, protocol, "10.0.0.1", "198.51.100.9") == 200
    # A header too short for the trusted proxies is ignored: the key is the peer.
    assert [send(app, protocol, "10.0.0.2", None) for _ in range(4)] == [
        200,
        200,
        200,
        429,
    ]


@pytest.mark.parametrize("kind", ["def", "async"])
def test_garbage_forwarded_values_are_not_keys(protocol: str, kind: str) -> None:
    app = limited_app(kind, proxies=1)
    codes = [send(app, protocol, "10.0.0.3", f"not-an-ip-{i}") for i in range(4)]
    assert codes == [200, 200, 200, 429]
