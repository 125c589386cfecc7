"""Where cached values live: in this process (``SimpleCache``), in Redis
(``RedisCache``), or nowhere (``NullCache``).

Every backend has the same calls, each with an ``async`` twin (``get_async``, ...), and
the same value semantics: a value is stored as a copy (pickled), so changing an object
after ``set`` does not change what ``get`` returns. ``timeout`` is in seconds; ``0``
means no expiry.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import threading
import time
from collections import OrderedDict
from typing import Any

from ..redis_clients import RedisClients

__all__ = ["BaseCache", "NullCache", "RedisCache", "SimpleCache"]

logger = logging.getLogger("carboy.ext.cache")


def _check_timeout(timeout: float) -> float:
    if timeout < 0:
        raise ValueError(
            f"A cache timeout must be >= 0 seconds (0: never), not {timeout}."
        )
    return timeout


class BaseCache:
    """The calls every backend answers. ``get`` gives ``default`` for a missing or
    expired key; ``set`` overwrites; ``delete`` says whether the key was there."""

    def __init__(self, default_timeout: float = 300) -> None:
        self.default_timeout = _check_timeout(default_timeout)

    def _timeout(self, timeout: float | None) -> float:
        return self.default_timeout if timeout is None else _check_timeout(timeout)

    def get(self, key: str, default: Any = None) -> Any:
        raise NotImplementedError

    def set(self, key: str, value: Any, timeout: float | None = None) -> bool:
        raise NotImplementedError

    def delete(self, key: str) -> bool:
        raise NotImplementedError

    def clear(self) -> bool:
        raise NotImplementedError

    # The in-process backends answer at once: their async calls are the sync ones.
    async def get_async(self, key: str, default: Any = None) -> Any:
        return self.get(key, default)

    async def set_async(
        self, key: str, value: Any, timeout: float | None = None
    ) -> bool:
        return self.set(key, value, timeout)

    async def delete_async(self, key: str) -> bool:
        return self.delete(key)

    async def clear_async(self) -> bool:
        return self.clear()


class NullCache(BaseCache):
    """Stores nothing: every ``get`` misses (for tests and for turning caching off)."""

    def get(self, key: str, default: Any = None) -> Any:
        return default

    def set(self, key: str, value: Any, timeout: float | None = None) -> bool:
        self._timeout(timeout)
        return True

    def delete(self, key: str) -> bool:
        return False

    def clear(self) -> bool:
        return True


class SimpleCache(BaseCache):
    """An in-process cache for one machine: at most ``threshold`` entries, the least
    recently used going first, each with its own expiry. Thread-safe (one lock, held
    only for dictionary work). Every process has its own: use Redis for many."""

    def __init__(self, default_timeout: float = 300, threshold: int = 500) -> None:
        super().__init__(default_timeout)
        if threshold < 1:
            raise ValueError(f"CACHE_THRESHOLD must be at least 1, not {threshold}.")
        self.threshold = threshold
        self._lock = threading.Lock()
        # key -> (expires at on the monotonic clock, or 0 for never; pickled value)
        self._data: OrderedDict[str, tuple[float, bytes]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._data)

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return default
            expires, data = entry
            if expires and expires <= time.monotonic():
                del self._data[key]
                return default
            self._data.move_to_end(key)
        return pickle.loads(data)

    def set(self, key: str, value: Any, timeout: float | None = None) -> bool:
        timeout = self._timeout(timeout)
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        expires = time.monotonic() + timeout if timeout else 0.0
        with self._lock:
            self._data[key] = (expires, data)
            self._data.move_to_end(key)
            if len(self._data) > self.threshold:
                self._evict()
        return True

    def _evict(self) -> None:
        """Drop expired entries, then the least recently used, down to the bound."""
        now = time.monotonic()
        for key in [k for k, (exp, _) in self._data.items() if exp and exp <= now]:
            del self._data[key]
        while len(self._data) > self.threshold:
            self._data.popitem(last=False)

    def delete(self, key: str) -> bool:
        with self._lock:
            return self._data.pop(key, None) is not None

    def clear(self) -> bool:
        with self._lock:
            self._data.clear()
        return True


class RedisCache(BaseCache):
    """A cache in Redis, shared by every process and machine that uses the same URL
    and ``key_prefix``.

    NOTE: values are pickled, and unpickling runs code named by the data. So each value
    is signed (HMAC-SHA256 with ``signing_key``, the app's ``SECRET_KEY`` by default),
    and a value without a valid signature (written by someone who can reach Redis but
    does not know the key) is a miss, never unpickled.
    """

    def __init__(
        self,
        url: str,
        signing_key: str | bytes,
        default_timeout: float = 300,
        key_prefix: str = "",
        **options: Any,
    ) -> None:
        super().__init__(default_timeout)
        if not signing_key:
            raise ValueError(
                "The Redis cache signs what it stores: set SECRET_KEY (or"
                " CACHE_SIGNING_KEY) in the app's config."
            )
        if isinstance(signing_key, str):
            signing_key = signing_key.encode()
        self._signing_key = hashlib.sha256(b"carboy.ext.cache" + signing_key).digest()
        self.key_prefix = key_prefix
        self.clients = RedisClients(url, **options)

    # -- values on the wire ---------------------------------------------------------

    def _dumps(self, value: Any) -> bytes:
        data = pickle.dumps(value, pickle.HIGHEST_PROTOCOL)
        return hmac.new(self._signing_key, data, hashlib.sha256).digest() + data

    def _loads(self, key: str, raw: bytes | None, default: Any) -> Any:
        if raw is None:
            return default
        mac, data = raw[:32], raw[32:]
        if not hmac.compare_digest(
            mac, hmac.new(self._signing_key, data, hashlib.sha256).digest()
        ):
            logger.warning("Cache entry %r has a bad signature; ignored.", key)
            return default
        return pickle.loads(data)

    def _set_args(self, key: str, value: Any, timeout: float | None) -> dict[str, Any]:
        seconds = self._timeout(timeout)
        args: dict[str, Any] = {
            "name": self.key_prefix + key,
            "value": self._dumps(value),
        }
        if seconds:
            args["px"] = max(1, int(seconds * 1000))
        return args

    def _pattern(self) -> str:
        # NOTE: SCAN's MATCH is a glob: escape the prefix's own glob characters.
        escaped = "".join("\\" + c if c in "*?[]\\" else c for c in self.key_prefix)
        return escaped + "*"

    # -- sync -----------------------------------------------------------------------

    def get(self, key: str, default: Any = None) -> Any:
        return self._loads(key, self.clients.sync().get(self.key_prefix + key), default)

    def set(self, key: str, value: Any, timeout: float | None = None) -> bool:
        return bool(self.clients.sync().set(**self._set_args(key, value, timeout)))

    def delete(self, key: str) -> bool:
        return bool(self.clients.sync().delete(self.key_prefix + key))

    def clear(self) -> bool:
        """Delete every key under ``key_prefix`` (all keys when it is empty)."""
        client = self.clients.sync()
        batch: list[bytes] = []
        for name in client.scan_iter(match=self._pattern(), count=500):
            batch.append(name)
            if len(batch) >= 500:
                client.delete(*batch)
                batch.clear()
        if batch:
            client.delete(*batch)
        return True

    # -- async ----------------------------------------------------------------------

    async def get_async(self, key: str, default: Any = None) -> Any:
        client = await self.clients.aio()
        return self._loads(key, await client.get(self.key_prefix + key), default)

    async def set_async(
        self, key: str, value: Any, timeout: float | None = None
    ) -> bool:
        client = await self.clients.aio()
        return bool(await client.set(**self._set_args(key, value, timeout)))

    async def delete_async(self, key: str) -> bool:
        client = await self.clients.aio()
        return bool(await client.delete(self.key_prefix + key))

    async def clear_async(self) -> bool:
        client = await self.clients.aio()
        batch: list[bytes] = []
        async for name in client.scan_iter(match=self._pattern(), count=500):
            batch.append(name)
            if len(batch) >= 500:
                await client.delete(*batch)
                batch.clear()
        if batch:
            await client.delete(*batch)
        return True
