"""The application's request handling: how user functions are called (sync or async),
which hooks and error handlers apply, teardown, logging and sessions."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, cast

from . import signals
from .bridge import AsyncFlags, call_sync, ensure_sync, run_sync
from .ctx import _cv_ctx
from .dispatch import (
    Hooks,
    blueprint_chain,
    collect_hooks,
    drive_sync,
    is_http_exception,
    teardown,
)

if TYPE_CHECKING:  # pragma: no cover
    import logging

    from .app import Carboy
    from .ctx import Context
    from .routing import Map
    from .scaffold import ErrorHandlers
    from .sessions import SessionInterface, SessionMixin
    from .wrappers import Request, Response

ExcInfo = (
    tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]
)


class Requests:
    """Running a request's user functions; a part of :class:`carboy.Carboy`."""

    _async_flags: AsyncFlags
    _got_first_request: bool
    view_functions: dict[str, Callable[..., Any]]
    before_request_funcs: dict[str | None, list[Callable[..., Any]]]
    after_request_funcs: dict[str | None, list[Callable[..., Any]]]
    teardown_request_funcs: dict[str | None, list[Callable[..., Any]]]
    url_value_preprocessors: dict[str | None, list[Callable[..., Any]]]
    teardown_appcontext_funcs: list[Callable[..., Any]]
    _hooks_cache: dict[str | None, Hooks]
    _session_interface: SessionInterface | None
    error_handler_spec: ErrorHandlers
    url_map: Map
    response_class: type[Response]
    teardown_appcontext_funcs: list[Callable[..., Any]]

    if TYPE_CHECKING:  # pragma: no cover

        @property
        def _domain_matching(self) -> bool: ...

        @property
        def logger(self) -> logging.Logger: ...

        def _request_domain(self, request: Request) -> str: ...

    # -- sync and async --------------------------------------------------------------------

    def is_async(self, func: Callable[..., Any]) -> bool:
        """Whether calling ``func`` gives a coroutine (remembered per function)."""
        return self._async_flags(func)

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` as a plain callable: an ``async def`` one is run to completion."""
        return ensure_sync(func, self._async_flags)

    def async_to_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """A plain callable that runs coroutine function ``func`` to completion."""

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return run_sync(func(*args, **kwargs))

        return wrapper

    # -- requests ----------------------------------------------------------------------

    def _hooks_for(self, request: Request) -> Hooks:
        rule = request.url_rule
        endpoint = rule.endpoint if rule is not None else None
        hooks = self._hooks_cache.get(endpoint)
        if hooks is None:
            hooks = collect_hooks(cast("Carboy", self), blueprint_chain(endpoint))
            # NOTE: until the first request the registries may still change (setup
            # methods, or extensions appending to them in init_app): nothing is kept.
            if self._got_first_request:
                self._hooks_cache[endpoint] = hooks
        return hooks

    def _start(self) -> None:
        """Freeze the setup at the first request (or ASGI lifespan startup): from now
        on each endpoint's hooks are computed once, every registered function's kind
        (``def`` or ``async def``) is known, and setup methods raise."""
        self._got_first_request = True
        self._hooks_cache.clear()
        self._async_flags.freeze(self._registered_functions())

    def _registered_functions(self) -> list[Callable[..., Any]]:
        funcs: list[Callable[..., Any]] = list(self.view_functions.values())
        for spec in (
            self.before_request_funcs,
            self.after_request_funcs,
            self.teardown_request_funcs,
            self.url_value_preprocessors,
        ):
            for found in spec.values():
                funcs.extend(found)
        for by_code in self.error_handler_spec.values():
            for handlers in by_code.values():
                funcs.extend(handlers.values())
        funcs.extend(self.teardown_appcontext_funcs)
        return funcs

    def _find_error_handler(
        self, e: BaseException, ctx: Context
    ) -> Callable[..., Any] | None:
        spec = self.error_handler_spec
        if not spec:  # PERF: no handlers registered at all
            return None
        code = getattr(e, "code", None) if is_http_exception(e) else None
        request = ctx.request
        names: tuple[str | None, ...] = (
            (*blueprint_chain(request.endpoint), None)
            if request is not None
            else (None,)
        )
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = spec.get(name, {}).get(c)
                if not handler_map:
                    continue
                for cls in type(e).__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def log_exception(self, ctx: Context, exc_info: ExcInfo) -> None:
        """Log an unhandled exception with its traceback (the path is escaped)."""
        request = ctx.request
        where = ""
        if request is not None:
            path = request.path.encode("unicode_escape").decode("ascii")
            where = f" on {path} [{request.method}]"
        self.logger.error("Exception%s", where, exc_info=exc_info)

    def make_default_options_response(self, ctx: Context) -> Response:
        """The automatic ``OPTIONS`` answer: empty, with ``Allow``."""
        request = ctx.request
        assert request is not None
        domain = self._request_domain(request) if self._domain_matching else ""
        methods = self.url_map.allowed_methods(request.path, domain)
        rv = self.response_class()
        rv.headers.set("Allow", ", ".join(sorted(methods)))
        return rv

    def _teardown(self, ctx: Context, exc: BaseException | None) -> None:
        drive_sync(teardown(ctx.app, ctx, exc), self._call_sync)

    def _call_sync(self, step: Any) -> Any:
        return call_sync(step)

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run the current request's ``teardown_request`` functions now (and send
        ``request_tearing_down``), as Flask's does; the app context's teardown
        functions are :meth:`do_teardown_appcontext`'s."""
        ctx = _cv_ctx.get()
        if exc is None:
            exc = ctx.error
        request = ctx.request
        if request is None:
            return
        for func in self._hooks_for(request).teardown_request:
            self._call_sync((func, (exc,), None))
        if signals.request_tearing_down.receivers:
            signals.request_tearing_down.send(
                self, _async_wrapper=self.ensure_sync, exc=exc
            )

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions now (and send
        ``appcontext_tearing_down``), as Flask's does."""
        ctx = _cv_ctx.get(None)
        if exc is None and ctx is not None:
            exc = ctx.error
        for func in reversed(self.teardown_appcontext_funcs):
            self._call_sync((func, (exc,), None))
        if signals.appcontext_tearing_down.receivers:
            signals.appcontext_tearing_down.send(
                self, _async_wrapper=self.ensure_sync, exc=exc
            )

    # -- sessions ----------------------------------------------------------------------

    @property
    def session_interface(self) -> SessionInterface:
        """How sessions are loaded and saved (signed cookies by default)."""
        if self._session_interface is None:
            from .sessions import SecureCookieSessionInterface

            self._session_interface = SecureCookieSessionInterface()
        return self._session_interface

    @session_interface.setter
    def session_interface(self, value: SessionInterface) -> None:
        self._session_interface = value

    def _open_session(self, ctx: Context) -> SessionMixin:
        """The request's session, opened through the bridge (``open_session`` may be
        ``async def``); a null session when the interface gives none."""
        interface = self.session_interface
        session = None
        if ctx.request is not None:
            session = call_sync((interface.open_session, (ctx.app, ctx.request), None))
        if session is None:
            session = interface.make_null_session(ctx.app)
        return session
