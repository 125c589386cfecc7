"""ProxyFix: X-Forwarded-* headers trusted only from the configured number of proxies.

Behaviour tests run under both adapters (the ``client`` fixture wraps ``app.wsgi_app``
or ``app.asgi_app``); the header parsing is checked with hypothesis.
"""

from __future__ import annotations

import asyncio
import ipaddress
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carboy import Carboy, redirect, request, url_for
from carboy.middleware.proxy_fix import (
    Forwarded,
    ProxyFix,
    forwarded_value,
    parse_forwarded,
)
from carboy.testing import CarboyClient

ALL = {"x_for": 1, "x_proto": 1, "x_host": 1, "x_port": 1, "x_prefix": 1}


def _routes(app: Carboy) -> None:
    @app.get("/where")
    def where() -> dict[str, object]:
        return {
            "remote_addr": request.remote_addr,
            "scheme": request.scheme,
            "host": request.host,
            "is_secure": request.is_secure,
            "root_path": request.root_path,
            "url": request.url,
            "external": url_for("where", _external=True),
            "internal": url_for("where"),
        }

    @app.get("/go")
    async def go() -> Any:
        return redirect(url_for("where", _external=True))


def _wrap(app: Carboy, protocol: str, **trusted: int) -> CarboyClient:
    if protocol == "wsgi":
        app.wsgi_app = ProxyFix(app.wsgi_app, **trusted)  # type: ignore[method-assign]
    else:
        app.asgi_app = ProxyFix(app.asgi_app, **trusted)  # type: ignore[method-assign]
    return app.test_client(protocol=protocol)


PROXY_HEADERS = {
    "X-Forwarded-For": "203.0.113.7",
    "X-Forwarded-Proto": "https",
    "X-Forwarded-Host": "example.com",
    "X-Forwarded-Port": "8443",
    "X-Forwarded-Prefix": "/shop/",
}


def test_all_headers_from_one_proxy(app: Carboy, protocol: str) -> None:
    _routes(app)
    client = _wrap(app, protocol, **ALL)
    assert client.get("/where", headers=PROXY_HEADERS).json == {
        "remote_addr": "203.0.113.7",
        "scheme": "https",
        "host": "example.com:8443",
        "is_secure": True,
        "root_path": "/shop",
        "url": "https://example.com:8443/shop/where",
        "external": "https://example.com:8443/shop/where",
        "internal": "/shop/where",
    }


def test_a_wrapped_adapter_applies_to_every_request(app: Carboy, protocol: str) -> None:
    _routes(app)
    client = _wrap(app, protocol, x_for=1)
    for ip in ["203.0.113.1", "203.0.113.2", "203.0.113.3"]:
        data = client.get("/where", headers={"X-Forwarded-For": ip}).json
        assert data["remote_addr"] == ip


def test_redirect_to_an_external_url(app: Carboy, protocol: str) -> None:
    _routes(app)
    client = _wrap(app, protocol, **ALL)
    headers = dict(PROXY_HEADERS, **{"X-Forwarded-Port": "443"})
    response = client.get("/go", headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == "https://example.com/shop/where"


def test_default_port_of_the_forwarded_scheme_is_dropped(
    app: Carboy, protocol: str
) -> None:
    _routes(app)
    client = _wrap(app, protocol, x_proto=1, x_port=1)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"}
    data = client.get("/where", headers=headers).json
    assert (data["host"], data["external"]) == ("localhost", "https://localhost/where")


def test_forwarded_host_with_its_own_port(app: Carboy, protocol: str) -> None:
    _routes(app)
    client = _wrap(app, protocol, x_host=1)
    data = client.get("/where", headers={"X-Forwarded-Host": "example.com:8080"}).json
    assert (data["host"], data["external"]) == (
        "example.com:8080",
        "http://example.com:8080/where",
    )


def test_without_proxy_fix_forwarded_headers_are_ignored(client: CarboyClient) -> None:
    _routes(client.application)
    assert client.get("/where", headers=PROXY_HEADERS).json == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "host": "localhost",
        "is_secure": False,
        "root_path": "",
        "url": "http://localhost/where",
        "external": "http://localhost/where",
        "internal": "/where",
    }


def test_headers_not_trusted_are_ignored(app: Carboy, protocol: str) -> None:
    """The defaults trust only -For and -Proto: -Host, -Port and -Prefix are ignored."""
    _routes(app)
    client = _wrap(app, protocol)
    data = client.get("/where", headers=PROXY_HEADERS).json
    assert data["remote_addr"] == "203.0.113.7"
    assert data["external"] == "https://localhost/where"
    assert data["root_path"] == ""


def test_client_written_values_before_the_proxys_are_ignored(
    app: Carboy, protocol: str
) -> None:
    _routes(app)
    client = _wrap(app, protocol, x_for=1)
    headers = {"X-Forwarded-For": "10.0.0.1, 198.51.100.2"}
    assert client.get("/where", headers=headers).json["remote_addr"] == "198.51.100.2"


def test_two_proxies(app: Carboy, protocol: str) -> None:
    _routes(app)
    client = _wrap(app, protocol, x_for=2, x_proto=2)
    headers = {
        "X-Forwarded-For": "10.9.9.9, 203.0.113.7, 192.0.2.1",
        "X-Forwarded-Proto": "https, http",
    }
    data = client.get("/where", headers=headers).json
    assert (data["remote_addr"], data["scheme"]) == ("203.0.113.7", "https")


def test_fewer_values_than_trusted_proxies_are_ignored(
    app: Carboy, protocol: str
) -> None:
    _routes(app)
    client = _wrap(app, protocol, x_for=2)
    headers = {"X-Forwarded-For": "203.0.113.7"}
    assert client.get("/where", headers=headers).json["remote_addr"] == "127.0.0.1"


def test_malformed_values_are_ignored(app: Carboy, protocol: str) -> None:
    _routes(app)
    client = _wrap(app, protocol, **ALL)
    headers = {
        "X-Forwarded-For": "<script>",
        "X-Forwarded-Proto": "javascript",
        "X-Forwarded-Host": "evil.example/path",
        "X-Forwarded-Port": "99999",
        "X-Forwarded-Prefix": "no-slash",
    }
    assert client.get("/where", headers=headers).json == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "host": "localhost",
        "is_secure": False,
        "root_path": "",
        "url": "http://localhost/where",
        "external": "http://localhost/where",
        "internal": "/where",
    }


def test_ipv6_client(app: Carboy, protocol: str) -> None:
    _routes(app)
    client = _wrap(app, protocol)
    headers = {"X-Forwarded-For": "[2001:db8::1]"}
    assert client.get("/where", headers=headers).json["remote_addr"] == "2001:db8::1"


def test_one_wrapper_serves_both_protocols(app: Carboy) -> None:
    """``ProxyFix(app)`` is a WSGI and an ASGI (3 and 2) application, like the app."""
    _routes(app)
    wrapped = ProxyFix(app, x_for=1)
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/where",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_X_FORWARDED_FOR": "203.0.113.7",
        "wsgi.url_scheme": "http",
    }
    statuses: list[str] = []
    body = b"".join(wrapped(environ, lambda s, h, e=None: statuses.append(s)))
    assert statuses == ["200 OK"]
    assert b'"remote_addr":"203.0.113.7"' in body.replace(b" ", b"")
    assert environ["carboy.proxy_fix.orig"]["REMOTE_ADDR"] == "127.0.0.1"

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/where",
        "query_string": b"",
        "headers": [(b"host", b"localhost"), (b"x-forwarded-for", b"203.0.113.8")],
        "client": ("127.0.0.1", 5000),
        "scheme": "http",
    }
    for call_style in ("asgi3", "asgi2"):
        sent = _run_asgi(wrapped, scope, call_style)
        assert sent[0]["status"] == 200
        assert b'"remote_addr":"203.0.113.8"' in sent[1]["body"].replace(b" ", b"")
    assert scope["client"] == ("127.0.0.1", 5000), "the server's scope is not changed"


def _run_asgi(app: Any, scope: dict[str, Any], style: str) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def run() -> None:
        if style == "asgi3":
            await app(scope, receive, send)
        else:
            await app(scope)(receive, send)

    asyncio.run(run())
    return sent


def _capture_scope(scope: dict[str, Any], **trusted: int) -> dict[str, Any]:
    seen: list[dict[str, Any]] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope)

    async def nothing() -> Any:  # pragma: no cover - never called
        return None

    asyncio.run(ProxyFix(inner, **trusted)(scope, nothing, nothing))
    return seen[0]


def test_websocket_scheme_becomes_wss() -> None:
    scope = {
        "type": "websocket",
        "path": "/ws",
        "headers": [(b"x-forwarded-proto", b"https")],
        "scheme": "ws",
    }
    assert _capture_scope(scope)["scheme"] == "wss"
    scope["headers"] = [(b"x-forwarded-proto", b"http")]
    scope["scheme"] = "wss"
    assert _capture_scope(scope)["scheme"] == "ws"


def test_lifespan_passes_through_untouched() -> None:
    scope = {"type": "lifespan", "headers": [(b"x-forwarded-for", b"203.0.113.7")]}
    assert _capture_scope(scope) is scope


def test_prefix_is_put_in_front_of_the_asgi_path() -> None:
    scope = {
        "type": "http",
        "path": "/mount/items",
        "raw_path": b"/mount/items",
        "root_path": "/mount",
        "headers": [(b"x-forwarded-prefix", b"/shop")],
    }
    seen = _capture_scope(scope, x_prefix=1)
    assert (seen["root_path"], seen["path"], seen["raw_path"]) == (
        "/shop",
        "/shop/items",
        b"/shop/items",
    )


def test_repeated_asgi_header_lines_count_as_one_list() -> None:
    scope = {
        "type": "http",
        "path": "/",
        "headers": [
            (b"x-forwarded-for", b"203.0.113.7"),
            (b"x-forwarded-for", b"198.51.100.2"),
        ],
        "client": ("127.0.0.1", 1),
    }
    assert _capture_scope(scope, x_for=2)["client"] == ("203.0.113.7", 0)


def test_forwarded_port_without_a_host_header_is_ignored() -> None:
    scope = {"type": "http", "path": "/", "headers": [(b"x-forwarded-port", b"81")]}
    assert "server" not in _capture_scope(scope, x_port=1)


@pytest.mark.parametrize("bad", [-1, 1.5, "1", True])
def test_trust_counts_are_validated(bad: Any) -> None:
    with pytest.raises(ValueError, match="x_host"):
        ProxyFix(lambda e, s: [], x_host=bad)


# -- the header parsing, property-based -----------------------------------------------

_ip = st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)).map(str)
_token = st.text(
    st.characters(codec="latin-1", exclude_characters=","), min_size=1, max_size=20
)


@given(st.lists(_token, min_size=0, max_size=6), st.integers(0, 8))
def test_forwarded_value_takes_the_trusted_proxys_entry(
    values: list[str], trusted: int
) -> None:
    header = ",".join(values) if values else None
    got = forwarded_value(header, trusted)
    if trusted == 0 or not values or len(values) < trusted:
        assert got is None
    else:
        assert got == (values[-trusted].strip() or None)


@given(st.lists(_token, max_size=5), _ip, st.integers(1, 3))
def test_spoofed_entries_never_win(
    spoofed: list[str], proxy_added: str, n: int
) -> None:
    """Whatever a client writes first, with n proxies each appending an address, the
    address the outermost trusted proxy saw is the one taken."""
    chain = [*spoofed, proxy_added, *["192.0.2.1"] * (n - 1)]
    fwd = parse_forwarded({"x-forwarded-for": ", ".join(chain)}.get, x_for=n)
    assert fwd.client == str(ipaddress.ip_address(proxy_added))


_header_names = [
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-prefix",
]


@given(
    st.fixed_dictionaries(
        {},
        optional={
            name: st.text(st.characters(codec="latin-1")) for name in _header_names
        },
    ),
    st.lists(st.integers(0, 3), min_size=5, max_size=5),
)
def test_any_header_values_parse_to_safe_values_or_none(
    headers: dict[str, str], counts: list[int]
) -> None:
    fwd = parse_forwarded(headers.get, *counts)
    if fwd.client is not None:
        ipaddress.ip_address(fwd.client)
    assert fwd.scheme in {None, "http", "https"}
    assert fwd.port is None or 0 < fwd.port < 65536
    for value in (fwd.host, fwd.prefix):
        if value is not None:
            assert value.isascii()
            assert not any(c in value for c in ' \t\r\n\x00?#\\"<>')
    if fwd.host is not None:
        assert "/" not in fwd.host and "@" not in fwd.host
    if fwd.prefix is not None:
        assert fwd.prefix == "" or (fwd.prefix[0] == "/" and fwd.prefix[-1] != "/")


@given(_ip, st.sampled_from(["http", "HTTPS", "https"]), st.integers(1, 65535))
def test_well_formed_values_are_taken(ip: str, proto: str, port: int) -> None:
    headers = {
        "x-forwarded-for": f"  {ip} ",
        "x-forwarded-proto": proto,
        "x-forwarded-host": "shop.example.com",
        "x-forwarded-port": str(port),
        "x-forwarded-prefix": "/a/b/",
    }
    assert parse_forwarded(headers.get, 1, 1, 1, 1, 1) == Forwarded(
        client=str(ipaddress.ip_address(ip)),
        scheme=proto.lower(),
        host="shop.example.com",
        port=port,
        prefix="/a/b",
    )


def test_forwarded_repr_and_equality() -> None:
    assert repr(Forwarded(client="::1")) == (
        "Forwarded(client='::1', scheme=None, host=None, port=None, prefix=None)"
    )
    assert Forwarded() != "Forwarded()"


def test_forwarded_host_sets_the_asgi_server() -> None:
    scope = {
        "type": "http",
        "path": "/a",
        "scheme": "http",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"x-forwarded-host", b"[2001:db8::2]"),
            (b"x-forwarded-proto", b"https"),
            (b"x-forwarded-prefix", b"/p"),
        ],
    }
    seen = _capture_scope(scope, x_proto=1, x_host=1, x_prefix=1)
    assert seen["server"] == ("2001:db8::2", 443)
    assert seen["headers"] == [
        (b"x-forwarded-host", b"[2001:db8::2]"),
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-prefix", b"/p"),
        (b"host", b"[2001:db8::2]"),
    ]
    assert (seen["root_path"], seen["path"], "raw_path" in seen) == (
        "/p",
        "/p/a",
        False,
    )
