"""The two algorithms on a controlled clock (in memory) and their arithmetic: the
boundary burst a fixed window allows and a sliding window refuses, Retry-After values,
all-or-nothing counting of several limits, and a counter table that cannot grow
without bound."""

from __future__ import annotations

import asyncio

import pytest

from carboy.ext.limiter import MemoryStorage, RateLimit
from carboy.ext.limiter.storage import fixed_state, sliding_state

TEN_PER_MINUTE = RateLimit(10, 1, "minute")


class Clock:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock(60_000 * 1000)  # the start of a clock window
    monkeypatch.setattr(MemoryStorage, "_now_ms", staticmethod(clock))
    return clock


def hits(storage: MemoryStorage, n: int, strategy: str, key: str = "k") -> int:
    return sum(
        all(s.allowed for s in storage.hit([(key, TEN_PER_MINUTE)], strategy))
        for _ in range(n)
    )


def test_boundary_burst_fixed_allows_sliding_refuses(clock: Clock) -> None:
    fixed, sliding = MemoryStorage(), MemoryStorage()
    assert hits(fixed, 1, "fixed-window") == 1  # the fixed window opens here
    assert hits(sliding, 1, "sliding-window") == 1
    clock.ms += 59_000  # late in the window
    assert hits(fixed, 9, "fixed-window") == 9
    assert hits(sliding, 9, "sliding-window") == 9
    clock.ms += 1_000  # a new window
    # Fixed: 10 more, 19 requests within about one second. Sliding: the previous
    # window still weighs all of its 10, so nothing more passes yet.
    assert hits(fixed, 10, "fixed-window") == 10
    assert hits(sliding, 10, "sliding-window") == 0
    clock.ms += 30_000  # half way: the previous window weighs 10 * 30/60 = 5
    assert hits(sliding, 10, "sliding-window") == 5


def test_sliding_retry_after(clock: Clock) -> None:
    storage = MemoryStorage()
    clock.ms += 20_000
    assert hits(storage, 10, "sliding-window") == 10
    (state,) = storage.hit([("k", TEN_PER_MINUTE)], "sliding-window")
    # The next window starts in 40 s; there the 10 weigh 10 * (1 - f) and one more
    # fits once that is <= 9: f >= 0.1, 6 s in.
    assert (state.allowed, state.remaining) == (False, 0)
    assert state.retry_after == pytest.approx(46.0)
    clock.ms += 46_000
    assert hits(storage, 1, "sliding-window") == 1


def test_sliding_state_arithmetic() -> None:
    # Room left: reset is the end of the current window.
    state = sliding_state(TEN_PER_MINUTE, 2, 6, 30_000, counted=True)
    assert (state.allowed, state.remaining, state.reset) == (True, 4, 30.0)
    # Full because of the previous window: wait until it weighs little enough.
    state = sliding_state(TEN_PER_MINUTE, 5, 10, 6_000, counted=False)
    assert not state.allowed
    assert state.retry_after == pytest.approx(30.0)  # at 36 s: 10 * 24/60 + 5 + 1 = 10
    # A one-request limit, counted in the current window.
    one = RateLimit(1, 1, "second")
    state = sliding_state(one, 1, 0, 200, counted=False)
    assert (state.allowed, state.retry_after) == (False, pytest.approx(0.8 + 1.0))


def test_fixed_state_arithmetic() -> None:
    state = fixed_state(TEN_PER_MINUTE, 3, 45_000, counted=True)
    assert (state.allowed, state.remaining, state.reset, state.retry_after) == (
        True,
        7,
        45.0,
        0.0,
    )
    state = fixed_state(TEN_PER_MINUTE, 10, 12_500, counted=False)
    assert (state.allowed, state.remaining, state.retry_after) == (False, 0, 12.5)
    state = fixed_state(TEN_PER_MINUTE, 0, -2, counted=False)  # no counter yet
    assert (state.allowed, state.reset) == (True, 60.0)


@pytest.mark.parametrize("strategy", ["sliding-window", "fixed-window"])
def test_all_or_nothing(clock: Clock, strategy: str) -> None:
    storage = MemoryStorage()
    minute, hour = RateLimit(2, 1, "minute"), RateLimit(5, 1, "hour")
    both = [("min", minute), ("hour", hour)]
    allowed = [all(s.allowed for s in storage.hit(both, strategy)) for _ in range(4)]
    assert allowed == [True, True, False, False]
    (state,) = storage.hit([("hour", hour)], strategy)
    assert (state.allowed, state.remaining) == (True, 2)
    assert asyncio.run(storage.hit_async([("hour", hour)], strategy))[0].remaining == 1


@pytest.mark.parametrize("strategy", ["sliding-window", "fixed-window"])
def test_many_clients_cannot_grow_the_table_without_bound(
    clock: Clock, strategy: str
) -> None:
    storage = MemoryStorage()
    limit = RateLimit(1, 1, "second")
    for round_ in range(5):
        for i in range(1000):
            storage.hit([(f"client-{round_}-{i}", limit)], strategy)
        clock.ms += 3_000  # every earlier counter has expired
    assert len(storage._data) <= 2048
    storage.clear()
    assert len(storage._data) == 0


def test_a_counter_two_windows_old_is_forgotten(clock: Clock) -> None:
    storage = MemoryStorage()
    assert hits(storage, 10, "sliding-window") == 10
    clock.ms += 120_000
    assert hits(storage, 10, "sliding-window") == 10
