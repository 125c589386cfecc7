"""carboy.bridge's worker pool: limits, errors and abandoned work."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from typing import Any

import pytest

from carboy import bridge


def _run(workers: bridge._Workers, func: Any, *args: Any) -> Any:
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        workers.submit(loop, future, contextvars.copy_context(), (func, *args))
        return await future

    return asyncio.run(main())


def test_work_past_the_thread_limit_waits_for_a_free_thread() -> None:
    workers = bridge._Workers(1)
    gate = threading.Event()
    names: list[str] = []

    def job(n: int) -> int:
        gate.wait(5)
        names.append(threading.current_thread().name)
        return n * 10

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        futures = [loop.create_future() for _ in range(3)]
        for n, future in enumerate(futures):
            workers.submit(loop, future, contextvars.copy_context(), (job, n))
        gate.set()
        return list(await asyncio.gather(*futures))

    assert asyncio.run(main()) == [0, 10, 20]
    assert names == ["carboy-sync"] * 3  # one thread did all three, in order
    assert workers._threads == 1


def test_an_exception_reaches_the_awaiting_coroutine() -> None:
    def fail() -> None:
        raise KeyError("gone")

    with pytest.raises(KeyError, match="gone"):
        _run(bridge._Workers(2), fail)


def test_abandoned_work_is_not_run() -> None:
    workers = bridge._Workers(1)
    gate = threading.Event()
    ran: list[str] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()
        busy, abandoned = loop.create_future(), loop.create_future()
        workers.submit(loop, busy, contextvars.copy_context(), (gate.wait, 5))
        workers.submit(
            loop, abandoned, contextvars.copy_context(), (ran.append, "abandoned")
        )
        abandoned.cancel()  # the request went away before a thread took it
        gate.set()
        await busy
        done = loop.create_future()
        workers.submit(loop, done, contextvars.copy_context(), (ran.append, "next"))
        await done

    asyncio.run(main())
    assert ran == ["next"]
