"""Redis clients for the batteries with a Redis backend (``carboy.ext.cache``,
``carboy.ext.limiter``), through the ``redis`` library (``pip install 'carboy[redis]'``).

One URL gives a thread-safe sync client for ``def`` code and one ``redis.asyncio`` client
per event loop for ``async def`` code.

NOTE: a ``redis.asyncio`` connection belongs to the event loop it was opened on, and a
process may run several loops (one per WSGI worker thread that runs ``async def`` views,
a test client's loop per request). So each loop gets its own client, and the client is
closed when its loop shuts down: a small async generator, first run on that loop, is
closed by the loop's ``shutdown_asyncgens()`` (``asyncio.run`` and ``asyncio.Runner``
call it), and closing it closes the client's connections before the loop ends.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator
from typing import Any


def import_redis() -> Any:
    """The ``redis`` module, or an ImportError that says how to install it."""
    try:
        import redis
        import redis.asyncio
    except ImportError as e:  # pragma: no cover - redis is in the dev extra
        raise ImportError(
            "The Redis backend needs the 'redis' library: pip install 'carboy[redis]'."
        ) from e
    return redis


class RedisClients:
    """The sync client and the per-loop async clients for one Redis URL."""

    def __init__(self, url: str, **options: Any) -> None:
        self.url = url
        self.options = options
        self._redis = import_redis()
        self._sync: Any = None
        self._lock = threading.Lock()
        self._async: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, tuple[Any, AsyncGenerator[None, None]]
        ] = weakref.WeakKeyDictionary()

    def sync(self) -> Any:
        """The sync client (a thread-safe connection pool), made on first use."""
        client = self._sync
        if client is None:
            with self._lock:
                if self._sync is None:
                    self._sync = self._redis.Redis.from_url(self.url, **self.options)
                client = self._sync
        return client

    async def aio(self) -> Any:
        """The ``redis.asyncio`` client of the running event loop."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._async.get(loop)
        if entry is not None:
            return entry[0]
        client = self._redis.asyncio.Redis.from_url(self.url, **self.options)
        holder = self._close_with_loop(loop, client)
        await holder.__anext__()  # registers it with the loop's shutdown_asyncgens
        with self._lock:
            self._async[loop] = (client, holder)
        return client

    async def _close_with_loop(
        self, loop: asyncio.AbstractEventLoop, client: Any
    ) -> AsyncGenerator[None, None]:
        try:
            yield
        finally:
            with self._lock:
                # NOTE: the generator holds the loop (its finalizer hook), so the entry
                # must go explicitly or the weak key would never die.
                if self._async.get(loop, (None,))[0] is client:
                    del self._async[loop]
            await client.aclose()

    async def aclose(self) -> None:
        """Close the running loop's async client now (it reconnects if used again)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._async.pop(loop, None)
        if entry is not None:
            await entry[1].aclose()  # its cleanup closes the client

    def close(self) -> None:
        """Close the sync client's connections (it reconnects if used again)."""
        with self._lock:
            client, self._sync = self._sync, None
        if client is not None:
            client.close()
