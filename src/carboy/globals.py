"""The user-facing proxies: ``request``, ``g``, ``session`` and ``current_app``.

Each reads the current :class:`~carboy.ctx.Context` at the moment it is used. Inside the
framework, code passes the context explicitly; only user-facing helpers use these.
"""

from __future__ import annotations

import contextvars
import operator
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .ctx import Context, _cv_ctx

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy
    from .ctx import _AppCtxGlobals
    from .sansio.request import Request
    from .sessions import SessionMixin
    from .websockets import WebSocket

_NO_APP = """\
Working outside of application context.

This typically means that you attempted to use functionality that needed the current
application. To solve this, set up an application context with app.app_context(). See
the documentation for more information."""

_NO_REQUEST = """\
Working outside of request context.

This typically means that you attempted to use functionality that needed an active HTTP
request. Use it inside a view function or a hook, or set up a request context with
app.test_request_context() in tests."""


def _ctx() -> Context:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx


def _request_ctx() -> Context:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(_NO_REQUEST)
    return ctx


# PERF: each getter reads the context variable itself (one call per proxy access).


def _get_app() -> Any:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx.app


def _get_g() -> Any:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(_NO_APP)
    return ctx.g


def _get_request() -> Any:
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(_NO_REQUEST)
    return ctx.request


def _get_session() -> Any:
    return _request_ctx().session


#: The WebSocket connection a handler serves (set by the ASGI adapter, per connection).
_cv_websocket: contextvars.ContextVar[Any] = contextvars.ContextVar("carboy.websockets")

_NO_WEBSOCKET = """\
Working outside of WebSocket context.

'websocket' is only usable inside a WebSocket handler (@app.websocket) or its
before_websocket/after_websocket hooks, under an ASGI server or client.websocket()."""


def _get_websocket() -> Any:
    ws = _cv_websocket.get(None)
    if ws is None:
        raise RuntimeError(_NO_WEBSOCKET)
    return ws


#: Attributes that belong to the proxy itself rather than to the object behind it.
_OWN = frozenset(
    {"_get", "_name", "__wrapped__", "_get_current_object", "__class__", "__dict__"}
)


def _forward(op: Callable[..., Any]) -> Callable[..., Any]:
    def method(self: LocalProxy, *args: Any) -> Any:
        return op(object.__getattribute__(self, "_get")(), *args)

    return method


class LocalProxy:
    """Forwards every operation to the object that ``get()`` returns right now."""

    __slots__ = ("_get", "_name")

    def __init__(self, get: Callable[[], Any], name: str) -> None:
        object.__setattr__(self, "_get", get)
        object.__setattr__(self, "_name", name)

    def _get_current_object(self) -> Any:
        """The real object behind the proxy (to pass it to another thread, say)."""
        return object.__getattribute__(self, "_get")()

    def __getattribute__(self, name: str) -> Any:
        # PERF: forwarding here, not in __getattr__, skips a failed lookup on the proxy.
        if name in _OWN:
            if name == "__class__":
                try:
                    return object.__getattribute__(self, "_get")().__class__
                except RuntimeError:
                    return LocalProxy
            if name == "__wrapped__":
                # NOTE: inspect.unwrap() follows this: the object behind the proxy
                # now, and no such attribute while unbound (unwrap stops here).
                try:
                    return object.__getattribute__(self, "_get")()
                except RuntimeError:
                    raise AttributeError("__wrapped__") from None
            return object.__getattribute__(self, name)
        return getattr(object.__getattribute__(self, "_get")(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(object.__getattribute__(self, "_get")(), name, value)

    def __delattr__(self, name: str) -> None:
        delattr(object.__getattribute__(self, "_get")(), name)

    def __repr__(self) -> str:
        try:
            return repr(object.__getattribute__(self, "_get")())
        except RuntimeError:
            return f"<LocalProxy unbound: {object.__getattribute__(self, '_name')}>"

    def __bool__(self) -> bool:
        try:
            return bool(object.__getattribute__(self, "_get")())
        except RuntimeError:
            return False

    def __dir__(self) -> list[str]:
        try:
            return dir(object.__getattribute__(self, "_get")())
        except RuntimeError:
            return []

    __str__ = _forward(str)
    __getitem__ = _forward(operator.getitem)
    __setitem__ = _forward(operator.setitem)
    __delitem__ = _forward(operator.delitem)
    __contains__ = _forward(operator.contains)
    __len__ = _forward(len)
    __iter__ = _forward(iter)
    __aiter__ = _forward(operator.methodcaller("__aiter__"))
    __eq__ = _forward(operator.eq)
    __ne__ = _forward(operator.ne)
    __hash__ = _forward(hash)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return object.__getattribute__(self, "_get")()(*args, **kwargs)


_current_ctx = _cv_ctx.get


class _ContextProxy(LocalProxy):
    """A proxy to one attribute of the current context (``_field``).

    PERF: ``request.args`` is the most common expression in a view; the object behind
    the proxy is read here, with no call of the proxy's getter function. Anything out
    of the ordinary (no context, no request, the proxy's own names) goes the general
    way, which raises the usual errors.
    """

    __slots__ = ()
    _field = ""

    def __getattribute__(self, name: str) -> Any:
        ctx = _current_ctx(None)
        if ctx is not None and name not in _OWN:
            target = getattr(ctx, type(self)._field)
            if target is not None:
                return getattr(target, name)
        return LocalProxy.__getattribute__(self, name)


class _AppProxy(_ContextProxy):
    __slots__ = ()
    _field = "app"


class _GProxy(_ContextProxy):
    __slots__ = ()
    _field = "g"


class _RequestProxy(_ContextProxy):
    __slots__ = ()
    _field = "request"


current_app: Carboy = cast("Carboy", _AppProxy(_get_app, "current_app"))
g: _AppCtxGlobals = cast("_AppCtxGlobals", _GProxy(_get_g, "g"))
request: Request = cast("Request", _RequestProxy(_get_request, "request"))
session: SessionMixin = cast("SessionMixin", LocalProxy(_get_session, "session"))
websocket: WebSocket = cast("WebSocket", LocalProxy(_get_websocket, "websocket"))
