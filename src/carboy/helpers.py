"""User-facing helpers that read the current context: ``url_for``, ``redirect``,
``make_response``, ``abort``, ``flash``, ``stream_with_context``, ``send_file``."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Iterator
from functools import update_wrapper
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar, cast

from . import signals
from .ctx import Context, _cv_ctx
from .exceptions import abort as _abort
from .sansio.urls import iri_to_uri

if TYPE_CHECKING:  # pragma: no cover
    from .app import Response
    from .sansio.response import Response as _SansioResponse

T = TypeVar("T")
R = TypeVar("R", bound="_SansioResponse")
F = TypeVar("F", bound=Callable[..., Any])


def _ctx_or_error(what: str) -> Context:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(
            f"'{what}' needs an active application context: call it inside a view, or"
            " inside 'with app.app_context():'."
        )
    return ctx


def url_for(
    endpoint: str,
    /,
    *,
    _anchor: str | None = None,
    _method: str | None = None,
    _scheme: str | None = None,
    _external: bool | None = None,
    **values: Any,
) -> str:
    """The URL for ``endpoint``: ``url_for("user", id=7)`` → ``"/users/7"``.

    Values the rule does not use become the query string (lists repeat the key).
    Any name is a value, ``self`` and ``endpoint`` included: the endpoint is
    positional-only. ``_external=True`` gives an absolute URL, ``_anchor`` a ``#fragment``.
    """
    return _ctx_or_error("url_for").app.url_for(
        endpoint,
        _anchor=_anchor,
        _method=_method,
        _scheme=_scheme,
        _external=_external,
        **values,
    )


def redirect(
    location: str,
    code: int = 302,
    Response: type[Response] | None = None,  # noqa: N803 (Flask's argument name)
) -> Response:
    """A redirect response to ``location``.

    Inside an app context this is ``current_app.redirect(location, code)`` (the app's
    response class, and whatever a subclass changes); ``Response`` is used only
    outside one.
    """
    ctx = _cv_ctx.get(None)
    if ctx is not None:
        return ctx.app.redirect(location, code)
    if Response is None:
        from . import wrappers

        Response = wrappers.Response  # noqa: N806
    return build_redirect(location, code, Response)


def build_redirect(location: str, code: int, response_class: type[R]) -> R:
    """The redirect response behind ``redirect`` and ``Carboy.redirect``.

    NOTE: CR, LF and other unsafe characters in ``location`` are percent-encoded, so a
    user-supplied target can never add a header.
    """
    location = iri_to_uri(location)
    body = (
        "<!doctype html>\n<html lang=en>\n<title>Redirecting...</title>\n"
        "<h1>Redirecting...</h1>\n<p>You should be redirected automatically to the"
        f' target URL: <a href="{html.escape(location)}">{html.escape(location)}</a>.'
        " If not, click the link.\n"
    )
    rv = response_class(body, code, mimetype="text/html")
    rv.headers.set("Location", location)
    return rv


def abort(code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Stop the request with an HTTP error, using the app's ``aborter`` when there is
    an app context: ``abort(404)``, ``abort(403, "No access")``."""
    ctx = _cv_ctx.get(None)
    if ctx is not None:
        ctx.app.aborter(code, *args, **kwargs)
    _abort(code, *args, **kwargs)


def make_response(*args: Any) -> Response:
    """A response from what a view could return, to add headers before returning it.

    ::

        resp = make_response(render_template("index.html"), 200)
        resp.headers["X-Something"] = "A value"
    """
    app = _ctx_or_error("make_response").app
    if not args:
        return app.response_class()
    return app.make_response(args[0] if len(args) == 1 else args)


# -- streaming --------------------------------------------------------------------------


class _ContextStream:
    """An iterator that runs each step inside a request context, then tears it down."""

    def __init__(self, ctx: Context, gen: Iterator[Any]) -> None:
        self._ctx = ctx
        self._gen = gen
        self._closed = False
        #: What the generator raised: the teardown functions receive it, as in Flask.
        self._error: BaseException | None = None
        ctx._pushes += 1

    def __iter__(self) -> _ContextStream:
        return self

    def __next__(self) -> Any:
        token = _cv_ctx.set(self._ctx)
        try:
            return next(self._gen)
        except StopIteration:
            raise
        except Exception as e:
            self._error = e
            raise
        finally:
            _cv_ctx.reset(token)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        ctx = self._ctx
        token = _cv_ctx.set(ctx)
        try:
            close = getattr(self._gen, "close", None)
            if close is not None:
                close()
        finally:
            ctx._pushes -= 1
            try:
                if ctx._pushes == 0 and ctx._preserved:
                    ctx._preserved = False
                    ctx.app._teardown(ctx, self._error)
            finally:
                _cv_ctx.reset(token)


def stream_with_context(generator_or_function: Any) -> Any:
    """Keep the request context (``request``, ``session``, ``g``) while a streamed
    response's generator runs; teardown waits until it is done.

    ::

        @app.get("/stream")
        def streamed():
            @stream_with_context
            def generate():
                yield "Hello "
                yield request.args["name"]
            return generate()
    """
    ctx = _cv_ctx.get(None)
    if callable(generator_or_function) and not hasattr(
        generator_or_function, "__next__"
    ):
        func: Callable[..., Iterable[Any]] = generator_or_function

        def decorator(*args: Any, **kwargs: Any) -> Any:
            return stream_with_context(func(*args, **kwargs))

        return update_wrapper(decorator, func)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'stream_with_context' can only be used when a request context is active,"
            " such as in a view function."
        )
    return _ContextStream(ctx, iter(generator_or_function))


def after_this_response(f: F, *args: Any, **kwargs: Any) -> F:
    """Run ``f(*args, **kwargs)`` (plain or ``async def``) after the current response
    has been sent, without delaying the client: sending mail, say.

    ::

        @app.post("/signup")
        def signup():
            after_this_response(send_welcome_mail, request.form["email"])
            return "Welcome!"

    Also a decorator, for a function without arguments. It runs once the response is
    sent (under WSGI, when the server closes the body iterable), with a copy of the
    request's context (``request``, ``g``, ``current_app``). An error in it is logged,
    not lost. It runs only for the view's response: not after an unhandled error.
    """
    ctx = _cv_ctx.get(None)
    if ctx is None or ctx.request is None:
        raise RuntimeError(
            "'after_this_response' can only be used when a request context is active,"
            " such as in a view function."
        )
    app = ctx.app
    copy = ctx.copy()
    path = ctx.request.path

    def run() -> None:
        token = _cv_ctx.set(copy)
        try:
            app.ensure_sync(f)(*args, **kwargs)
        except Exception:
            app.logger.exception(
                "Error in %s, run after the response to %s",
                getattr(f, "__qualname__", repr(f)),
                path.encode("unicode_escape").decode("ascii"),
            )
        finally:
            _cv_ctx.reset(token)

    def attach(response: Any) -> Any:
        response.call_on_close(run)
        return response

    if ctx._after_request_functions is None:
        ctx._after_request_functions = []
    ctx._after_request_functions.append(attach)
    return f


# -- flashing ---------------------------------------------------------------------------


def flash(message: str, category: str = "message") -> None:
    """Store a message for the next request (read it with ``get_flashed_messages``)."""
    ctx = _ctx_or_error("flash")
    session = ctx.session
    flashes = session.get("_flashes", [])
    flashes.append((category, message))
    session["_flashes"] = flashes
    if signals.message_flashed.receivers:
        signals.message_flashed.send(
            ctx.app,
            _async_wrapper=ctx.app.ensure_sync,
            message=message,
            category=category,
        )


def get_flashed_messages(
    with_categories: bool = False, category_filter: Iterable[str] = ()
) -> list[Any]:
    """The messages flashed for this request, removed from the session once read.

    With ``with_categories=True`` each is a ``(category, message)`` pair;
    ``category_filter`` keeps only the named categories.
    """
    ctx = _ctx_or_error("get_flashed_messages")
    flashes = ctx.flashes
    if flashes is None:
        flashes = ctx.session.pop("_flashes", []) if "_flashes" in ctx.session else []
        ctx.flashes = flashes = [tuple(item) for item in flashes]
    if category_filter:
        wanted = set(category_filter)
        flashes = [f for f in flashes if f[0] in wanted]
    if not with_categories:
        return [message for _, message in flashes]
    return list(flashes)


# -- files --------------------------------------------------------------------------------


def send_file(path_or_file: Any, *args: Any, **kwargs: Any) -> Response:
    """Send a file (a path or a binary file object) with conditional and range support.

    See :func:`carboy.files.send_file` for the arguments.
    """
    from .files import send_file as _send_file

    return cast("Response", _send_file(path_or_file, *args, **kwargs))


def send_from_directory(directory: Any, path: str, **kwargs: Any) -> Response:
    """Send ``path`` from inside ``directory``; a path that would leave it is a 404."""
    from .files import send_from_directory as _send_from_directory

    return cast("Response", _send_from_directory(directory, path, **kwargs))


def get_template_attribute(template_name: str, attribute: str) -> Any:
    """A macro or variable exported by a template: ``get_template_attribute("m.html", "hi")``."""
    app = _ctx_or_error("get_template_attribute").app
    return getattr(app.jinja_env.get_template(template_name).module, attribute)
