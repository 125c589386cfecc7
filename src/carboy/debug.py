"""The debug page: an unhandled exception shown to the developer, in debug mode only.

:class:`DebugMiddleware` wraps an app (``carboy run --debug`` and ``app.run(debug=True)``
do it) and is itself a WSGI and an ASGI application. When a request raises, it answers
500 with the traceback: HTML for a client that asks for HTML, plain text for everyone
else (``curl``, API clients). The page shows source lines around each frame, the app's
own frames apart from library frames, the exception chain and a summary of the request.

The page is read-only: it runs nothing a client sends (no console, no PIN), carries no
script, and a Content-Security-Policy forbids any. Everything shown is HTML-escaped.
When the app is not in debug mode the middleware passes errors on untouched, so nothing
of a traceback reaches the client. Once a response has started (a streamed body
failing halfway) it cannot become a page: the error is logged and the connection ends.
"""

from __future__ import annotations

import html
import linecache
import os
import sys
import sysconfig
import traceback
from collections.abc import Callable, Iterable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .sansio.http.headers import parse_accept_header

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy
    from .types import Receive, Scope, Send

#: Lines of source shown before and after a frame's current line.
CONTEXT_LINES = 5
#: Header values shown as "(hidden)": credentials do not belong on a screen.
HIDDEN_HEADERS = frozenset({"authorization", "cookie", "proxy-authorization"})
_HEADERS = [
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'"),
    ("X-Content-Type-Options", "nosniff"),
    ("Cache-Control", "no-store"),
]


# -- what to show -------------------------------------------------------------------------


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {
        paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths
    }
    roots.add(os.path.dirname(os.path.abspath(__file__)))  # carboy itself
    return tuple(os.path.join(os.path.realpath(r), "") for r in roots)


_LIBRARY_ROOTS = _library_roots()


def is_library_file(filename: str) -> bool:
    """Whether ``filename`` belongs to Python, an installed package, or carboy (not to
    the app being debugged)."""
    if filename.startswith("<"):
        return True
    path = os.path.realpath(filename)
    if (
        os.sep + "site-packages" + os.sep in path
        or os.sep + "dist-packages" + os.sep in path
    ):
        return True
    return path.startswith(_LIBRARY_ROOTS)


class Frame:
    """One traceback entry: where, which function, and the source around it."""

    def __init__(self, filename: str, lineno: int, name: str) -> None:
        self.filename = filename
        self.lineno = lineno
        self.name = name
        self.library = is_library_file(filename)

    def source(self) -> list[tuple[int, str]]:
        """``(line number, text)`` pairs around the current line."""
        first = max(1, self.lineno - CONTEXT_LINES)
        lines = []
        for n in range(first, self.lineno + CONTEXT_LINES + 1):
            text = linecache.getline(self.filename, n)
            if not text and n > self.lineno:
                break
            lines.append((n, text.rstrip("\r\n")))
        return lines

    @property
    def display_name(self) -> str:
        try:
            rel = os.path.relpath(self.filename)
        except ValueError:  # pragma: no cover - another drive on Windows
            return self.filename
        return self.filename if rel.startswith("..") else rel


def frames(tb: TracebackType | None) -> list[Frame]:
    rv = []
    for summary in traceback.extract_tb(tb):
        rv.append(Frame(summary.filename, summary.lineno or 0, summary.name))
    return rv


def exception_chain(exc: BaseException) -> list[tuple[BaseException, str | None]]:
    """The exceptions behind ``exc``, oldest first, each with how the next one relates
    to it (``"cause"``, ``"context"``, or ``None`` for the last)."""
    chain: list[tuple[BaseException, str | None]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    relation: str | None = None
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, relation))
        if current.__cause__ is not None:
            current, relation = current.__cause__, "cause"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, relation = current.__context__, "context"
        else:
            current = None
    chain.reverse()
    # Each relation described the link to the exception after it in time.
    relations = [rel for _, rel in chain]
    return [(e, relations[i - 1] if i else None) for i, (e, _) in enumerate(chain)]


def describe(exc: BaseException) -> str:
    """``"KeyError: 'x'"``, even when ``str(exc)`` itself fails."""
    try:
        message = str(exc)
    except Exception:
        message = f"<unprintable {type(exc).__name__} object>"
    name = type(exc).__qualname__
    module = type(exc).__module__
    if module not in {"builtins", "__main__"}:
        name = f"{module}.{name}"
    return f"{name}: {message}" if message else name


_LINKS = {
    "cause": "The above exception was the direct cause of the following exception:",
    "context": "During handling of the above exception, another exception occurred:",
}


# -- rendering ----------------------------------------------------------------------------


def wants_html(accept: str | None) -> bool:
    """Whether the client names HTML in ``Accept`` at least as high as plain text.

    A bare ``*/*`` (curl, most API clients) gets plain text; browsers name HTML.
    """
    html_q = text_q = 0.0
    for value, quality in parse_accept_header(accept):
        media = value.partition(";")[0].strip().lower()
        if media in {"text/html", "application/xhtml+xml"}:
            html_q = max(html_q, quality)
        elif media == "text/plain":
            text_q = max(text_q, quality)
    return html_q > 0 and html_q >= text_q


def render_text(exc: BaseException, request: list[tuple[str, str]]) -> str:
    """The plain-text page: Python's own traceback, then the request summary."""
    parts = ["".join(traceback.format_exception(exc)), "\nRequest:\n"]
    parts.extend(f"  {name}: {value}\n" for name, value in request)
    return "".join(parts)


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _render_frame(frame: Frame) -> str:
    kind = "library" if frame.library else "app"
    rows = []
    for n, text in frame.source():
        current = ' class="current"' if n == frame.lineno else ""
        rows.append(
            f"<tr{current}><td class=n>{n}</td><td><pre>{_esc(text)}</pre></td></tr>"
        )
    source = (
        f"<table>{''.join(rows)}</table>" if rows else "<p>(source not available)</p>"
    )
    return (
        f'<details class="frame {kind}"{"" if frame.library else " open"}>'
        f"<summary><code>{_esc(frame.display_name)}</code>, line {frame.lineno},"
        f" in <code>{_esc(frame.name)}</code>"
        f"{' <span class=tag>library</span>' if frame.library else ''}</summary>"
        f"{source}</details>"
    )


def render_html(exc: BaseException, request: list[tuple[str, str]]) -> str:
    """The HTML page. Every value from the exception or the request is escaped."""
    sections = []
    for e, relation in exception_chain(exc):
        if relation is not None:
            sections.append(f"<p class=link>{_esc(_LINKS[relation])}</p>")
        frame_list = frames(e.__traceback__)
        hidden = sum(f.library for f in frame_list)
        note = (
            f"<p class=note>{hidden} library frame{'s' if hidden != 1 else ''}"
            " (Python, installed packages, carboy) are folded.</p>"
            if hidden
            else ""
        )
        sections.append(
            f"<section><h2>{_esc(describe(e))}</h2>{note}"
            f"{''.join(_render_frame(f) for f in frame_list)}</section>"
        )
    rows = "".join(
        f"<tr><th>{_esc(name)}</th><td>{_esc(value)}</td></tr>"
        for name, value in request
    )
    title = _esc(describe(exc))
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        f"<title>{title} (carboy debug page)</title><style>{_STYLE}</style></head><body>"
        f"<h1>{title}</h1>"
        "<p class=note>Shown because the app is in debug mode. Never turn debug mode on"
        " in production.</p>"
        f"{''.join(sections)}"
        f"<h2>Request</h2><table class=request>{rows}</table>"
        "<h2>Plain-text traceback</h2>"
        f"<pre class=plain>{_esc(''.join(traceback.format_exception(exc)))}</pre>"
        "</body></html>"
    )


_STYLE = (
    "body{font:15px/1.4 system-ui,sans-serif;margin:2em;color:#222}"
    "h1{color:#a00;font-size:1.4em;word-break:break-word}h2{font-size:1.1em;"
    "word-break:break-word}.note,.link{color:#555}.link{font-style:italic}"
    ".frame{margin:.3em 0;border:1px solid #ddd;border-radius:4px}"
    ".frame summary{padding:.3em .6em;cursor:pointer}.frame.app summary{background:#fff4e0}"
    ".frame.library{opacity:.75}.tag{font-size:.8em;color:#777}"
    "table{border-collapse:collapse;width:100%}pre{margin:0;white-space:pre-wrap}"
    "td.n{color:#888;text-align:right;padding-right:.8em;width:3em}"
    "tr.current{background:#ffe0e0}.request th{text-align:left;padding-right:1em;"
    "vertical-align:top;width:12em}.plain{background:#f6f6f6;padding:.8em}"
)


# -- the middleware -----------------------------------------------------------------------


def _summary(
    method: str,
    path: str,
    query: str,
    client: str | None,
    headers: Iterable[tuple[str, str]],
) -> list[tuple[str, str]]:
    rows = [("Method", method), ("Path", path)]
    if query:
        rows.append(("Query string", query))
    if client:
        rows.append(("Client", client))
    for name, value in headers:
        shown = "(hidden)" if name.lower() in HIDDEN_HEADERS else value
        rows.append((f"Header {name.title()}", shown))
    return rows


def summary_from_environ(environ: dict[str, Any]) -> list[tuple[str, str]]:
    from .wsgi import headers_from_environ

    return _summary(
        environ.get("REQUEST_METHOD", ""),
        environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", ""),
        environ.get("QUERY_STRING", ""),
        environ.get("REMOTE_ADDR"),
        headers_from_environ(environ),
    )


def summary_from_scope(scope: Scope) -> list[tuple[str, str]]:
    client = scope.get("client")
    return _summary(
        scope.get("method", ""),
        scope.get("path", ""),  # NOTE: ASGI's path includes root_path
        scope.get("query_string", b"").decode("latin-1"),
        f"{client[0]}:{client[1]}" if client else None,
        [
            (k.decode("latin-1"), v.decode("latin-1"))
            for k, v in scope.get("headers", ())
        ],
    )


def error_page(
    exc: BaseException, accept: str | None, request: list[tuple[str, str]]
) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and body of the debug page for ``exc``."""
    if wants_html(accept):
        body = render_html(exc, request).encode("utf-8")
        kind = "text/html; charset=utf-8"
    else:
        body = render_text(exc, request).encode("utf-8")
        kind = "text/plain; charset=utf-8"
    return [("Content-Type", kind), ("Content-Length", str(len(body))), *_HEADERS], body


class DebugMiddleware:
    """Serve ``app`` with the debug page for unhandled errors (when ``app.debug``).

    Like the app, it is a WSGI and an ASGI application::

        app.debug = True
        debug_app = DebugMiddleware(app)   # serve this with any server
    """

    def __init__(self, app: Carboy) -> None:
        self.app = app

    def _log(self, exc: BaseException, what: str, path: str, method: str) -> None:
        # The path comes from the client: escaped so it cannot forge log lines.
        path = path.encode("unicode_escape").decode("ascii")
        self.app.logger.error(
            what, path, method, exc_info=(type(exc), exc, exc.__traceback__)
        )

    # -- WSGI --

    def wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        started = False

        def tracking_start_response(*args: Any) -> Any:
            nonlocal started
            started = True
            return start_response(*args)

        try:
            body = self.app(environ, tracking_start_response)
        except Exception as exc:
            if not self.app.debug or started:
                raise
            self._log(
                exc,
                "Exception on %s [%s]",
                environ.get("PATH_INFO", ""),
                environ.get("REQUEST_METHOD", ""),
            )
            headers, page = error_page(
                exc, environ.get("HTTP_ACCEPT"), summary_from_environ(environ)
            )
            start_response("500 INTERNAL SERVER ERROR", headers, sys.exc_info())
            return [page]
        return _LoggedBody(self, body, environ)

    # -- ASGI --

    async def asgi_app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)  # type: ignore[arg-type]
            return
        started = False

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)  # type: ignore[arg-type]
        except Exception as exc:
            where = scope.get("path", ""), scope.get("method", "")
            if started:
                self._log(exc, _CUT_SHORT, *where)
                raise
            if not self.app.debug:
                raise
            self._log(exc, "Exception on %s [%s]", *where)
            accept = None
            for key, value in scope.get("headers", ()):
                if key.lower() == b"accept":
                    accept = value.decode("latin-1")
            headers, page = error_page(exc, accept, summary_from_scope(scope))
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [
                        (k.lower().encode("latin-1"), v.encode("latin-1"))
                        for k, v in headers
                    ],
                }
            )
            await send({"type": "http.response.body", "body": page})

    def __call__(
        self,
        environ_or_scope: dict[str, Any],
        start_response_or_receive: Any = None,
        send: Any = None,
    ) -> Any:
        """WSGI (``(environ, start_response)``) or ASGI 3 (``(scope, receive, send)``)."""
        if send is not None:
            return self.asgi_app(environ_or_scope, start_response_or_receive, send)
        return self.wsgi_app(environ_or_scope, start_response_or_receive)


_CUT_SHORT = (
    "Exception while sending the response for %s [%s]; the response was cut short"
)


class _LoggedBody:
    """A WSGI body that logs an error raised while it is being sent (too late for a
    page), then lets it end the response."""

    def __init__(
        self,
        middleware: DebugMiddleware,
        body: Iterable[bytes],
        environ: dict[str, Any],
    ) -> None:
        self._middleware = middleware
        self._body = body
        self._environ = environ

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._body
        except Exception as exc:
            self._middleware._log(
                exc,
                _CUT_SHORT,
                self._environ.get("PATH_INFO", ""),
                self._environ.get("REQUEST_METHOD", ""),
            )
            raise

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        if close is not None:
            close()
