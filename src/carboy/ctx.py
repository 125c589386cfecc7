"""One context object per request (or per ``app.app_context()``), held in a contextvar.

A request sets the context variable once and resets it once; ``request``, ``g``,
``session`` and ``current_app`` all read that one object. Because it is a
``contextvars.ContextVar``, it is correct in threads and in asyncio tasks alike.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from functools import update_wrapper
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from . import signals

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Request
    from .sessions import SessionMixin

F = TypeVar("F", bound=Callable[..., Any])

_cv_ctx: contextvars.ContextVar[Context] = contextvars.ContextVar("carboy.ctx")
_MISSING: Any = object()


class _AppCtxGlobals:
    """The ``g`` namespace: a plain object for data during one request or app context."""

    def get(self, name: str, default: Any = None) -> Any:
        """``g.name`` or ``default``."""
        return self.__dict__.get(name, default)

    def pop(self, name: str, default: Any = _MISSING) -> Any:
        if default is _MISSING:
            return self.__dict__.pop(name)
        return self.__dict__.pop(name, default)

    def setdefault(self, name: str, default: Any = None) -> Any:
        return self.__dict__.setdefault(name, default)

    def __contains__(self, item: str) -> bool:
        return item in self.__dict__

    def __iter__(self) -> Iterator[str]:
        return iter(self.__dict__)

    def __repr__(self) -> str:
        ctx = _cv_ctx.get(None)
        if ctx is not None:
            return f"<carboy.g of {ctx.app.name!r}>"
        return object.__repr__(self)


class Context:
    """The state of one request (``request`` set) or one app context (``request`` None)."""

    __slots__ = (
        "app",
        "request",
        "_g",
        "_session",
        "url_adapter",
        "flashes",
        "_after_request_functions",
        "error",
        "_tokens",
        "_pushes",
        "_preserved",
    )

    def __init__(self, app: Carboy, request: Request | None = None) -> None:
        self.app = app
        self.request = request
        self._g: Any = None
        self._session: SessionMixin | None = None
        self.url_adapter: Any = None
        self.flashes: list[tuple[str, str]] | None = None
        self._after_request_functions: list[Callable[..., Any]] | None = None
        #: The unhandled exception answered with a 500, passed on to teardown.
        self.error: BaseException | None = None
        self._tokens: list[contextvars.Token[Context]] = []
        self._pushes = 0
        self._preserved = False

    @property
    def g(self) -> Any:
        """The ``g`` namespace of this context, created on first use."""
        g = self._g
        if g is None:
            g = self._g = self.app.app_ctx_globals_class()
        return g

    @g.setter
    def g(self, value: Any) -> None:
        self._g = value

    @property
    def session(self) -> SessionMixin:
        """The session, opened from the request's cookie on first use."""
        session = self._session
        if session is None:
            session = self._session = self.app._open_session(self)
        return session

    @session.setter
    def session(self, value: SessionMixin) -> None:
        self._session = value

    @property
    def session_accessed(self) -> bool:
        return self._session is not None

    def push(self) -> None:
        """Make this the current context (also done by ``with ctx:``)."""
        self._tokens.append(_cv_ctx.set(self))
        if self.request is None and signals.appcontext_pushed.receivers:
            signals.appcontext_pushed.send(
                self.app, _async_wrapper=self.app.ensure_sync
            )

    def pop(self, exc: BaseException | None = _MISSING) -> None:
        """Run teardown functions (on the last pop) and restore the previous context."""
        if not self._tokens:
            raise RuntimeError("Popped a context that was not pushed.")
        try:
            if len(self._tokens) == 1:
                if exc is _MISSING:
                    exc = None
                self.app._teardown(self, exc)
        finally:
            token = self._tokens.pop()
            _cv_ctx.reset(token)
            if self.request is None and signals.appcontext_popped.receivers:
                signals.appcontext_popped.send(
                    self.app, _async_wrapper=self.app.ensure_sync
                )

    def __enter__(self) -> Context:
        self.push()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.pop(exc)

    def copy(self) -> Context:
        """A context for the same app, request and session (for another thread)."""
        ctx = Context(self.app, self.request)
        ctx._g = self.g
        ctx._session = self._session
        ctx.flashes = self.flashes
        return ctx

    def __repr__(self) -> str:
        if self.request is not None:
            return f"<RequestContext {self.request.url!r} of {self.app.name!r}>"
        return f"<AppContext of {self.app.name!r}>"


# Flask's names for the two roles the one context plays.
AppContext = Context
RequestContext = Context


def enter(ctx: Context) -> contextvars.Token[Context]:
    """Make a request's context current (the adapters' one set per request)."""
    token = _cv_ctx.set(ctx)
    if signals.appcontext_pushed.receivers:
        signals.appcontext_pushed.send(ctx.app, _async_wrapper=ctx.app.ensure_sync)
    return token


def leave(ctx: Context, token: contextvars.Token[Context]) -> None:
    """Restore the context that was current before :func:`enter`."""
    _cv_ctx.reset(token)
    if signals.appcontext_popped.receivers:
        signals.appcontext_popped.send(ctx.app, _async_wrapper=ctx.app.ensure_sync)


def has_request_context() -> bool:
    """Whether code runs during a request (``request`` is usable)."""
    ctx = _cv_ctx.get(None)
    return ctx is not None and ctx.request is not None


def has_app_context() -> bool:
    """Whether an application context is active (``current_app`` is usable)."""
    return _cv_ctx.get(None) is not None


def after_this_request(f: F) -> F:
    """Run ``f(response)`` after the current request, before ``after_request`` hooks.

    ::

        @app.get("/")
        def index():
            @after_this_request
            def add_header(response):
                response.headers["X-Foo"] = "Parachute"
                return response
            return "Hello"
    """
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'after_this_request' can only be used when a request context is active,"
            " such as in a view function."
        )
    if ctx._after_request_functions is None:
        ctx._after_request_functions = []
    ctx._after_request_functions.append(f)
    return f


def copy_current_request_context(f: F) -> F:
    """Wrap ``f`` so it runs in a copy of the current request's context.

    Use it for a function handed to a thread or a greenlet that needs ``request``.
    """
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'copy_current_request_context' can only be used when a request context is"
            " active, such as in a view function."
        )
    copy = ctx.copy()

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        token = _cv_ctx.set(copy)
        try:
            return ctx.app.ensure_sync(f)(*args, **kwargs)
        finally:
            _cv_ctx.reset(token)

    return update_wrapper(wrapper, f)  # type: ignore[return-value]
