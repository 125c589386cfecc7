"""The request body under ASGI: received from the ``http.request`` messages, once, on
demand, into memory or a temporary file.

Bounded by the request's ``max_content_length`` as it arrives (receiving pauses past
the limit in force, so a hook can still raise it for this request; a reader past it
gets a 413), and by ``BODY_TIMEOUT`` seconds for all of it, from the first message to
the last (408). A client that disconnects mid-body ends the request.
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from types import CoroutineType
from typing import TYPE_CHECKING, Any

from .bridge import run_in_thread, run_sync_on
from .exceptions import (
    ClientDisconnected,
    HTTPException,
    RequestEntityTooLarge,
    RequestTimeout,
)
from .sansio.forms import SPOOL_THRESHOLD as SPOOL_THRESHOLD_FORMS
from .types import Message, Receive

if TYPE_CHECKING:  # pragma: no cover
    from .app import Request


#: Bodies up to this size stay in memory; larger ones spool to a temporary file.
SPOOL_THRESHOLD = 1024 * 1024


def _body_timeout(timeout: float | None) -> RequestTimeout:
    return RequestTimeout(
        f"The request body did not arrive within {timeout} seconds (BODY_TIMEOUT)."
    )


class ASGIBody:
    """The request body under ASGI: received once, on demand, into memory or a file.

    It is received as far as the request's ``max_content_length`` in force allows.
    Past it (or when ``Content-Length`` says so) receiving pauses, keeping what
    arrived (the message that crossed the limit stays unread), and no error is raised
    yet: a hook or the view may still change the limit for this request. The next
    :meth:`load` resumes under the limit in force then; a reader of a paused body
    (:meth:`read`) gets a 413.
    """

    __slots__ = (
        "_receive",
        "_loop",
        "_request",
        "_buffer",
        "loaded",
        "paused",
        "_timeout",
        "size",
        "_first",
        "_started",
        "_spooled",
        "_error",
        "disconnected",
    )

    def __init__(
        self,
        receive: Receive,
        loop: asyncio.AbstractEventLoop,
        timeout: float | None,
        first: Message | None = None,
        started: float | None = None,
    ) -> None:
        self._receive = receive
        self._loop = loop
        self._request: Request | None = None
        self._buffer: Any = None
        self.loaded = False
        #: Whether receiving stopped at the limit in force at the last :meth:`load`.
        self.paused = False
        self._timeout = timeout
        #: The bytes received so far (the whole body's size once loaded).
        self.size = 0
        #: A message received but not taken yet: the first one (to learn whether
        #: there is a body at all), or the one that crossed the limit.
        self._first = first
        #: When receiving began: BODY_TIMEOUT counts from here, across pauses.
        self._started = started
        self._spooled = False
        #: The error that ended receiving, raised again to every later reader.
        self._error: HTTPException | None = None
        #: Whether the client sent ``http.disconnect`` before the body's end.
        self.disconnected = False

    async def load(self) -> None:
        """Receive the body (bounded in size and time) as far as the request's limit
        in force allows, pausing past it; errors are kept."""
        if self.loaded:
            return
        if self._error is not None:
            raise self._error
        try:
            await self._load()
        except HTTPException as e:
            self._error = e
            raise

    async def _load(self) -> None:
        request = self._request
        assert request is not None
        bounds = self._bounds(request)
        self.paused = bounds is None
        if bounds is None:
            return
        length, limit = bounds
        timeout = self._timeout
        if self._started is None:
            self._started = self._loop.time()
        deadline = None
        if timeout is not None:
            # NOTE: one deadline for the whole body, from the first read to the last
            # byte, pauses included: a client trickling a byte at a time (or a view
            # that resumes late) cannot reset it.
            deadline = self._started + timeout
        if self._buffer is None:
            self._buffer = io.BytesIO()
        total = self.size
        more = True
        message: Message | None = self._first
        self._first = None
        while more:
            if message is None:
                try:
                    message = await _receive_by(self._receive, deadline)
                except TimeoutError:
                    raise _body_timeout(timeout) from None
            assert message is not None
            if message["type"] == "http.disconnect":
                self.disconnected = True
                raise ClientDisconnected()
            chunk = message.get("body", b"")
            more = message.get("more_body", False)
            if length is not None and total + len(chunk) > length:
                # NOTE: bytes past the Content-Length are not this request's (a
                # server never sends them; WSGI would not read them): cut, as there.
                chunk = chunk[: length - total]
            elif limit is not None and total + len(chunk) > limit:
                # Past the limit in force: keep the message unread and pause; the
                # reader decides with the limit in force when it reads.
                self._first = message
                self.paused = True
                return
            message = None
            total += len(chunk)
            self.size = total
            if self._spooled or total > SPOOL_THRESHOLD:
                await self._spool(request, chunk)
            else:
                self._buffer.write(chunk)
        if length is not None and total < length:
            raise ClientDisconnected()
        self._buffer.seek(0)
        self.loaded = True

    def _bounds(self, request: Request) -> tuple[int | None, int | None] | None:
        """The declared length and the limit in force; ``None`` (pause) when the body
        is over that limit already, by its ``Content-Length`` or by what arrived."""
        try:
            length = request._check_length()
        except RequestEntityTooLarge:
            return None  # the length says too large: receive nothing (yet)
        limit = request.max_content_length
        if limit is not None and self.size > limit:
            return None  # lowered below what arrived before a pause
        return length, limit

    async def _spool(self, request: Request, chunk: bytes) -> None:
        """Keep a chunk in a temporary file (opened with what came before it)."""
        # NOTE: disk writes must not block the event loop: spool in a thread.
        if not self._spooled:
            file = await run_in_thread(tempfile.TemporaryFile)
            request.add_cleanup(file.close)
            await run_in_thread(file.write, self._buffer.getvalue())
            self._buffer = file
            self._spooled = True
        await run_in_thread(self._buffer.write, chunk)

    def needs_form_parsing(self) -> bool:
        """Whether the received body is a multipart form nobody has parsed yet that is
        large enough for a part to be spooled to disk (smaller ones parse in memory,
        where a thread hop would cost more than the parse)."""
        request = self._request
        return (
            request is not None
            and self.loaded
            and self.size > SPOOL_THRESHOLD_FORMS
            and request._form is None
            and request.mimetype == "multipart/form-data"
        )

    def parse_form(self) -> None:
        """Parse the form now (called in a worker thread before async code runs)."""
        assert self._request is not None
        self._request._load_form_data()

    def read(self, size: int = -1) -> bytes:
        """Read from the received body, receiving it first when in a worker thread
        (as far as the request's limit in force allows: 413 past it)."""
        if self._error is not None:
            raise self._error
        if not self.loaded:
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is not self._loop:
                run_sync_on(self._loop, self.load())
            elif not self.paused:
                raise RuntimeError(
                    "The request body was not received yet. Under ASGI, read it from a"
                    " plain view (run in a thread) or an async def view."
                )
            if self.paused:
                # NOTE: on the loop, receiving cannot resume without blocking it: a
                # function running there (an async def view) has the body as it
                # was received before it started, under the limit in force then.
                raise RequestEntityTooLarge()
        data: bytes = self._buffer.read(size) if size >= 0 else self._buffer.read()
        return data


async def _receive_by(receive: Receive, deadline: float | None) -> Message:
    """The next message, received no later than ``deadline`` (``TimeoutError``).

    PERF: a message the server has ready (a body that came with its headers) comes
    back from the first step of ``receive()``: no timer is set for it. Only one that
    must be waited for is awaited under ``asyncio.timeout_at``.
    """
    pending: Any = receive()
    if type(pending) is CoroutineType:
        try:
            waiting = pending.send(None)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        pending = _Resumed(pending, waiting)
    async with asyncio.timeout_at(deadline):
        return await pending  # type: ignore[no-any-return]


class _Resumed:
    """Awaits a coroutine that has already taken its first step and yielded
    ``waiting`` (the future it waits for): the rest of its steps, as ``await`` would.

    NOTE: what the task throws in while it waits (cancellation, the timeout's
    ``CancelledError``) goes into the coroutine, where the wait is.
    """

    __slots__ = ("_coro", "_waiting")

    def __init__(self, coro: Any, waiting: Any) -> None:
        self._coro = coro
        self._waiting = waiting

    def __await__(self) -> Any:
        coro, waiting = self._coro, self._waiting
        self._coro = self._waiting = None
        while True:
            try:
                sent = yield waiting
            except BaseException as e:  # thrown in by the task: the coroutine's
                try:
                    waiting = coro.throw(e)
                except StopIteration as done:
                    return done.value
                continue
            try:
                waiting = coro.send(sent)
            except StopIteration as done:
                return done.value
