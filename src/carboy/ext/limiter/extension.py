"""``Limiter``: which limits apply to a request, counting it, and the 429 and
``RateLimit-*`` headers."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from ...ctx import _cv_ctx
from ...exceptions import TooManyRequests
from ...globals import g, request
from .limits import RateLimit, parse_limits
from .storage import STRATEGIES, LimitState, MemoryStorage, RedisStorage, Storage

if TYPE_CHECKING:  # pragma: no cover
    from ...app import Carboy
    from ...wrappers import Response

__all__ = ["Limiter", "get_remote_address"]

T = TypeVar("T")
logger = logging.getLogger("carboy.ext.limiter")
_STATE = "_carboy_rate_limit"

#: A limit as written: ``"5/minute;100/hour"``, or a function that returns one.
LimitValue = str | Callable[[], str]


def get_remote_address() -> str:
    """The client's address, ``request.remote_addr``: the socket peer, or what
    :class:`~carboy.middleware.proxy_fix.ProxyFix` established from the headers of the
    proxies you trust. A raw ``X-Forwarded-For`` header is never read here: any client
    can send one, and a limit keyed on it is a limit the client picks."""
    return request.remote_addr or "127.0.0.1"


@dataclass(frozen=True)
class LimitGroup:
    """Limits declared together (one decorator, or the defaults), with their options."""

    value: LimitValue
    key_func: Callable[[], str] | None = None
    scope: str | None = None
    exempt_when: Callable[[], bool] | None = None
    methods: frozenset[str] | None = None

    def limits(self) -> tuple[RateLimit, ...]:
        value = self.value() if callable(self.value) else self.value
        return parse_limits(value)


@dataclass
class _AppState:
    storage: Storage
    strategy: str
    headers: bool
    prefix: str
    enabled: bool
    swallow_errors: bool
    defaults: list[LimitGroup] = field(default_factory=list)


def make_storage(uri: str) -> Storage:
    """The storage a ``RATELIMIT_STORAGE_URI`` names: ``memory://`` or a Redis URL."""
    scheme = uri.partition("://")[0].lower()
    if scheme == "memory":
        return MemoryStorage()
    if scheme in {"redis", "rediss", "unix"}:
        return RedisStorage(uri)
    raise ValueError(
        f"Unknown RATELIMIT_STORAGE_URI {uri!r}: use 'memory://' (one process) or a"
        " Redis URL such as 'redis://127.0.0.1:6379/0' (shared by every instance)."
    )


class Limiter:
    """Rate limits for an app::

        limiter = Limiter(app, key_func=get_remote_address, default_limits=["200/minute"])

        @app.post("/login")
        @limiter.limit("5/minute;100/hour")
        def login(): ...

    ``default_limits`` apply to every view that has no limit of its own (nor of its
    blueprint), counted per view. Settings: ``RATELIMIT_STORAGE_URI`` (``memory://``, or
    Redis), ``RATELIMIT_STRATEGY`` (``"sliding-window"``, the default, or
    ``"fixed-window"``), ``RATELIMIT_HEADERS_ENABLED`` (``RateLimit-*`` on every limited
    response, default on), ``RATELIMIT_ENABLED``, ``RATELIMIT_KEY_PREFIX``,
    ``RATELIMIT_DEFAULT`` and ``RATELIMIT_SWALLOW_ERRORS`` (let requests through,
    logging, when the storage fails; default off: a 500).
    """

    def __init__(
        self,
        app: Carboy | Callable[[], str] | None = None,
        key_func: Callable[[], str] | None = None,
        default_limits: Iterable[LimitValue] = (),
        storage_uri: str | None = None,
        strategy: str | None = None,
        headers_enabled: bool | None = None,
        key_prefix: str | None = None,
    ) -> None:
        if app is not None and not hasattr(app, "extensions"):
            # Flask-Limiter 3's order, Limiter(key_func, app=app): a port keeps working.
            key_func, app = app, None
        self.key_func: Callable[[], str] = key_func or get_remote_address
        self.default_limits = [LimitGroup(v) for v in default_limits]
        self._options = {
            "RATELIMIT_STORAGE_URI": storage_uri,
            "RATELIMIT_STRATEGY": strategy,
            "RATELIMIT_HEADERS_ENABLED": headers_enabled,
            "RATELIMIT_KEY_PREFIX": key_prefix,
        }
        self._route_limits: dict[Callable[..., Any], list[LimitGroup]] = {}
        self._blueprint_limits: dict[Any, list[LimitGroup]] = {}
        self._exempt: set[Any] = set()
        if app is not None:
            self.init_app(app)  # type: ignore[arg-type]

    def init_app(self, app: Carboy) -> None:
        """Check limits before each request's view, add headers after it."""
        state = self._state_for(app)
        app.extensions.setdefault("limiter", {})[self] = state
        storage = state.storage

        # PERF: Redis is checked with redis.asyncio from an async hook (no thread held
        # waiting under ASGI); the in-memory counters from a plain one.
        if isinstance(storage, RedisStorage):

            async def check_async() -> None:
                entries = self._entries(state)
                if entries:
                    try:
                        states = await state.storage.hit_async(entries, state.strategy)
                    except Exception as e:
                        states = self._storage_failed(state, e)
                    self._decide(state, states)

            app.before_request(check_async)
        else:

            def check() -> None:
                entries = self._entries(state)
                if entries:
                    try:
                        states = state.storage.hit(entries, state.strategy)
                    except Exception as e:
                        states = self._storage_failed(state, e)
                    self._decide(state, states)

            app.before_request(check)

        def add_headers(response: Response) -> Response:
            return self._add_headers(state, response)

        app.after_request(add_headers)

    def _state_for(self, app: Carboy) -> _AppState:
        config = app.config

        def setting(name: str, default: Any) -> Any:
            value = self._options.get(name)
            return config.get(name, default) if value is None else value

        strategy = setting("RATELIMIT_STRATEGY", "sliding-window")
        if strategy == "sliding-window-counter":
            strategy = "sliding-window"
        if strategy not in STRATEGIES:
            raise ValueError(
                f"Unknown RATELIMIT_STRATEGY {strategy!r}: use 'sliding-window' (the"
                " default) or 'fixed-window'."
            )
        defaults = list(self.default_limits)
        if not defaults and config.get("RATELIMIT_DEFAULT"):
            defaults = [LimitGroup(config["RATELIMIT_DEFAULT"])]
        for group in defaults:
            if not callable(group.value):
                parse_limits(group.value)  # a typo fails at startup, not per request
        return _AppState(
            storage=make_storage(setting("RATELIMIT_STORAGE_URI", "memory://")),
            strategy=strategy,
            headers=bool(setting("RATELIMIT_HEADERS_ENABLED", True)),
            prefix=str(setting("RATELIMIT_KEY_PREFIX", "carboy:limit:")),
            enabled=bool(config.get("RATELIMIT_ENABLED", True)),
            swallow_errors=bool(config.get("RATELIMIT_SWALLOW_ERRORS", False)),
            defaults=defaults,
        )

    # -- declaring limits -------------------------------------------------------------

    def limit(
        self,
        limit_value: LimitValue,
        key_func: Callable[[], str] | None = None,
        scope: str | None = None,
        exempt_when: Callable[[], bool] | None = None,
        methods: Iterable[str] | None = None,
    ) -> Callable[[T], T]:
        """Limit a view (under or over ``@app.route``) or a whole blueprint::

            @app.get("/search")
            @limiter.limit("10/minute;1000/day")
            def search(): ...

            limiter.limit("100/minute")(api_blueprint)

        These limits replace the defaults for that view (or blueprint). A view's limits
        count per view, a blueprint's across all its views. ``key_func`` keys these
        limits on something else than the client's address (a user id); ``scope``
        names a counter that several views share; ``exempt_when()`` returning true
        skips them; ``methods`` limits only those methods. A callable ``limit_value``
        is read at each request (from the config, say).
        """
        if not callable(limit_value):
            parse_limits(limit_value)  # a typo fails at import time
        group = LimitGroup(
            limit_value,
            key_func,
            scope,
            exempt_when,
            frozenset(m.upper() for m in methods) if methods is not None else None,
        )

        def decorator(target: T) -> T:
            if _is_blueprint(target):
                self._blueprint_limits.setdefault(target, []).append(group)
            else:
                self._route_limits.setdefault(target, []).append(group)  # type: ignore[arg-type]
            return target

        return decorator

    def exempt(self, target: T) -> T:
        """No limit (default or blueprint) applies to this view or blueprint."""
        self._exempt.add(target)
        return target

    def reset(self) -> None:
        """Forget this limiter's counters (tests call it): those in memory, or its
        keys (``RATELIMIT_KEY_PREFIX``) in Redis."""
        ctx = _cv_ctx.get(None)
        if ctx is None:
            raise RuntimeError("limiter.reset() needs an app context.")
        state = ctx.app.extensions["limiter"][self]
        state.storage.clear(state.prefix)

    # -- at request time ----------------------------------------------------------------

    def _groups(self, state: _AppState) -> tuple[str, list[LimitGroup]] | None:
        """The scope name and the limit groups that apply to the current request."""
        ctx = _cv_ctx.get()
        assert ctx.request is not None
        endpoint = ctx.request.endpoint
        if endpoint is None:
            return None
        view = ctx.app.view_functions.get(endpoint)
        if view in self._exempt:
            return None
        groups = self._route_limits.get(view) if view is not None else None
        if groups:
            return endpoint, groups
        for name in ctx.request.blueprints:
            blueprint = ctx.app.blueprints.get(name)
            if blueprint in self._exempt:
                return None
            groups = self._blueprint_limits.get(blueprint)
            if groups:
                return f"blueprint:{name}", groups
        return endpoint, state.defaults

    def _entries(self, state: _AppState) -> list[tuple[str, RateLimit]]:
        if not state.enabled:
            return []
        found = self._groups(state)
        if found is None:
            return []
        scope, groups = found
        method = request.method
        entries = []
        for group in groups:
            if group.methods is not None and method not in group.methods:
                continue
            if group.exempt_when is not None and group.exempt_when():
                continue
            who = (group.key_func or self.key_func)()
            name = group.scope or scope
            for limit in group.limits():
                entries.append((f"{state.prefix}{name}/{limit.key}/{who}", limit))
        return entries

    def _storage_failed(self, state: _AppState, error: Exception) -> list[LimitState]:
        if not state.swallow_errors:
            raise error
        logger.warning(
            "Rate limit storage failed; request let through.", exc_info=error
        )
        return []

    def _decide(self, state: _AppState, states: list[LimitState]) -> None:
        if not states:
            return
        denied = [s for s in states if not s.allowed]
        if denied:
            shown = max(denied, key=lambda s: s.retry_after)
        else:
            shown = min(states, key=lambda s: (s.remaining, -s.reset))
        setattr(g, _STATE, shown)  # noqa: B010
        if denied:
            raise TooManyRequests(
                f"Rate limit exceeded: {shown.limit}.",
                retry_after=math.ceil(shown.retry_after),
            )

    def _add_headers(self, state: _AppState, response: Response) -> Response:
        # PERF: a request no limit applied to made no ``g``; don't make one to look.
        if _cv_ctx.get()._g is None:
            return response
        shown: LimitState | None = g.get(_STATE)
        if shown is None:
            return response
        headers = response.headers
        if state.headers:
            headers.set("RateLimit-Limit", str(shown.limit.amount))
            headers.set("RateLimit-Remaining", str(shown.remaining))
            headers.set("RateLimit-Reset", str(math.ceil(shown.reset)))
        if not shown.allowed and "Retry-After" not in headers:
            # NOTE: an app's own 429 handler built this response; RFC 6585 asks for it.
            headers.set("Retry-After", str(math.ceil(shown.retry_after)))
        return response


def _is_blueprint(target: Any) -> bool:
    from ...blueprints import Blueprint

    return isinstance(target, Blueprint)
