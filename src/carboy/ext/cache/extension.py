"""``Cache``: the configured backend, view caching (``@cache.cached``) and function
results (``@cache.memoize``), for ``def`` and ``async def`` code alike."""

from __future__ import annotations

import functools
import hashlib
import inspect
import logging
import secrets
from collections.abc import Callable, Collection, Hashable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ...bridge import iscoroutinefunction
from ...ctx import _cv_ctx
from .backends import BaseCache, NullCache, RedisCache, SimpleCache

if TYPE_CHECKING:  # pragma: no cover
    from ...app import Carboy
    from ...ctx import Context
    from ...wrappers import Response

__all__ = ["Cache"]

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger("carboy.ext.cache")
_MISS = object()

#: CACHE_TYPE values, with Flask-Caching's class names accepted as ported spellings.
_TYPES = {
    "simple": "simple",
    "simplecache": "simple",
    "redis": "redis",
    "rediscache": "redis",
    "null": "null",
    "nullcache": "null",
}

DEFAULTS: dict[str, Any] = {
    "CACHE_TYPE": "simple",
    "CACHE_DEFAULT_TIMEOUT": 300,
    "CACHE_KEY_PREFIX": "carboy:cache:",
    "CACHE_THRESHOLD": 500,
    "CACHE_REDIS_URL": "redis://127.0.0.1:6379/0",
    "CACHE_SIGNING_KEY": None,
}


def make_backend(config: dict[str, Any]) -> BaseCache:
    """The backend that ``CACHE_*`` settings name."""
    settings = {
        **DEFAULTS,
        **{k: v for k, v in config.items() if k.startswith("CACHE_")},
    }
    kind = settings["CACHE_TYPE"]
    if isinstance(kind, BaseCache):
        return kind
    name = _TYPES.get(str(kind).lower())
    timeout = settings["CACHE_DEFAULT_TIMEOUT"]
    if name == "simple":
        return SimpleCache(timeout, threshold=int(settings["CACHE_THRESHOLD"]))
    if name == "null":
        return NullCache(timeout)
    if name == "redis":
        return RedisCache(
            settings["CACHE_REDIS_URL"],
            signing_key=settings["CACHE_SIGNING_KEY"]
            or config.get("SECRET_KEY")
            or b"",
            default_timeout=timeout,
            key_prefix=settings["CACHE_KEY_PREFIX"],
        )
    raise ValueError(
        f"Unknown CACHE_TYPE {kind!r}: use 'simple' (one process), 'redis' (shared,"
        " with CACHE_REDIS_URL) or 'null' (no caching), or a backend instance."
    )


class Cache:
    """A cache for an app, configured from its ``CACHE_*`` settings::

        cache = Cache(app)              # or Cache() and cache.init_app(app)
        cache.set("answer", 42, timeout=60)

        @app.get("/report")
        @cache.cached(timeout=30)
        def report(): ...

    ``config`` overrides the app's settings for this cache.
    """

    def __init__(
        self, app: Carboy | None = None, config: dict[str, Any] | None = None
    ) -> None:
        self.app = app
        self.config = config or {}
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Carboy, config: dict[str, Any] | None = None) -> None:
        """Make the backend this app's settings (and ``config``) name."""
        merged = {**app.config, **self.config, **(config or {})}
        backends = app.extensions.setdefault("cache", {})
        backends[self] = make_backend(merged)

    # -- the backend ----------------------------------------------------------------

    @property
    def backend(self) -> BaseCache:
        """The backend of the current app (or of the app given to the constructor)."""
        ctx = _cv_ctx.get(None)
        app = ctx.app if ctx is not None else self.app
        if app is None:
            raise RuntimeError(
                "This Cache is not bound to an app here: call it inside an app context"
                " (a request, or 'with app.app_context():'), or pass the app to Cache."
            )
        try:
            return cast(BaseCache, app.extensions["cache"][self])
        except KeyError:
            raise RuntimeError(
                f"The app {app.name!r} has not been set up for this Cache: call"
                " cache.init_app(app)."
            ) from None

    def get(self, key: str, default: Any = None) -> Any:
        """The value under ``key``, or ``default`` when missing or expired."""
        return self.backend.get(key, default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> bool:
        """Store ``value`` for ``timeout`` seconds (the default timeout when None,
        no expiry when 0)."""
        return self.backend.set(key, value, timeout)

    def delete(self, key: str) -> bool:
        """Remove ``key``; whether it was there."""
        return self.backend.delete(key)

    def clear(self) -> bool:
        """Remove every entry of this cache (under its key prefix in Redis)."""
        return self.backend.clear()

    async def get_async(self, key: str, default: Any = None) -> Any:
        return await self.backend.get_async(key, default)

    async def set_async(
        self, key: str, value: Any, timeout: float | None = None
    ) -> bool:
        return await self.backend.set_async(key, value, timeout)

    async def delete_async(self, key: str) -> bool:
        return await self.backend.delete_async(key)

    async def clear_async(self) -> bool:
        return await self.backend.clear_async()

    # -- views ----------------------------------------------------------------------

    def cached(
        self,
        timeout: float | None = None,
        key_prefix: str | Callable[[], str] = "view/%s",
        query_string: bool = True,
        unless: Callable[[], bool] | None = None,
        per_session: bool | Callable[[], Hashable] = False,
        response_filter: Callable[[Response], bool] | None = None,
        methods: Collection[str] = ("GET", "HEAD"),
    ) -> Callable[[F], F]:
        """Cache a view's response (``def`` or ``async def``), put under ``@app.route``::

            @app.get("/news")
            @cache.cached(timeout=60)
            def news(): ...

        The key is ``key_prefix`` (``%s`` is the path) with the host and the query string
        (``query_string=False`` leaves the query out: only for a view that never reads
        ``request.args``), or what a callable ``key_prefix`` returns. ``unless()``
        returning true skips the cache for a request.

        NOTE: a cached response must never reach another user. It is stored only when
        the request's method is in ``methods``, ``response_filter(response)`` is true
        (by default: the status is 200), the body is not streamed, and the response

        - sets no cookie (``Set-Cookie``): replayed, it would hand one visitor's cookie
          to everyone;
        - is not marked ``Cache-Control: no-store`` or ``private``;
        - varies on no request header (``Vary``), and in particular did not touch the
          session (which makes it vary on ``Cookie``), unless ``per_session`` puts the
          session in the key: ``True`` keys on the session cookie, a callable on what
          it returns (``per_session=lambda: session.get("user_id")``).

        A hit replays the stored status, headers and body; ``after_request`` hooks and
        the session still run for it. A cache that fails (Redis down) is logged and
        the view runs uncached.
        """
        allowed = frozenset(m.upper() for m in methods)

        def decorator(view: F) -> F:
            def plan() -> tuple[bool, str | None]:
                ctx = _request_ctx()
                assert ctx.request is not None
                if ctx.request.method not in allowed or (unless and unless()):
                    return False, None
                return True, _view_key(ctx, key_prefix, query_string, per_session)

            def store(key: str, response: Response) -> tuple[Any, ...] | None:
                ok = _storable(_request_ctx(), response, response_filter, per_session)
                return _freeze(response) if ok else None

            if iscoroutinefunction(view):

                @functools.wraps(view)
                async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                    use, key = plan()
                    if not use or key is None:
                        return await view(*args, **kwargs)
                    backend = self.backend
                    hit = await _guard(backend.get_async(key, _MISS), _MISS)
                    if hit is not _MISS:
                        return _thaw(hit)
                    response = _make_response(await view(*args, **kwargs))
                    frozen = store(key, response)
                    if frozen is not None:
                        await _guard(backend.set_async(key, frozen, timeout), False)
                    return response

                return cast(F, async_wrapper)

            @functools.wraps(view)
            def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                use, key = plan()
                if not use or key is None:
                    return view(*args, **kwargs)
                backend = self.backend
                hit = _guard_sync(backend.get, _MISS, key, _MISS)
                if hit is not _MISS:
                    return _thaw(hit)
                response = _make_response(view(*args, **kwargs))
                frozen = store(key, response)
                if frozen is not None:
                    _guard_sync(backend.set, False, key, frozen, timeout)
                return response

            return cast(F, sync_wrapper)

        return decorator

    # -- functions ------------------------------------------------------------------

    def memoize(self, timeout: float | None = None) -> Callable[[F], F]:
        """Cache a function's result per arguments (``def`` or ``async def``)::

            @cache.memoize(timeout=600)
            def price(product_id, currency="EUR"): ...

        ``price(1)`` and ``price(1, currency="EUR")`` share an entry. Arguments are keyed
        by their ``repr``. :meth:`delete_memoized` forgets results.
        """

        def decorator(func: F) -> F:
            name = f"{func.__module__}.{func.__qualname__}"
            signature = inspect.signature(func)

            def key_for(version: str, args: Any, kwargs: Any) -> str:
                bound = signature.bind(*args, **kwargs)
                bound.apply_defaults()
                digest = _digest(repr(sorted(bound.arguments.items())).encode())
                return f"memoize/{name}/{version}/{digest}"

            if iscoroutinefunction(func):

                @functools.wraps(func)
                async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                    backend = self.backend
                    version = await backend.get_async(_version_key(name), "")
                    key = key_for(version, args, kwargs)
                    hit = await backend.get_async(key, _MISS)
                    if hit is not _MISS:
                        return hit[0]
                    value = await func(*args, **kwargs)
                    await backend.set_async(key, (value,), timeout)
                    return value

                wrapper: Callable[..., Any] = async_wrapper
            else:

                @functools.wraps(func)
                def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
                    backend = self.backend
                    key = key_for(backend.get(_version_key(name), ""), args, kwargs)
                    hit = backend.get(key, _MISS)
                    if hit is not _MISS:
                        return hit[0]
                    value = func(*args, **kwargs)
                    backend.set(key, (value,), timeout)
                    return value

                wrapper = sync_wrapper
            wrapper.cache_key_for = key_for  # type: ignore[attr-defined]
            wrapper.cache_name = name  # type: ignore[attr-defined]
            return cast(F, wrapper)

        return decorator

    def delete_memoized(
        self, func: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        """Forget ``func``'s results: all of them, or with arguments, that call's only.
        In Redis this reaches every process (the function's key version changes)."""
        name, key_for = _memoized(func)
        backend = self.backend
        if args or kwargs:
            backend.delete(key_for(backend.get(_version_key(name), ""), args, kwargs))
        else:
            backend.set(_version_key(name), secrets.token_hex(8), 0)

    async def delete_memoized_async(
        self, func: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> None:
        name, key_for = _memoized(func)
        backend = self.backend
        if args or kwargs:
            version = await backend.get_async(_version_key(name), "")
            await backend.delete_async(key_for(version, args, kwargs))
        else:
            await backend.set_async(_version_key(name), secrets.token_hex(8), 0)


# -- helpers ------------------------------------------------------------------------


def _memoized(func: Callable[..., Any]) -> tuple[str, Callable[..., str]]:
    try:
        return func.cache_name, func.cache_key_for  # type: ignore[attr-defined]
    except AttributeError:
        raise TypeError(
            f"{func!r} is not a function decorated with @cache.memoize."
        ) from None


def _version_key(name: str) -> str:
    return f"memoize-version/{name}"


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _request_ctx() -> Context:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError("@cache.cached decorates views: it needs a request.")
    return ctx


def _view_key(
    ctx: Context,
    key_prefix: str | Callable[[], str],
    query_string: bool,
    per_session: bool | Callable[[], Hashable],
) -> str:
    request = ctx.request
    assert request is not None
    if callable(key_prefix):
        key = str(key_prefix())
    else:
        key = key_prefix % request.path if "%s" in key_prefix else key_prefix
        # NOTE: the host is part of the key: a page that builds links from a forged
        # Host header is then cached only for requests that forge the same header.
        key = f"{key}|{request.host}"
        if query_string:
            key = f"{key}|{_digest(request.query_string)}"
    if per_session is True:
        name = ctx.app.config["SESSION_COOKIE_NAME"]
        cookie = request.cookies.get(name, "")
        key = f"{key}|s={_digest(cookie.encode('utf-8', 'surrogateescape'))}"
    elif callable(per_session):
        key = f"{key}|u={_digest(repr(per_session()).encode())}"
    return key


def _make_response(rv: Any) -> Response:
    ctx = _cv_ctx.get()
    return ctx.app.make_response(rv)


def _storable(
    ctx: Context,
    response: Response,
    response_filter: Callable[[Response], bool] | None,
    per_session: bool | Callable[[], Hashable],
) -> bool:
    if response_filter is not None:
        if not response_filter(response):
            return False
    elif response.status_code != 200:
        return False
    headers = response.headers
    if response.is_streamed or "Set-Cookie" in headers:
        return False
    control = {
        part.strip().split("=", 1)[0].lower()
        for part in headers.get("Cache-Control", "").split(",")
    }
    if "no-store" in control or "private" in control:
        return False
    session = ctx._session
    varies = {
        part.strip().lower()
        for part in headers.get("Vary", "").split(",")
        if part.strip()
    }
    if session is not None and session.accessed:
        varies.add("cookie")
    if per_session:
        varies.discard("cookie")
    return not varies


def _freeze(response: Response) -> tuple[Any, ...]:
    return (response.status_code, list(response.headers.items()), response.get_data())


def _thaw(frozen: tuple[Any, ...]) -> Response:
    status, headers, body = frozen
    ctx = _cv_ctx.get()
    return ctx.app.response_class(body, status, headers)


def _guard_sync(call: Callable[..., Any], fallback: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except Exception:  # a cache outage must not take the view down
        logger.warning("Cache call failed; serving uncached.", exc_info=True)
        return fallback


async def _guard(awaitable: Any, fallback: Any) -> Any:
    try:
        return await awaitable
    except Exception:  # a cache outage must not take the view down
        logger.warning("Cache call failed; serving uncached.", exc_info=True)
        return fallback
