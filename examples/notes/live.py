"""Live updates: each user's open pages hear about their notes over a WebSocket.

A view that changes a note calls :func:`publish`; every WebSocket that user has open
(:func:`subscribe`) gets the event. Views run in worker threads and sockets on event
loops, so an event is handed to each socket's own loop with ``call_soon_threadsafe``.

The hub lives in the process: with several worker processes or hosts, publish through
a shared broker instead (Redis pub/sub, PostgreSQL ``LISTEN/NOTIFY``).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from carboy import current_app

#: Events a slow page may fall behind by before it misses some.
QUEUE_SIZE = 100


class Hub:
    """User id -> the queues of that user's open sockets."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._queues: dict[
            int, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[Any]]]
        ] = {}

    def publish(self, user_id: int, event: dict[str, Any]) -> None:
        with self._lock:
            targets = list(self._queues.get(user_id, ()))
        for loop, queue in targets:
            try:
                loop.call_soon_threadsafe(_put, queue, event)
            except RuntimeError:  # that socket's loop has closed
                pass

    @asynccontextmanager
    async def subscribe(self, user_id: int) -> AsyncIterator[asyncio.Queue[Any]]:
        entry = (asyncio.get_running_loop(), asyncio.Queue[Any](QUEUE_SIZE))
        with self._lock:
            self._queues.setdefault(user_id, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                queues = self._queues[user_id]
                queues.discard(entry)
                if not queues:
                    del self._queues[user_id]

    def listeners(self, user_id: int) -> int:
        with self._lock:
            return len(self._queues.get(user_id, ()))


def _put(queue: asyncio.Queue[Any], event: dict[str, Any]) -> None:
    try:
        queue.put_nowait(event)
    except asyncio.QueueFull:
        pass  # the page is not reading; it reloads to catch up


def hub() -> Hub:
    return current_app.extensions["notes.live"]  # type: ignore[no-any-return]


def publish(user_id: int, kind: str, **data: Any) -> None:
    """Tell ``user_id``'s open pages that something happened (``kind``: ``created``,
    ``updated``, ``deleted``)."""
    hub().publish(user_id, {"type": kind, **data})
