"""The application's request handling: how user functions are called (sync or async),
which hooks and error handlers apply, teardown, logging and sessions."""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, cast

from . import signals
from .bridge import AsyncFlags, call_sync, ensure_sync, run_sync
from .ctx import _cv_ctx
from .dispatch import (
    Hooks,
    blueprint_chain,
    collect_hooks,
    drive_sync,
    handle_http_exception,
    handle_user_exception,
    is_http_exception,
    preprocess,
    process_response,
    send,
    teardown,
    teardown_appcontext,
    teardown_request,
)
from .exceptions import InternalServerError

if TYPE_CHECKING:  # pragma: no cover
    import logging

    from .app import Carboy
    from .config import Config
    from .ctx import Context
    from .exceptions import HTTPException
    from .routing import Map
    from .scaffold import ErrorHandlers
    from .sessions import SessionInterface, SessionMixin
    from .wrappers import Request, Response

ExcInfo = (
    tuple[type[BaseException], BaseException, TracebackType | None]
    | tuple[None, None, None]
)


#: Flask's methods that carry a request from matching to its response.
_DISPATCH = (
    "full_dispatch_request",
    "preprocess_request",
    "dispatch_request",
    "finalize_request",
    "process_response",
    "handle_user_exception",
    "handle_http_exception",
    "handle_exception",
)
_TEARDOWN = ("do_teardown_request", "do_teardown_appcontext")


class Requests:
    """Running a request's user functions; a part of :class:`carboy.Carboy`."""

    #: Whether the class overrides a method of ``_DISPATCH`` (or ``_TEARDOWN``).
    _custom_dispatch = False
    _custom_teardown = False

    _async_flags: AsyncFlags
    _sync_to_thread: dict[str, bool]
    _got_first_request: bool
    _start_funcs: list[Callable[[Carboy], None]]
    config: Config
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

    if TYPE_CHECKING:  # pragma: no cover

        @property
        def _domain_matching(self) -> bool: ...

        @property
        def logger(self) -> logging.Logger: ...

        def _request_domain(self, request: Request) -> str: ...

        def make_response(self, rv: Any) -> Response: ...

        @property
        def propagate_exceptions(self) -> bool: ...

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
        for func in self._start_funcs:
            func(cast("Carboy", self))
        self._got_first_request = True
        self._hooks_cache.clear()
        funcs = self._registered_functions()
        self._async_flags.freeze(funcs, self._on_loop(funcs))

    def _on_loop(self, funcs: list[Callable[..., Any]]) -> set[Callable[..., Any]]:
        """The functions declared non-blocking: every one when ``SYNC_TO_THREAD`` is
        ``False``, then each view as its route's option (or its own
        ``sync_to_thread`` attribute) says."""
        on_loop = set() if self.config.get("SYNC_TO_THREAD", True) else set(funcs)
        for endpoint, view in self.view_functions.items():
            choice = self._sync_to_thread.get(endpoint)
            if choice is None:
                choice = getattr(view, "sync_to_thread", None)
            if choice is True:
                on_loop.discard(view)
            elif choice is False:
                on_loop.add(view)
        return on_loop

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

    # -- Flask's request methods -------------------------------------------------------
    #
    # Extensions and apps subclass Carboy and override these. The runtime calls them
    # where Flask does when one of them is overridden (the class sets
    # ``_custom_dispatch`` or ``_custom_teardown``); otherwise it runs the same steps
    # from carboy.dispatch without the method calls. Each runs user functions through
    # carboy.bridge.call_sync: under ASGI they run in a worker thread.

    def full_dispatch_request(self) -> Response:
        """The request after matching: ``request_started``, ``preprocess_request``,
        ``dispatch_request``, ``handle_user_exception`` on an error, then
        ``finalize_request``."""
        ctx = _cv_ctx.get()
        try:
            if signals.request_started.receivers:
                drive_sync(send(signals.request_started, ctx.app, None), call_sync)
            rv = self.preprocess_request()
            if rv is None:
                rv = self.dispatch_request()
        except Exception as e:
            rv = self.handle_user_exception(e)
        return self.finalize_request(rv)

    def preprocess_request(self) -> Any:
        """Run ``url_value_preprocessor`` and ``before_request`` functions; a value
        other than ``None`` from one of them is the response."""
        ctx = _cv_ctx.get()
        assert ctx.request is not None
        hooks = self._hooks_for(ctx.request)
        return drive_sync(preprocess(ctx.app, ctx, hooks), call_sync)

    def dispatch_request(self) -> Any:
        """Call the view (or answer ``OPTIONS``, or raise the routing error); the
        return value is what the view returned."""
        ctx = _cv_ctx.get()
        request = ctx.request
        assert request is not None
        if request.routing_exception is not None:
            self.raise_routing_exception(request)
        rule = request.url_rule
        if rule.provide_automatic_options and request.method == "OPTIONS":
            return self.make_default_options_response()
        view = self.view_functions[rule.endpoint]
        return call_sync((view, (), request.view_args))

    def finalize_request(self, rv: Any, from_error_handler: bool = False) -> Response:
        """``make_response(rv)``, then ``process_response`` and ``request_finished``;
        with ``from_error_handler`` an error there is logged, not raised."""
        ctx = _cv_ctx.get()
        response = self.make_response(rv)
        try:
            response = self.process_response(response)
            if signals.request_finished.receivers:
                kwargs = {"response": response}
                drive_sync(send(signals.request_finished, ctx.app, kwargs), call_sync)
        except Exception:
            if not from_error_handler:
                raise
            self.logger.exception(
                "Request finalizing failed with an error while handling an error"
            )
        return response

    def process_response(self, response: Response) -> Response:
        """``after_this_request`` callbacks, ``after_request`` functions (innermost
        blueprint first), then the session's save; returns the response to send."""
        ctx = _cv_ctx.get()
        response = drive_sync(process_response(ctx.app, ctx, response, None), call_sync)
        return response

    def handle_user_exception(self, e: Exception) -> Any:
        """The registered error handler's value for ``e`` (HTTP errors go to
        ``handle_http_exception``); ``e`` is raised again when none applies."""
        if is_http_exception(e):
            return self.handle_http_exception(e)  # type: ignore[arg-type]
        ctx = _cv_ctx.get()
        return drive_sync(handle_user_exception(ctx.app, ctx, e), call_sync)

    def handle_http_exception(self, e: HTTPException) -> Any:
        """The error handler's value for HTTP error ``e``, or ``e`` itself (it becomes
        the app's error response); routing redirects become their 308."""
        ctx = _cv_ctx.get()
        return drive_sync(handle_http_exception(ctx.app, ctx, e), call_sync)

    def handle_exception(self, e: Exception) -> Response:
        """An exception no handler took: ``got_request_exception``, then re-raised
        when exceptions propagate, else logged and answered with a 500 (through a
        500 handler, if one is registered)."""
        ctx = _cv_ctx.get()
        ctx.error = e
        if signals.got_request_exception.receivers:
            kwargs = {"exception": e}
            drive_sync(send(signals.got_request_exception, ctx.app, kwargs), call_sync)
        if self.propagate_exceptions:
            raise e
        self.log_exception((type(e), e, e.__traceback__))
        server_error = InternalServerError(original_exception=e)
        handler = self._find_error_handler(server_error, ctx)
        rv: Any = server_error
        if handler is not None:
            rv = call_sync((handler, (server_error,), None))
        return self.finalize_request(rv, from_error_handler=True)

    def log_exception(self, exc_info: ExcInfo) -> None:
        """Log an unhandled exception with its traceback (the path is escaped)."""
        ctx = _cv_ctx.get(None)
        request = ctx.request if ctx is not None else None
        where = ""
        if request is not None:
            path = request.path.encode("unicode_escape").decode("ascii")
            where = f" on {path} [{request.method}]"
        self.logger.error("Exception%s", where, exc_info=exc_info)

    def make_default_options_response(self) -> Response:
        """The automatic ``OPTIONS`` answer: empty, with ``Allow``."""
        request = _cv_ctx.get().request
        assert request is not None
        domain = self._request_domain(request) if self._domain_matching else ""
        methods = self.url_map.allowed_methods(request.path, domain)
        rv = self.response_class()
        rv.headers.set("Allow", ", ".join(sorted(methods)))
        return rv

    def raise_routing_exception(self, request: Request) -> NoReturn:
        """Raise the error routing stored on ``request`` (404, 405, a redirect)."""
        raise request.routing_exception  # type: ignore[misc]

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run the current request's ``teardown_request`` functions now, then send
        ``request_tearing_down``, as Flask's does; the app context's teardown
        functions are :meth:`do_teardown_appcontext`'s."""
        ctx = _cv_ctx.get()
        if exc is None:
            exc = ctx.error
        if ctx.request is None:
            return
        drive_sync(teardown_request(ctx.app, ctx, exc), call_sync)

    def do_teardown_appcontext(self, exc: BaseException | None = None) -> None:
        """Run the ``teardown_appcontext`` functions now, then send
        ``appcontext_tearing_down``, as Flask's does."""
        ctx = _cv_ctx.get(None)
        if exc is None and ctx is not None:
            exc = ctx.error
        drive_sync(teardown_appcontext(cast("Carboy", self), ctx, exc), call_sync)

    def _teardown(self, ctx: Context, exc: BaseException | None) -> None:
        drive_sync(teardown(ctx.app, ctx, exc), call_sync)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # NOTE: decided once per class: the fast path skips a method only when the
        # class has not overridden it.
        cls._custom_dispatch = any(
            getattr(cls, name) is not getattr(Requests, name) for name in _DISPATCH
        )
        cls._custom_teardown = any(
            getattr(cls, name) is not getattr(Requests, name) for name in _TEARDOWN
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
