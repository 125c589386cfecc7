"""The application's URL side: matching a request to a rule, trusted hosts, redirects
for strict slashes, and building URLs (``url_for``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .ctx import _cv_ctx
from .dispatch import blueprint_chain
from .exceptions import BadHost, HTTPException, NotFound, UpgradeRequired
from .routing import BuildError, Map, RequestRedirect
from .sansio.request import host_without_port
from .sansio.urls import iri_to_uri, url_quote

if TYPE_CHECKING:  # pragma: no cover
    from .config import Config
    from .ctx import Context
    from .wrappers import Request, Response

_NO_SUBDOMAIN = "<invalid>"
#: What a path keeps unencoded, as the URL map encodes the paths it builds.
_PATH_SAFE = "/:@!$&'()*+,;="
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"
# PERF: tuples, not ``A | B`` unions, which are built anew at each isinstance call.


def _upgrade_required(
    url_map: Map, path: str, domain: str, error: HTTPException
) -> HTTPException:
    """426 for a plain HTTP request to a WebSocket route; ``error`` otherwise."""
    try:
        url_map.match(path, "GET", domain, True)
    except HTTPException:
        return error
    return UpgradeRequired()


def _websocket_scheme(url_map: Map, endpoint: str, scheme: str) -> str:
    """``ws``/``wss`` for an endpoint served only by WebSocket rules."""
    rules = list(url_map.iter_rules(endpoint))
    if rules and all(rule.websocket for rule in rules):
        return {"http": "ws", "https": "wss"}.get(scheme, scheme)
    return scheme


class URLAdapter:
    """The URL map bound to one request's domain, path and method (Flask's
    ``MapAdapter``, as ``create_url_adapter`` returns it)."""

    __slots__ = ("map", "domain", "path_info", "method")

    def __init__(self, url_map: Map, domain: str, path_info: str, method: str) -> None:
        self.map = url_map
        self.domain = domain
        self.path_info = path_info
        self.method = method

    def match(
        self,
        path_info: str | None = None,
        method: str | None = None,
        websocket: bool = False,
    ) -> tuple[Any, dict[str, Any]]:
        """``(rule, values)`` for the path; raises 404, 405 or a redirect."""
        return self.map.match(
            path_info or self.path_info, method or self.method, self.domain, websocket
        )

    def allowed_methods(self, path_info: str | None = None) -> set[str]:
        """The methods some rule accepts for the path."""
        return set(self.map.allowed_methods(path_info or self.path_info, self.domain))


class URLs:
    """Matching and building URLs; a part of :class:`carboy.Carboy`."""

    #: Whether the class overrides ``create_url_adapter`` (matching then uses it).
    _custom_url_adapter = False

    #: Set when a WebSocket rule is added (426 and ``ws://`` URLs are looked for).
    _has_websocket_rules = False

    config: Config
    url_map: Map
    subdomain_matching: bool
    response_class: type[Response]
    url_build_error_handlers: list[Callable[[Exception, str, dict[str, Any]], str]]
    url_default_functions: dict[str | None, list[Callable[[str, dict[str, Any]], None]]]

    def match_request(self, ctx: Context, websocket: bool = False) -> None:
        """Match the request's URL, storing the rule and values or the routing error."""
        request = ctx.request
        assert request is not None
        domain = ""
        try:
            if self.config["TRUSTED_HOSTS"]:
                self.check_trusted_host(request)
            if self.url_map.host_matching or self.subdomain_matching:
                domain = self._request_domain(request)
                if domain == _NO_SUBDOMAIN:
                    # NOTE: not even a rule with a variable subdomain matches (Flask
                    # would pass it "<invalid>"): the host is not this app's.
                    raise NotFound()
            if self._custom_url_adapter:
                adapter = ctx.url_adapter = self.create_url_adapter(request)
                if adapter is None:
                    return
                rule, values = adapter.match(websocket=websocket)
            else:
                # PERF: the same match as URLAdapter's, without the object.
                rule, values = self.url_map.match(
                    request.path, request.method, domain, websocket
                )
        except HTTPException as e:
            if (
                self._has_websocket_rules
                and not websocket
                and isinstance(e, NotFound)
                and domain != _NO_SUBDOMAIN
            ):
                e = _upgrade_required(self.url_map, request.path, domain, e)
            # PERF: without its traceback (the matcher's frames, which would hold the
            # request in a cycle for the garbage collector); raised again in dispatch,
            # it gets a traceback from there.
            request.routing_exception = e.with_traceback(None)
        else:
            request.url_rule = rule
            request.view_args = values

    def create_url_adapter(self, request: Request | None) -> URLAdapter | None:
        """The URL map bound to ``request``'s host, path and method (what matching
        uses when a subclass overrides this); ``None`` without a request."""
        if request is None:
            return None
        domain = self._request_domain(request) if self._domain_matching else ""
        return URLAdapter(self.url_map, domain, request.path, request.method)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._custom_url_adapter = cls.create_url_adapter is not URLs.create_url_adapter

    @property
    def _domain_matching(self) -> bool:
        return self.url_map.host_matching or self.subdomain_matching

    def _request_domain(self, request: Request) -> str:
        """What rules match against: the host (with a port unless it is the scheme's
        default) under ``host_matching``, else the subdomain under ``SERVER_NAME``.

        NOTE: as in Flask 3.1, ``SERVER_NAME`` restricts nothing unless
        ``subdomain_matching`` is on; callers skip this when neither is on.
        """
        host = request.host.lower()
        if self.url_map.host_matching:
            return host
        server_name = self._server_name(request.scheme)
        if not server_name or host == server_name:
            return ""
        if not host.endswith("." + server_name):
            # NOTE: a host outside SERVER_NAME ("evilexample.com" for "example.com",
            # or another port) has no subdomain any rule can match, as in Flask.
            return _NO_SUBDOMAIN
        return host[: -len(server_name) - 1]

    def _server_name(self, scheme: str) -> str:
        """``SERVER_NAME`` as a request's host compares with it (no default port)."""
        server_name: str = (self.config["SERVER_NAME"] or "").lower()
        default = ":443" if scheme in {"https", "wss"} else ":80"
        if server_name.endswith(default):
            server_name = server_name[: -len(default)]
        return server_name

    def _url_host(
        self, request: Request | None, scheme: str, domain: str, external: bool
    ) -> tuple[str, bool]:
        """``(host, external)`` for a URL to a rule of subdomain (or host) ``domain``.

        A rule of the request's own subdomain (host, under host matching) keeps a
        relative URL; another one gets an absolute URL. NOTE: as in Flask, absolute
        URLs name SERVER_NAME when it is set, even for a request that came in under
        another host.
        """
        host_matching = self.url_map.host_matching
        current = ""
        if request is None:
            host = self.config["SERVER_NAME"] or ""
        else:
            host = (not host_matching and self._server_name(scheme)) or request.host
            if host_matching or self.subdomain_matching:
                current = self._request_domain(request)
        if host_matching:
            if domain and domain != current:
                return domain, True
            return host, external
        if domain != current:
            return (f"{domain}.{host}" if domain else host), True
        return (f"{current}.{host}" if current else host), external

    def check_trusted_host(self, request: Request) -> None:
        """Raise 400 unless the request's host is in ``TRUSTED_HOSTS`` (when set)."""
        trusted = self.config["TRUSTED_HOSTS"]
        if not trusted:
            return
        host = host_without_port(request.host)
        for pattern in trusted:
            pattern = pattern.lower()
            if pattern.startswith("."):
                if host == pattern[1:] or host.endswith(pattern):
                    return
            elif host == pattern:
                return
        raise BadHost(f"Host {request.host!r} is not trusted.")

    def redirect_response(self, ctx: Context, e: RequestRedirect) -> Response:
        """The 308 for a strict-slash or ``redirect_to`` rule, with a safe ``Location``.

        NOTE: the target is made relative to the request path ("./name/"), so a path
        such as ``//evil.example`` can never become a protocol-relative redirect.
        """
        request = ctx.request
        assert request is not None
        target = e.new_url
        # NOTE: the request's path is decoded, the map's target is percent-encoded:
        # compare and join them encoded, and never encode the target twice.
        root = url_quote(request.root_path, safe=_PATH_SAFE)
        location = _relative_location(
            root + url_quote(request.path, safe=_PATH_SAFE), root + target
        )
        query = request.query_string.decode("latin-1")
        if query and "?" not in target:
            location = f"{location}?{query}"
        rv = self.response_class(status=e.code)
        rv.headers.set("Location", iri_to_uri(location))
        return rv

    # -- URLs ----------------------------------------------------------------------------

    def url_for(
        self,
        endpoint: str,
        /,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """The URL for ``endpoint`` with ``values`` (unknown ones become the query).

        ``url_for(".view")`` is relative to the current request's blueprint.
        """
        ctx = _cv_ctx.get(None)
        request = ctx.request if ctx is not None else None
        if request is not None:
            blueprint = request.blueprint
            if endpoint[:1] == ".":
                endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
            scheme = _scheme or request.scheme
            root = request.root_path
        else:
            if endpoint[:1] == ".":
                endpoint = endpoint[1:]
            if _external is None:
                _external = True
            server_name = self.config["SERVER_NAME"]
            if server_name is None and _external:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without"
                    " 'SERVER_NAME' configured. Also configure 'APPLICATION_ROOT' and"
                    " 'PREFERRED_URL_SCHEME' as needed."
                )
            scheme = _scheme or self.config["PREFERRED_URL_SCHEME"]
            root = (self.config["APPLICATION_ROOT"] or "/").rstrip("/")
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            domain, path = self.url_map.build(endpoint, values, _method)
        except BuildError as error:
            values.update(
                _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external
            )
            return self.handle_url_build_error(error, endpoint, values)
        host, _external = self._url_host(request, scheme, domain, _external)
        rv = f"{url_quote(root)}{path}" if root else path
        if _external:
            if self._has_websocket_rules and _scheme is None:
                scheme = _websocket_scheme(self.url_map, endpoint, scheme)
            rv = f"{scheme}://{host}{rv}"
        if _anchor is not None:
            rv = f"{rv}#{url_quote(_anchor, safe=_ANCHOR_SAFE)}"
        return rv

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Let ``url_defaults`` functions fill ``values`` for ``endpoint``."""
        names: tuple[str | None, ...] = (None, *reversed(blueprint_chain(endpoint)))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str:
        """Give ``url_build_error_handlers`` a chance; re-raise if none returns a URL."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        raise error


def _relative_location(current: str, target: str) -> str:
    """A relative reference from path ``current`` to path ``target`` (both
    percent-encoded), such as "./b/"."""
    base_dir = current.rpartition("/")[0] + "/"
    if target.startswith(base_dir):
        return "./" + target[len(base_dir) :]
    return target.replace("//", "/%2F")
