"""Trust ``X-Forwarded-*`` headers from a known number of reverse proxies.

The security concern first. Behind a reverse proxy (nginx, a load balancer) the app's
socket peer is the proxy, not the client, and the request arrived over the proxy's
scheme, host and port. Proxies pass the client's view along in ``X-Forwarded-For``,
``-Proto``, ``-Host``, ``-Port`` and ``-Prefix``. Those headers are ordinary request
headers: **any client can send them**. An app that believes them without a proxy in
front (or believes more values than there are proxies) lets a client pick its own IP
address for rate limits and audit logs, pretend the connection was HTTPS, and choose the
host that ``url_for(_external=True)`` and password-reset links point at.

So this middleware trusts a header only as far as you say proxies set it. Each proxy
*appends* to ``X-Forwarded-For`` (nginx's ``$proxy_add_x_forwarded_for``) and
*overwrites* the other headers, so with ``x_for=1`` the last address in the list, the one
your own proxy added, is the client; anything before it was written by the client and is
ignored. A header with fewer values than trusted proxies is ignored whole (it cannot
have come through all of them), and so is a value that does not parse (an address that
is not an IP, a scheme other than http/https, a port out of range, a host with spaces).

Set each ``x_*`` to the number of proxies in front of the app that set that header, and
leave it at 0 for a header no proxy of yours sets. Never use this middleware when the app
can be reached without going through the proxy.

It is a plain WSGI and ASGI callable that does one job: it rewrites the WSGI environ
(``REMOTE_ADDR``, ``wsgi.url_scheme``, ``HTTP_HOST``, ``SERVER_NAME``, ``SERVER_PORT``,
``SCRIPT_NAME``) or the ASGI scope (``client``, ``scheme``, the ``host`` header,
``server``, ``root_path`` and ``path``) before calling the app, keeping the original
values under the ``carboy.proxy_fix.orig`` key. Since a carboy app is both a WSGI and an
ASGI application, ``ProxyFix(app)`` is too; ``ProxyFix(app.wsgi_app)`` and
``ProxyFix(app.asgi_app)`` wrap one protocol each.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from ..types import Receive, Scope, Send, StartResponse, WSGIEnviron

__all__ = ["ProxyFix", "Forwarded", "forwarded_value", "parse_forwarded"]

#: A host as a proxy forwards it: a name or IPv4 address, or a bracketed IPv6 address,
#: with an optional port. No spaces, slashes, "@" or control characters.
_HOST_RE = re.compile(
    r"(?:[A-Za-z0-9\-._~!$&'()*+,;=%]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)
_PREFIX_RE = re.compile(r"/[A-Za-z0-9\-._~!$&'()*+,;=:@%/]*")


def forwarded_value(header: str | None, trusted: int) -> str | None:
    """The value the ``trusted``-th proxy from the app set in a comma-separated
    ``X-Forwarded-*`` header, or None when the header cannot be trusted.

    ``forwarded_value("spoofed, 203.0.113.7", 1)`` is ``"203.0.113.7"``: the last value
    is the one the nearest proxy added. None when ``trusted`` is 0, the header is
    missing, or it has fewer values than trusted proxies.
    """
    if not trusted or header is None:
        return None
    values = header.split(",")
    if len(values) < trusted:
        return None
    return values[-trusted].strip() or None


def _client_address(value: str | None) -> str | None:
    if value is None:
        return None
    if value.startswith("[") and value.endswith("]"):
        value = value[1:-1]
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None


def _scheme(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.lower()
    return value if value in {"http", "https"} else None


def _port(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdigit() or len(value) > 5:
        return None
    port = int(value)
    return port if 0 < port < 65536 else None


def _host(value: str | None) -> str | None:
    if value is None or _HOST_RE.fullmatch(value) is None:
        return None
    return value


def _prefix(value: str | None) -> str | None:
    if value is None or _PREFIX_RE.fullmatch(value) is None:
        return None
    return value.rstrip("/")


def _split_host(host: str) -> tuple[str, int | None]:
    """``("example.com", 8080)`` from ``"example.com:8080"``; IPv6 keeps its brackets."""
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and not name.endswith(":"):
        return name, int(port)
    return host, None


class Forwarded:
    """What the trusted proxies said about one request: each field None when the
    header was absent, untrusted or malformed (then the request's own value stands)."""

    __slots__ = ("client", "scheme", "host", "port", "prefix")

    def __init__(
        self,
        client: str | None = None,
        scheme: str | None = None,
        host: str | None = None,
        port: int | None = None,
        prefix: str | None = None,
    ) -> None:
        self.client = client
        self.scheme = scheme
        self.host = host
        self.port = port
        self.prefix = prefix

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Forwarded):
            return NotImplemented
        return all(getattr(self, k) == getattr(other, k) for k in self.__slots__)

    def __repr__(self) -> str:
        fields = ", ".join(f"{k}={getattr(self, k)!r}" for k in self.__slots__)
        return f"Forwarded({fields})"


def parse_forwarded(
    header: Callable[[str], str | None],
    x_for: int = 1,
    x_proto: int = 1,
    x_host: int = 0,
    x_port: int = 0,
    x_prefix: int = 0,
) -> Forwarded:
    """Read the ``X-Forwarded-*`` headers (``header(name)`` gives a header's value, its
    repeated lines joined with commas) as far as the given numbers of proxies are
    trusted. Pure: no environ, no scope."""
    return Forwarded(
        client=_client_address(forwarded_value(header("x-forwarded-for"), x_for)),
        scheme=_scheme(forwarded_value(header("x-forwarded-proto"), x_proto)),
        host=_host(forwarded_value(header("x-forwarded-host"), x_host)),
        port=_port(forwarded_value(header("x-forwarded-port"), x_port)),
        prefix=_prefix(forwarded_value(header("x-forwarded-prefix"), x_prefix)),
    )


def _forwarded_host(
    fwd: Forwarded, host: str | None, scheme: str
) -> tuple[str, str, int | None] | None:
    """The ``(Host header, server name, server port)`` the client used, when the
    proxies changed the host or the port; None otherwise."""
    if fwd.host is None and fwd.port is None:
        return None
    if fwd.host is not None:
        host = fwd.host
    if host is None:
        return None
    name, port = _split_host(host)
    if fwd.port is not None:
        port = fwd.port
        default = 443 if scheme in {"https", "wss"} else 80
        host = name if port == default else f"{name}:{port}"
    elif port is None:
        port = 443 if scheme in {"https", "wss"} else 80
    return host, name.strip("[]"), port


class ProxyFix:
    """WSGI and ASGI middleware that applies ``X-Forwarded-*`` headers from
    ``x_for``/``x_proto``/``x_host``/``x_port``/``x_prefix`` trusted proxies.

    One nginx in front of the app, setting all five headers::

        from carboy.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1,
                                x_port=1, x_prefix=1)

    (or ``app.asgi_app = ProxyFix(app.asgi_app, ...)``, or serve ``ProxyFix(app, ...)``,
    which is both). The defaults trust ``X-Forwarded-For`` and ``-Proto`` from one proxy.
    """

    def __init__(
        self,
        app: Any,
        x_for: int = 1,
        x_proto: int = 1,
        x_host: int = 0,
        x_port: int = 0,
        x_prefix: int = 0,
    ) -> None:
        for name, value in [
            ("x_for", x_for),
            ("x_proto", x_proto),
            ("x_host", x_host),
            ("x_port", x_port),
            ("x_prefix", x_prefix),
        ]:
            if type(value) is not int or value < 0:
                raise ValueError(
                    f"ProxyFix({name}={value!r}): give the number of proxies that set"
                    " the header, an int >= 0 (0 trusts no proxy)."
                )
        self.app = app
        self.x_for = x_for
        self.x_proto = x_proto
        self.x_host = x_host
        self.x_port = x_port
        self.x_prefix = x_prefix

    def __call__(
        self,
        environ_or_scope: Any,
        start_response_or_receive: Any = None,
        send: Any = None,
    ) -> Any:
        """WSGI (``(environ, start_response)``) or ASGI (``(scope, receive, send)``),
        and ASGI 2 (``(scope)`` returning ``instance(receive, send)``), like the app."""
        if send is not None:
            return self.asgi(environ_or_scope, start_response_or_receive, send)
        if start_response_or_receive is not None:
            return self.wsgi(environ_or_scope, start_response_or_receive)

        def asgi2_instance(receive: Receive, send: Send) -> Awaitable[None]:
            return self.asgi(environ_or_scope, receive, send)

        return asgi2_instance

    def _parse(self, header: Callable[[str], str | None]) -> Forwarded:
        return parse_forwarded(
            header, self.x_for, self.x_proto, self.x_host, self.x_port, self.x_prefix
        )

    def wsgi(
        self, environ: WSGIEnviron, start_response: StartResponse
    ) -> Iterable[bytes]:
        """Rewrite the environ, then call the wrapped WSGI application."""

        def header(name: str) -> str | None:
            value = environ.get("HTTP_" + name.upper().replace("-", "_"))
            return value if isinstance(value, str) else None

        fwd = self._parse(header)
        environ["carboy.proxy_fix.orig"] = {
            key: environ.get(key)
            for key in (
                "REMOTE_ADDR",
                "wsgi.url_scheme",
                "HTTP_HOST",
                "SERVER_NAME",
                "SERVER_PORT",
                "SCRIPT_NAME",
            )
        }
        if fwd.client is not None:
            environ["REMOTE_ADDR"] = fwd.client
        if fwd.scheme is not None:
            environ["wsgi.url_scheme"] = fwd.scheme
        scheme = environ.get("wsgi.url_scheme", "http")
        host = _forwarded_host(fwd, environ.get("HTTP_HOST"), scheme)
        if host is not None:
            environ["HTTP_HOST"], environ["SERVER_NAME"] = host[0], host[1]
            environ["SERVER_PORT"] = str(host[2])
        if fwd.prefix is not None:
            environ["SCRIPT_NAME"] = fwd.prefix
        return self.app(environ, start_response)  # type: ignore[no-any-return]

    async def asgi(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Rewrite (a copy of) the scope, then call the wrapped ASGI application."""
        if scope["type"] not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = list(scope.get("headers", ()))

        def header(name: str) -> str | None:
            key = name.encode("latin-1")
            values = [v.decode("latin-1") for k, v in headers if k == key]
            return ",".join(values) if values else None

        fwd = self._parse(header)
        scope = dict(scope)
        scope["carboy.proxy_fix.orig"] = {
            key: scope.get(key)
            for key in ("client", "scheme", "server", "root_path", "path", "headers")
        }
        if fwd.client is not None:
            scope["client"] = (fwd.client, 0)
        if fwd.scheme is not None:
            websocket = scope["type"] == "websocket"
            secure = fwd.scheme == "https"
            scope["scheme"] = ("wss" if secure else "ws") if websocket else fwd.scheme
        scheme = scope.get("scheme", "http")
        host = _forwarded_host(fwd, header("host"), scheme)
        if host is not None:
            value = host[0].encode("latin-1")
            headers = [(k, v) for k, v in headers if k != b"host"]
            headers.append((b"host", value))
            scope["headers"] = headers
            scope["server"] = (host[1], host[2])
        if fwd.prefix is not None:
            # NOTE: in an ASGI scope "path" includes "root_path"; the proxy removed the
            # prefix from the path it sent, so put it back in front.
            old_root = scope.get("root_path", "")
            path = scope["path"]
            if old_root and path.startswith(old_root):
                path = path[len(old_root) :]
            scope["root_path"] = fwd.prefix
            scope["path"] = fwd.prefix + path
            raw_path = scope.get("raw_path")
            if raw_path is not None:
                raw_root = old_root.encode()
                if raw_root and raw_path.startswith(raw_root):
                    raw_path = raw_path[len(raw_root) :]
                scope["raw_path"] = fwd.prefix.encode("latin-1") + raw_path
        await self.app(scope, receive, send)
