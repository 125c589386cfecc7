"""Where rate limit counters live: this process (``MemoryStorage``) or Redis
(``RedisStorage``, shared by every instance that uses it), and the two algorithms.

- **Fixed window** (``"fixed-window"``): a counter per client that starts at its first
  request and expires one window later. Cheap and exact, but a client can send a full
  window's amount at the end of one window and again at the start of the next.
- **Sliding window** (``"sliding-window"``, the default): the counts of the current and
  the previous fixed window, the previous one weighted by how much of it still falls
  inside the last window's length (Cloudflare's "sliding window counter"). It smooths
  that boundary burst away in the same two numbers per client.

A request checked against several limits (``"5/minute;100/hour"``) is counted in all
of them or, when any is full, in none, atomically: under one lock in memory, in one Lua
script in Redis (which reads the clock with ``TIME``, so instances with skewed clocks
still agree on the windows).
"""

from __future__ import annotations

import abc
import math
import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..redis_clients import RedisClients
from .limits import RateLimit

__all__ = ["LimitState", "MemoryStorage", "RedisStorage", "Storage", "STRATEGIES"]

STRATEGIES = ("sliding-window", "fixed-window")


@dataclass(frozen=True)
class LimitState:
    """One limit after a request: whether it had room, what is left, and seconds until
    it resets (``reset``) or, when full, until a request would pass (``retry_after``)."""

    limit: RateLimit
    allowed: bool
    remaining: int
    reset: float
    retry_after: float


def fixed_state(limit: RateLimit, count: int, ttl_ms: int, counted: bool) -> LimitState:
    """A fixed window's state from its count (after this request when ``counted``) and
    the milliseconds its counter has left (negative: no counter yet)."""
    window_ms = limit.seconds * 1000
    reset = (ttl_ms if ttl_ms >= 0 else window_ms) / 1000
    full = (count if counted else count + 1) > limit.amount
    return LimitState(
        limit, not full, max(0, limit.amount - count), reset, reset if full else 0.0
    )


def sliding_state(
    limit: RateLimit, current: int, previous: int, elapsed_ms: int, counted: bool
) -> LimitState:
    """A sliding window's state from the counts before this request in the current and
    the previous window and the milliseconds elapsed in the current one."""
    amount = limit.amount
    window = limit.seconds * 1000
    weighted = previous * (window - elapsed_ms) / window + current
    full = weighted + 1 > amount
    after = weighted + 1 if counted else weighted
    remaining = max(0, math.floor(amount - after))
    if not full:
        return LimitState(limit, True, remaining, (window - elapsed_ms) / 1000, 0.0)
    if current + 1 > amount:
        # The next window, where this one's count weighs less as it passes.
        wait = (window - elapsed_ms) + window * (1 - (amount - 1) / current)
    else:
        # Later in this window, as the previous window's weight shrinks.
        wait = window - window * (amount - 1 - current) / previous - elapsed_ms
    wait = max(wait, 1.0) / 1000
    return LimitState(limit, False, remaining, wait, wait)


class Storage(abc.ABC):
    """Counts requests against limits: ``hit`` checks every ``(key, limit)`` pair and
    counts the request in all of them only if every one has room."""

    @abc.abstractmethod
    def hit(
        self, entries: Sequence[tuple[str, RateLimit]], strategy: str
    ) -> list[LimitState]: ...

    async def hit_async(
        self, entries: Sequence[tuple[str, RateLimit]], strategy: str
    ) -> list[LimitState]:
        return self.hit(entries, strategy)

    @abc.abstractmethod
    def clear(self, prefix: str = "") -> None:
        """Forget every counter whose key starts with ``prefix`` (a limiter's own)."""


class MemoryStorage(Storage):
    """Counters in this process (one machine, one process). Expired counters are swept
    as the table grows, so many clients cannot grow it without bound."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # key -> [count or window index, current, previous, expires at (ms)]
        self._data: dict[str, list[int]] = {}
        self._sweep_at = 1024

    @staticmethod
    def _now_ms() -> int:
        return int(time.monotonic() * 1000)

    def hit(
        self, entries: Sequence[tuple[str, RateLimit]], strategy: str
    ) -> list[LimitState]:
        now = self._now_ms()
        with self._lock:
            if len(self._data) >= self._sweep_at:
                self._sweep(now)
            if strategy == "fixed-window":
                return self._fixed(entries, now)
            return self._sliding(entries, now)

    def _sweep(self, now: int) -> None:
        for key in [k for k, v in self._data.items() if v[3] <= now]:
            del self._data[key]
        self._sweep_at = max(1024, 2 * len(self._data))

    def _fixed(
        self, entries: Sequence[tuple[str, RateLimit]], now: int
    ) -> list[LimitState]:
        seen = []
        for key, limit in entries:
            entry = self._data.get(key)
            if entry is None or entry[3] <= now:
                entry = [0, 0, 0, now + limit.seconds * 1000]
            seen.append(entry)
        ok = all(
            e[1] + 1 <= limit.amount
            for e, (_, limit) in zip(seen, entries, strict=True)
        )
        states = []
        for entry, (key, limit) in zip(seen, entries, strict=True):
            if ok:
                entry[1] += 1
                self._data[key] = entry
            states.append(fixed_state(limit, entry[1], entry[3] - now, ok))
        return states

    def _sliding(
        self, entries: Sequence[tuple[str, RateLimit]], now: int
    ) -> list[LimitState]:
        seen = []
        for key, limit in entries:
            window = limit.seconds * 1000
            index, elapsed = divmod(now, window)
            stored = self._data.get(key)
            current = previous = 0
            if stored is not None:
                if stored[0] == index:
                    current, previous = stored[1], stored[2]
                elif stored[0] == index - 1:
                    previous = stored[1]
            seen.append((index, current, previous, elapsed, window))
        # PERF: the room check inline; a state object only for the answer.
        ok = all(
            prev * (window - elapsed) / window + cur + 1 <= limit.amount
            for (_, cur, prev, elapsed, window), (_, limit) in zip(
                seen, entries, strict=True
            )
        )
        out = []
        for (index, cur, prev, elapsed, window), (key, limit) in zip(
            seen, entries, strict=True
        ):
            if ok:
                self._data[key] = [index, cur + 1, prev, (index + 2) * window]
            out.append(sliding_state(limit, cur, prev, elapsed, ok))
        return out

    def clear(self, prefix: str = "") -> None:
        with self._lock:
            if not prefix:
                self._data.clear()
                return
            for key in [key for key in self._data if key.startswith(prefix)]:
                del self._data[key]


# NOTE: both scripts check every limit first and count only if all have room, so a
# request refused by its hourly limit does not use up its per-minute one.
_FIXED = """
local ok = 1
local counts, ttls = {}, {}
for i = 1, #KEYS do
  local c = tonumber(redis.call('GET', KEYS[i]) or '0')
  counts[i] = c
  ttls[i] = redis.call('PTTL', KEYS[i])
  if c + 1 > tonumber(ARGV[2 * i - 1]) then ok = 0 end
end
if ok == 1 then
  for i = 1, #KEYS do
    local c = redis.call('INCR', KEYS[i])
    if c == 1 then
      redis.call('PEXPIRE', KEYS[i], ARGV[2 * i])
      ttls[i] = tonumber(ARGV[2 * i])
    end
    counts[i] = c
  end
end
local out = {ok}
for i = 1, #KEYS do
  out[#out + 1] = counts[i]
  out[#out + 1] = ttls[i]
end
return out
"""

_SLIDING = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ok = 1
local seen = {}
for i = 1, #KEYS do
  local amount = tonumber(ARGV[2 * i - 1])
  local w = tonumber(ARGV[2 * i])
  local index = math.floor(now / w)
  local elapsed = now - index * w
  local v = redis.call('HMGET', KEYS[i], 'i', 'c', 'p')
  local si, c, p = tonumber(v[1]), tonumber(v[2]) or 0, tonumber(v[3]) or 0
  if si == index - 1 then
    p = c
    c = 0
  elseif si ~= index then
    c = 0
    p = 0
  end
  if p * (w - elapsed) / w + c + 1 > amount then ok = 0 end
  seen[i] = {index, c, p, elapsed}
end
local out = {ok}
for i = 1, #KEYS do
  local s = seen[i]
  if ok == 1 then
    redis.call('HSET', KEYS[i], 'i', s[1], 'c', s[2] + 1, 'p', s[3])
    redis.call('PEXPIRE', KEYS[i], 2 * tonumber(ARGV[2 * i]))
  end
  out[#out + 1] = s[2]
  out[#out + 1] = s[3]
  out[#out + 1] = s[4]
end
return out
"""


#: What a Redis MATCH pattern treats as special: escaped in a literal prefix.
_GLOB_SPECIAL = re.compile(r"[\\*?\[\]^]")


class RedisStorage(Storage):
    """Counters in Redis: every app instance, process and machine that uses the same
    Redis database and key prefix shares them."""

    def __init__(self, url: str, **options: Any) -> None:
        self.clients = RedisClients(url, **options)

    @staticmethod
    def _args(entries: Sequence[tuple[str, RateLimit]]) -> tuple[list[str], list[int]]:
        keys = [key for key, _ in entries]
        args: list[int] = []
        for _, limit in entries:
            args += [limit.amount, limit.seconds * 1000]
        return keys, args

    @staticmethod
    def _states(
        raw: list[Any], entries: Sequence[tuple[str, RateLimit]], strategy: str
    ) -> list[LimitState]:
        ok = raw[0] == 1
        values = [int(v) for v in raw[1:]]
        if strategy == "fixed-window":
            return [
                fixed_state(limit, values[2 * i], values[2 * i + 1], ok)
                for i, (_, limit) in enumerate(entries)
            ]
        return [
            sliding_state(
                limit, values[3 * i], values[3 * i + 1], values[3 * i + 2], ok
            )
            for i, (_, limit) in enumerate(entries)
        ]

    def hit(
        self, entries: Sequence[tuple[str, RateLimit]], strategy: str
    ) -> list[LimitState]:
        keys, args = self._args(entries)
        script = _FIXED if strategy == "fixed-window" else _SLIDING
        client = self.clients.sync()
        raw = client.register_script(script)(keys=keys, args=args)
        return self._states(raw, entries, strategy)

    async def hit_async(
        self, entries: Sequence[tuple[str, RateLimit]], strategy: str
    ) -> list[LimitState]:
        keys, args = self._args(entries)
        script = _FIXED if strategy == "fixed-window" else _SLIDING
        client = await self.clients.aio()
        raw = await client.register_script(script)(keys=keys, args=args)
        return self._states(raw, entries, strategy)

    def clear(self, prefix: str = "") -> None:
        """Delete the counters under ``prefix`` from Redis (SCAN, then UNLINK in
        batches: Redis is never blocked by one big command)."""
        client = self.clients.sync()
        pattern = _GLOB_SPECIAL.sub(r"\\\g<0>", prefix) + "*"
        batch: list[bytes] = []
        for key in client.scan_iter(match=pattern, count=500):
            batch.append(key)
            if len(batch) == 500:
                client.unlink(*batch)
                batch.clear()
        if batch:
            client.unlink(*batch)
