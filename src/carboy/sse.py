"""Server-sent events: ``text/event-stream`` responses, under WSGI and ASGI alike.

::

    from carboy.sse import ServerSentEvent, event_stream, last_event_id

    @app.get("/events")
    async def events():
        async def generate():
            start = int(last_event_id() or 0)       # a reconnecting browser's position
            for n in range(start + 1, start + 4):
                yield ServerSentEvent({"n": n}, event="tick", id=str(n))
                await asyncio.sleep(1)
        return event_stream(generate(), keep_alive=15)

Items of the source may be :class:`ServerSentEvent` objects, ``str`` (the data of an
unnamed event) or JSON values (dicts, lists: the data as JSON). Data with line breaks is
sent as several ``data:`` lines, as the format requires; ``id`` and ``event`` may not
contain line breaks. When an async source has nothing to send for ``keep_alive``
seconds, a comment line goes out instead, so proxies and browsers keep the connection
open (and a client that left is noticed). A plain generator's events go out as it
yields them (it runs in one worker thread under ASGI); it can yield
:data:`KEEP_ALIVE` itself.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator
from typing import Any

from .globals import _get_request, current_app

__all__ = [
    "KEEP_ALIVE",
    "ServerSentEvent",
    "comment",
    "event_stream",
    "last_event_id",
]

#: The lines of a field value: the format ends a line at CRLF, LF or CR.
_LINES = re.compile(r"\r\n|\r|\n")


def comment(text: str = "") -> str:
    """A comment block (``: text``), which clients ignore."""
    return (
        "".join(f": {line}\n" if line else ":\n" for line in _LINES.split(text)) + "\n"
    )


#: The keep-alive comment sent when a source is quiet.
KEEP_ALIVE = comment("keep-alive")


class ServerSentEvent:
    """One event: ``data`` (text, or a JSON value), and optional ``event`` (its type),
    ``id`` (the client sends the last one back as ``Last-Event-ID`` when it
    reconnects) and ``retry`` (milliseconds the client waits before reconnecting)."""

    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self,
        data: Any = "",
        *,
        event: str | None = None,
        id: str | None = None,  # noqa: A002 - the field's name in the format
        retry: int | None = None,
    ) -> None:
        for name, value in (("event", event), ("id", id)):
            if value is not None and _LINES.search(value):
                raise ValueError(f"An event's {name} may not contain a line break.")
        if id is not None and "\0" in id:
            raise ValueError("An event's id may not contain NUL.")
        if retry is not None and (not isinstance(retry, int) or retry < 0):
            raise ValueError("retry is a number of milliseconds (an int >= 0).")
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def encode(self, dumps: Callable[[Any], str] | None = None) -> str:
        """The event in the wire format, ending with its blank line."""
        data = self.data
        if not isinstance(data, str):
            data = (dumps or _json_dumps)(data)
        out = []
        if self.event is not None:
            out.append(f"event: {self.event}\n")
        if self.id is not None:
            out.append(f"id: {self.id}\n")
        if self.retry is not None:
            out.append(f"retry: {self.retry}\n")
        out.extend(f"data: {line}\n" for line in _LINES.split(data))
        out.append("\n")
        return "".join(out)

    def __repr__(self) -> str:
        return (
            f"<ServerSentEvent event={self.event!r} id={self.id!r} data={self.data!r}>"
        )


def _json_dumps(value: Any) -> str:
    return current_app.json.dumps(value)


def _encode(item: Any, dumps: Callable[[Any], str]) -> str:
    if isinstance(item, ServerSentEvent):
        return item.encode(dumps)
    if item is KEEP_ALIVE:
        return item
    return ServerSentEvent(item).encode(dumps)


def last_event_id() -> str | None:
    """The ``Last-Event-ID`` header of a reconnecting client (``None`` on a first
    connection)."""
    value: str | None = _get_request().headers.get("Last-Event-ID")
    return value


def event_stream(
    source: Iterable[Any] | AsyncIterable[Any],
    *,
    keep_alive: float | None = 15.0,
    retry: int | None = None,
    status: int = 200,
    headers: Any = None,
) -> Any:
    """A streamed ``text/event-stream`` response of the events ``source`` gives.

    ``keep_alive``: seconds of quiet (async sources) before a comment is sent; ``None``
    sends none. ``retry``: a reconnection delay (ms) sent first.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    dumps: Callable[[Any], str] = app.json.dumps
    first = f"retry: {int(retry)}\n\n" if retry is not None else None
    body: Any
    if hasattr(source, "__aiter__"):
        body = _async_frames(source, keep_alive, dumps, first)  # type: ignore[arg-type]
    else:
        body = _frames(source, dumps, first)
    response = app.response_class(body, status, headers, mimetype="text/event-stream")
    response.headers.set("Cache-Control", "no-cache")
    # NOTE: nginx buffers proxied responses unless told not to; events must flow.
    response.headers.set("X-Accel-Buffering", "no")
    return response


class _Frames:
    """A sync source's events as text; closing it closes the source."""

    __slots__ = ("_source", "_dumps", "_first")

    def __init__(
        self, source: Iterator[Any], dumps: Callable[[Any], str], first: str | None
    ) -> None:
        self._source = source
        self._dumps = dumps
        self._first = first

    def __iter__(self) -> _Frames:
        return self

    def __next__(self) -> str:
        if self._first is not None:
            first, self._first = self._first, None
            return first
        return _encode(next(self._source), self._dumps)

    def close(self) -> None:
        close = getattr(self._source, "close", None)
        if close is not None:
            close()


def _frames(
    source: Iterable[Any], dumps: Callable[[Any], str], first: str | None
) -> _Frames:
    return _Frames(iter(source), dumps, first)


async def _async_frames(
    source: AsyncIterable[Any],
    keep_alive: float | None,
    dumps: Callable[[Any], str],
    first: str | None,
) -> AsyncIterator[str]:
    if first is not None:
        yield first
    iterator = source.__aiter__()
    pending: asyncio.Future[Any] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            # NOTE: waiting on the step, not cancelling it: a quiet source keeps its
            # place while a keep-alive comment goes out.
            done, _ = await asyncio.wait({pending}, timeout=keep_alive)
            if not done:
                yield KEEP_ALIVE
                continue
            step, pending = pending, None
            try:
                item = step.result()
            except StopAsyncIteration:
                return
            yield _encode(item, dumps)
    finally:
        if pending is not None:
            pending.cancel()
            try:
                await pending
            except BaseException:  # noqa: S110 - the cancelled step's own ending
                pass
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
