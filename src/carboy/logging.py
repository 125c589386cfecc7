"""The application's logger: ``app.logger``, named after the app.

Its default handler writes to :data:`wsgi_errors_stream`: the current request's error
stream (``environ["wsgi.errors"]``, which a WSGI server points at its error log) when
there is one, else ``sys.stderr`` (under ASGI, which has no such stream, and outside a
request).
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any, TextIO

from .ctx import _cv_ctx

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy

#: The scope extension the ASGI test client uses to pass ``errors_stream`` on.
ERRORS_EXTENSION = "carboy.errors_stream"


def current_error_stream() -> TextIO:
    """The error stream of the current request, else ``sys.stderr``."""
    ctx = _cv_ctx.get(None)
    request = ctx.request if ctx is not None else None
    if request is not None:
        environ = request.environ
        if environ is not None:
            stream = environ.get("wsgi.errors")
        else:
            scope = request.scope or {}
            stream = (scope.get("extensions") or {}).get(ERRORS_EXTENSION)
        if stream is not None:
            return stream  # type: ignore[no-any-return]
    return sys.stderr


class _ErrorStream:
    """A stream that writes wherever :func:`current_error_stream` points now."""

    def _get_current_object(self) -> TextIO:
        return current_error_stream()

    def write(self, text: str) -> int:
        return current_error_stream().write(text)

    def flush(self) -> None:
        current_error_stream().flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(current_error_stream(), name)

    def __repr__(self) -> str:
        return f"<carboy.logging.wsgi_errors_stream {current_error_stream()!r}>"


#: The current request's error stream (``wsgi.errors``), else ``sys.stderr``.
wsgi_errors_stream: Any = _ErrorStream()

#: The handler carboy adds when the app's logger has none: ``[time] LEVEL in module``.
default_handler = logging.StreamHandler(wsgi_errors_stream)
default_handler.setFormatter(
    logging.Formatter("[%(asctime)s] %(levelname)s in %(module)s: %(message)s")
)


def has_level_handler(logger: logging.Logger) -> bool:
    """Whether a handler in the logger's hierarchy would handle its effective level."""
    level = logger.getEffectiveLevel()
    current: logging.Logger | None = logger
    while current:
        if any(handler.level <= level for handler in current.handlers):
            return True
        if not current.propagate:
            break
        current = current.parent
    return False


def create_logger(app: Carboy) -> logging.Logger:
    """The logger for ``app``: DEBUG level in debug mode, :data:`default_handler` if
    no handler in its hierarchy would handle its level."""
    logger = logging.getLogger(app.name)
    if app.debug and not logger.level:
        logger.setLevel(logging.DEBUG)
    if not has_level_handler(logger):
        logger.addHandler(default_handler)
    return logger
