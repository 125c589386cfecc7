"""The request pipeline, written once for both protocols.

Each stage is a generator that *yields* every user function it wants called, as a step
``(func, args)``, and receives the result back. A driver runs the generator: the WSGI
adapter calls each step directly (running a coroutine on its thread's loop), the ASGI
adapter awaits coroutine functions and runs plain ones in a worker thread. So hooks,
views and error handlers may each be ``def`` or ``async def`` under either protocol,
and the order of what runs lives in exactly one place: here.

The order, as in Flask: ``url_value_preprocessor`` → ``before_request`` (a non-``None``
return short-circuits) → the view → on an exception, the error handler → ``make_response``
→ ``after_this_request`` callbacks → ``after_request`` (innermost blueprint first) → save
the session → (later, in ``teardown``) ``teardown_request`` → ``teardown_appcontext``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import TYPE_CHECKING, Any, NamedTuple, TypeVar

from . import signals
from .exceptions import HTTPException, InternalServerError
from .routing import RequestRedirect

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy, Response
    from .ctx import Context

R = TypeVar("R")
#: One user function to call, with its positional and keyword arguments.
Step = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any] | None]
#: A pipeline stage: yields steps, receives their results, returns ``R``.
Plan = Generator[Step, Any, R]


class Hooks(NamedTuple):
    """One endpoint's plan: the hook functions that apply to its blueprint chain, and
    what follows from them, computed once (at the first request, then kept)."""

    url_value_preprocessors: tuple[Callable[..., Any], ...]
    before_request: tuple[Callable[..., Any], ...]
    after_request: tuple[Callable[..., Any], ...]
    teardown_request: tuple[Callable[..., Any], ...]
    #: No hook before or after the view and no overridden request method: the view
    #: may be called directly (see :func:`plain_view`).
    plain: bool
    #: Teardown functions or an overridden teardown method (see :func:`needs_teardown`).
    teardown: bool


def blueprint_chain(endpoint: str | None) -> tuple[str, ...]:
    """``("a.b", "a")`` for endpoint ``"a.b.view"``; ``()`` for an app endpoint."""
    if not endpoint or "." not in endpoint:
        return ()
    name = endpoint.rpartition(".")[0]
    chain = [name]
    while "." in name:
        name = name.rpartition(".")[0]
        chain.append(name)
    return tuple(chain)


def collect_hooks(app: Carboy, blueprints: tuple[str, ...]) -> Hooks:
    """The hooks for a request in ``blueprints`` (innermost first), in call order."""
    outer_first: tuple[str | None, ...] = (None, *reversed(blueprints))
    inner_first: tuple[str | None, ...] = (*blueprints, None)

    def gather(
        spec: dict[str | None, list[Callable[..., Any]]],
        names: tuple[str | None, ...],
        rev: bool,
    ) -> tuple[Callable[..., Any], ...]:
        funcs: list[Callable[..., Any]] = []
        for name in names:
            found = spec.get(name, ())
            funcs.extend(reversed(found) if rev else found)
        return tuple(funcs)

    url_value_preprocessors = gather(app.url_value_preprocessors, outer_first, False)
    before_request = gather(app.before_request_funcs, outer_first, False)
    after_request = gather(app.after_request_funcs, inner_first, True)
    teardown_request = gather(app.teardown_request_funcs, inner_first, True)
    return Hooks(
        url_value_preprocessors,
        before_request,
        after_request,
        teardown_request,
        plain=not (
            url_value_preprocessors
            or before_request
            or after_request
            or app._custom_dispatch
        ),
        teardown=bool(
            teardown_request or app.teardown_appcontext_funcs or app._custom_teardown
        ),
    )


# -- the stages -------------------------------------------------------------------------


def handle_request(app: Carboy, ctx: Context, hooks: Hooks) -> Plan[Response]:
    """The whole request: hooks, the view, and what follows (see :func:`finish`).

    An app whose class overrides one of Flask's request methods is run Flask's way,
    through those methods (:func:`by_methods`), so the override takes effect.
    """
    if app._custom_dispatch:
        return (yield from by_methods(app))
    request = ctx.request
    assert request is not None
    rv: Any = None
    error: Exception | None = None
    try:
        if signals.request_started.receivers:
            yield from send(signals.request_started, app, None)
        rv = yield from preprocess(app, ctx, hooks)
        if rv is None:
            if request.routing_exception is not None:
                app.raise_routing_exception(request)
            rule = request.url_rule
            if rule.provide_automatic_options and request.method == "OPTIONS":
                rv = app.make_default_options_response()
            else:
                rv = yield app.view_functions[rule.endpoint], (), request.view_args
    except Exception as e:
        error = e
    return (yield from finish(app, ctx, hooks, rv, error))


def by_methods(app: Carboy) -> Plan[Response]:
    """Flask's own sequence, ``full_dispatch_request()`` then ``handle_exception()``
    on an error, each one step: a plain method, so under ASGI it runs in a worker
    thread, where what it calls goes through :func:`carboy.bridge.call_sync`."""
    try:
        response: Response = yield app.full_dispatch_request, (), None
    except Exception as e:
        response = yield app.handle_exception, (e,), None
    return response


def preprocess(app: Carboy, ctx: Context, hooks: Hooks) -> Plan[Any]:
    """``url_value_preprocessor`` then ``before_request`` functions; the first
    non-``None`` value a ``before_request`` function returns ends the request."""
    request = ctx.request
    assert request is not None
    if hooks.url_value_preprocessors:
        endpoint = request.url_rule.endpoint if request.url_rule else None
        for func in hooks.url_value_preprocessors:
            yield func, (endpoint, request.view_args), None
    for func in hooks.before_request:
        rv = yield func, (), None
        if rv is not None:
            return rv
    return None


def finish(
    app: Carboy, ctx: Context, hooks: Hooks, rv: Any, error: Exception | None = None
) -> Plan[Response]:
    """After the view returned ``rv`` (or raised ``error``): the error handler, the
    response, after-request work; a 500 (or a re-raise) if anything escapes."""
    try:
        if error is not None:
            rv = yield from handle_user_exception(app, ctx, error)
            if isinstance(error, HTTPException):
                # PERF: an HTTP error answered needs its traceback no more; kept, its
                # frames would hold the request (whose routing_exception it may be)
                # in a cycle that only the garbage collector frees.
                error.__traceback__ = None
        response = app.make_response(rv)
        # PERF: most requests have no after-request work at all.
        if (
            hooks.after_request
            or ctx._after_request_functions
            or ctx._session is not None
            or signals.request_finished.receivers
        ):
            response = yield from process_response(app, ctx, response, hooks)
            if signals.request_finished.receivers:
                yield from send(signals.request_finished, app, {"response": response})
        return response
    except Exception as e:
        return (yield from handle_exception(app, ctx, e))


def plain_view(ctx: Context, hooks: Hooks) -> Callable[..., Any] | None:
    """The view, when the plan is only "call it and make the response": no hooks, no
    signal receivers, no routing error, no automatic OPTIONS. ``None`` otherwise."""
    request = ctx.request
    assert request is not None
    if (
        not hooks.plain
        or request.routing_exception is not None
        or signals.request_started.receivers
        or signals.request_finished.receivers
    ):
        return None
    rule = request.url_rule
    if rule.provide_automatic_options and request.method == "OPTIONS":
        return None
    return ctx.app.view_functions[rule.endpoint]


def respond_sync(
    app: Carboy, ctx: Context, hooks: Hooks, call: Callable[[Step], Any]
) -> Response:
    """Run the request's plan with a plain ``call``.

    PERF: when :func:`plain_view` applies, the view is called directly, without the
    plan's generator; anything but a plain return goes on through :func:`finish`, so
    what runs and in what order is still :func:`handle_request`'s.
    """
    view = plain_view(ctx, hooks)
    if view is None:
        return drive_sync(handle_request(app, ctx, hooks), call)
    try:
        rv = call((view, (), ctx.request.view_args))  # type: ignore[union-attr]
    except Exception as e:
        return drive_sync(finish(app, ctx, hooks, None, e), call)
    if ctx._after_request_functions or ctx._session is not None:
        return drive_sync(finish(app, ctx, hooks, rv), call)
    try:
        return app.make_response(rv)
    except Exception:
        return drive_sync(finish(app, ctx, hooks, rv), call)


async def respond_async(
    app: Carboy, ctx: Context, hooks: Hooks, call: Callable[[Step], Awaitable[Any]]
) -> Response:
    """:func:`respond_sync` for an awaitable ``call``."""
    view = plain_view(ctx, hooks)
    if view is None:
        return await drive_async(handle_request(app, ctx, hooks), call)
    try:
        rv = await call((view, (), ctx.request.view_args))  # type: ignore[union-attr]
    except Exception as e:
        return await drive_async(finish(app, ctx, hooks, None, e), call)
    if ctx._after_request_functions or ctx._session is not None:
        return await drive_async(finish(app, ctx, hooks, rv), call)
    try:
        return app.make_response(rv)
    except Exception:
        return await drive_async(finish(app, ctx, hooks, rv), call)


def needs_teardown(app: Carboy, ctx: Context, hooks: Hooks | None) -> bool:
    """Whether :func:`teardown` has anything to do for this request."""
    request = ctx.request
    if hooks is None and request is not None:
        hooks = app._hooks_for(request)
    if hooks is not None:
        # PERF: the plan knows the registered teardown work (see Hooks.teardown).
        if hooks.teardown:
            return True
    elif app._custom_teardown or app.teardown_appcontext_funcs:
        return True
    return bool(
        (request is not None and request._cleanup)
        or signals.request_tearing_down.receivers
        or signals.appcontext_tearing_down.receivers
    )


def _finalize_error(app: Carboy, ctx: Context, rv: Any) -> Plan[Response]:
    """The response for a 500; errors from after-request hooks are only logged now."""
    response = app.make_response(rv)
    try:
        response = yield from process_response(app, ctx, response, None)
        if signals.request_finished.receivers:
            yield from send(signals.request_finished, app, {"response": response})
    except Exception:
        app.logger.exception(
            "Request finalizing failed with an error while handling an error"
        )
    return response


def process_response(
    app: Carboy, ctx: Context, response: Response, hooks: Hooks | None
) -> Plan[Response]:
    """``after_this_request`` callbacks, ``after_request`` hooks, the session's save."""
    if ctx._after_request_functions:
        for func in ctx._after_request_functions:
            response = yield func, (response,), None
    if hooks is None:
        assert ctx.request is not None
        hooks = app._hooks_for(ctx.request)
    for func in hooks.after_request:
        response = yield func, (response,), None
    if ctx._session is not None:
        yield save_session(app, ctx, response)
    return response


def save_session(app: Carboy, ctx: Context, response: Response) -> Step:
    """The step that saves the session (``save_session`` may be ``async def``)."""
    interface = app.session_interface
    session = ctx._session
    if interface.is_null_session(session):
        return interface.save_null_session, (app, session, response), None
    return interface.save_session, (app, session, response), None


def handle_user_exception(app: Carboy, ctx: Context, e: Exception) -> Plan[Any]:
    """An error handler's result for ``e``, or ``e`` re-raised when none applies."""
    if is_http_exception(e):
        return (yield from handle_http_exception(app, ctx, e))
    handler = app._find_error_handler(e, ctx)
    if handler is None:
        raise e
    return (yield handler, (e,), None)


def handle_http_exception(app: Carboy, ctx: Context, e: Any) -> Plan[Any]:
    if getattr(e, "code", None) is None:
        return e  # an HTTPException carrying a response: send that
    if isinstance(e, RequestRedirect):
        return app.redirect_response(ctx, e)
    handler = app._find_error_handler(e, ctx)
    if handler is None:
        return e
    return (yield handler, (e,), None)


def handle_exception(app: Carboy, ctx: Context, e: Exception) -> Plan[Response]:
    """An unhandled exception: log it and answer 500 (re-raise when propagating)."""
    ctx.error = e
    if signals.got_request_exception.receivers:
        yield from send(signals.got_request_exception, app, {"exception": e})
    if app.propagate_exceptions:
        raise e
    app.log_exception((type(e), e, e.__traceback__))
    server_error = InternalServerError(original_exception=e)
    handler = app._find_error_handler(server_error, ctx)
    rv: Any = server_error
    if handler is not None:
        rv = yield handler, (server_error,), None
    return (yield from _finalize_error(app, ctx, rv))


def teardown(app: Carboy, ctx: Context, exc: BaseException | None) -> Plan[None]:
    """``teardown_request`` (for a request) then ``teardown_appcontext`` functions.

    They receive ``exc``, or else the exception that was answered with a 500 (as in
    Flask, where a handled 500 still tears down with the original error). An app
    whose class overrides ``do_teardown_request`` or ``do_teardown_appcontext`` has
    that method called, as one step.
    """
    if exc is None:
        exc = ctx.error
    request = ctx.request
    if request is not None:
        if app._custom_teardown:
            yield app.do_teardown_request, (exc,), None
        else:
            yield from teardown_request(app, ctx, exc)
        request.close()
    if app._custom_teardown:
        yield app.do_teardown_appcontext, (exc,), None
    else:
        yield from teardown_appcontext(app, ctx, exc)


def teardown_request(
    app: Carboy, ctx: Context, exc: BaseException | None
) -> Plan[None]:
    """The request's ``teardown_request`` functions, then ``request_tearing_down``."""
    request = ctx.request
    assert request is not None
    for func in app._hooks_for(request).teardown_request:
        yield func, (exc,), None
    if signals.request_tearing_down.receivers:
        yield from send(signals.request_tearing_down, app, {"exc": exc})


def teardown_appcontext(
    app: Carboy, ctx: Context | None, exc: BaseException | None
) -> Plan[None]:
    """``teardown_appcontext`` functions, then ``appcontext_tearing_down``."""
    for func in reversed(app.teardown_appcontext_funcs):
        yield func, (exc,), None
    if signals.appcontext_tearing_down.receivers:
        yield from send(signals.appcontext_tearing_down, app, {"exc": exc})


def send(signal: Any, sender: Any, kwargs: dict[str, Any] | None) -> Plan[None]:
    """Send ``signal``: each receiver is a step, so an ``async def`` receiver is
    awaited (ASGI) or run on the thread's loop (WSGI) like any hook."""
    for receiver in list(signal.receivers_for(sender)):
        yield receiver, (sender,), kwargs


def is_http_exception(e: BaseException) -> bool:
    """Whether ``e`` is an HTTP error: carboy's, or another toolkit's with ``code`` and
    ``get_response()`` (so an app mid-port that raises Werkzeug's errors keeps working)."""
    if isinstance(e, HTTPException):
        return True
    return isinstance(getattr(e, "code", None), int) and callable(
        getattr(e, "get_response", None)
    )


# -- drivers ----------------------------------------------------------------------------


def drive_sync(plan: Plan[R], call: Callable[[Step], Any]) -> R:
    """Run ``plan`` to completion, calling each step with ``call``."""
    try:
        step = next(plan)
        while True:
            try:
                result = call(step)
            except Exception as e:
                step = plan.throw(e)
            else:
                step = plan.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def drive_async(plan: Plan[R], call: Callable[[Step], Awaitable[Any]]) -> R:
    """Run ``plan`` to completion, awaiting ``call`` for each step."""
    try:
        step = next(plan)
        while True:
            try:
                result = await call(step)
            except Exception as e:
                step = plan.throw(e)
            else:
                step = plan.send(result)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]
