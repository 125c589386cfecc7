"""Jinja2 templates: the app's environment, its loader, and the render functions.

The environment (``app.jinja_env``) is created on first use. Its loader searches the
app's ``template_folder`` first, then each blueprint's, in registration order, so an
app can override a blueprint's template by putting one at the same path.

Rendering in async views: ``render_template`` renders in the calling thread. Jinja2
compiles each template once and caches it, and a typical page renders in well under a
millisecond, so under ASGI an ``async def`` view may call it directly (sync views
already run in a worker thread). For a large page, ``await render_template_async(...)``
renders in a worker thread with the request context, and ``stream_template`` sends the
page in pieces without building it in memory. Jinja2's own async mode is not used: it
makes every render slower and forbids calling the sync functions Flask apps rely on.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import signals
from .ctx import _cv_ctx
from .dispatch import blueprint_chain

if TYPE_CHECKING:  # pragma: no cover
    from jinja2 import Template

    from .app import Carboy
    from .ctx import Context


#: Template names ending in these are autoescaped (strings from
#: ``render_template_string`` always are).
AUTOESCAPE_EXTENSIONS = (".html", ".htm", ".xml", ".xhtml", ".svg")


def select_autoescape(filename: str | None) -> bool:
    """Autoescape strings and templates named ``*.html``, ``.htm``, ``.xml``, ``.xhtml``,
    ``.svg``."""
    if filename is None:
        return True
    return filename.endswith(AUTOESCAPE_EXTENSIONS)


def update_context(app: Carboy, ctx: Context | None, context: dict[str, Any]) -> None:
    """Add what the context processors return (app first, then the blueprints, outer
    first); values passed to ``render_template`` win."""
    processors = app.template_context_processors
    if not any(processors.values()):
        return  # PERF: most apps register none
    names: tuple[str | None, ...] = (None,)
    request = ctx.request if ctx is not None else None
    if request is not None:
        names = (None, *reversed(blueprint_chain(request.endpoint)))
    if not any(processors.get(name) for name in names):
        return
    original = dict(context)
    for name in names:
        for func in processors.get(name, ()):
            context.update(app.ensure_sync(func)())
    context.update(original)


# -- rendering ----------------------------------------------------------------------------


def _app_and_ctx(what: str) -> tuple[Carboy, Context]:
    ctx = _cv_ctx.get(None)
    if ctx is None:
        raise RuntimeError(
            f"'{what}' needs an active application context: call it inside a view, or"
            " inside 'with app.app_context():'."
        )
    return ctx.app, ctx


def _render(app: Carboy, template: Template, context: dict[str, Any]) -> str:
    app.update_template_context(context)
    if signals.before_render_template.receivers:
        signals.before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    rv = template.render(context)
    if signals.template_rendered.receivers:
        signals.template_rendered.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )
    return rv


def render_template(
    template_name_or_list: str | Template | list[str | Template], **context: Any
) -> str:
    """Render a template from the template folders with ``context``.

    A list of names renders the first that exists. The template also sees ``request``,
    ``session``, ``g``, ``config``, ``url_for``, ``get_flashed_messages`` and what the
    context processors return.
    """
    app, _ctx = _app_and_ctx("render_template")
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _render(app, template, context)


def render_template_string(source: str, **context: Any) -> str:
    """Render a template from a string (always autoescaped)."""
    app, _ctx = _app_and_ctx("render_template_string")
    template = app.jinja_env.from_string(source)
    return _render(app, template, context)


async def render_template_async(
    template_name_or_list: str | Template | list[str | Template], **context: Any
) -> str:
    """``render_template`` in a worker thread, for large pages in ``async def`` views.

    The worker thread gets a copy of the request context, so the template still sees
    ``request``, ``session`` and ``g``.
    """
    from .bridge import run_in_thread

    rv: str = await run_in_thread(
        lambda: render_template(template_name_or_list, **context)
    )
    return rv


def _stream(app: Carboy, template: Template, context: dict[str, Any]) -> Iterator[str]:
    app.update_template_context(context)
    if signals.before_render_template.receivers:
        signals.before_render_template.send(
            app, _async_wrapper=app.ensure_sync, template=template, context=context
        )

    def generate() -> Iterator[str]:
        yield from template.generate(context)
        if signals.template_rendered.receivers:
            signals.template_rendered.send(
                app, _async_wrapper=app.ensure_sync, template=template, context=context
            )

    rv = generate()
    ctx = _cv_ctx.get(None)
    if ctx is not None and ctx.request is not None:
        from .helpers import stream_with_context

        rv = stream_with_context(rv)
    return rv


def stream_template(
    template_name_or_list: str | Template | list[str | Template], **context: Any
) -> Iterator[str]:
    """Render a template piece by piece: return the iterator from a view to stream it.

    During a request the request context stays available until the stream ends.
    """
    app, _ctx = _app_and_ctx("stream_template")
    template = app.jinja_env.get_or_select_template(template_name_or_list)
    return _stream(app, template, context)


def stream_template_string(source: str, **context: Any) -> Iterator[str]:
    """``stream_template`` for a template given as a string."""
    app, _ctx = _app_and_ctx("stream_template_string")
    template = app.jinja_env.from_string(source)
    return _stream(app, template, context)


__all__ = [
    "render_template",
    "render_template_async",
    "render_template_string",
    "stream_template",
    "stream_template_string",
]
