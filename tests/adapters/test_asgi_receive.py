"""``_receive_by``: a body message within the body's deadline, with no timer for a
message the server has ready.

The body timeout itself is tested end to end in test_asgi_bodies.py; these pin down
the hand-over of a receive coroutine that has taken its first step: whatever the
server's ``receive`` does (return at once, wait, fail, get cancelled), the caller sees
exactly what ``await receive()`` would have given it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from carboy.asgi_body import _receive_by

MESSAGE = {"type": "http.request", "body": b"x", "more_body": False}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_a_ready_message_sets_no_timer() -> None:
    async def main() -> Any:
        async def receive() -> dict[str, Any]:
            return MESSAGE

        loop = asyncio.get_running_loop()
        before = len(loop._scheduled)  # type: ignore[attr-defined]
        message = await _receive_by(receive, loop.time() + 10)
        return message, len(loop._scheduled) - before  # type: ignore[attr-defined]

    message, timers = run(main())
    assert message is MESSAGE
    assert timers == 0


def test_a_message_that_must_be_waited_for_arrives() -> None:
    async def main() -> Any:
        arrived = asyncio.get_running_loop().create_future()

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0)  # a bare yield first
            return await arrived  # type: ignore[no-any-return]

        asyncio.get_running_loop().call_later(0.01, arrived.set_result, MESSAGE)
        return await _receive_by(receive, asyncio.get_running_loop().time() + 5)

    assert run(main()) is MESSAGE


def test_the_deadline_ends_the_wait_and_the_receive_coroutine() -> None:
    cleaned: list[str] = []

    async def main() -> None:
        async def receive() -> dict[str, Any]:
            try:
                await asyncio.sleep(10)
            finally:
                cleaned.append("receive")
            return MESSAGE

        await _receive_by(receive, asyncio.get_running_loop().time() + 0.02)

    with pytest.raises(TimeoutError):
        run(main())
    assert cleaned == ["receive"]


def test_no_deadline_waits_as_long_as_it_takes() -> None:
    async def main() -> Any:
        async def receive() -> dict[str, Any]:
            await asyncio.sleep(0.02)
            return MESSAGE

        return await _receive_by(receive, None)

    assert run(main()) is MESSAGE


def test_cancelling_the_task_cancels_the_receive_where_it_waits() -> None:
    seen: list[str] = []

    async def main() -> None:
        async def receive() -> dict[str, Any]:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                seen.append("cancelled in receive")
                raise
            return MESSAGE

        task = asyncio.ensure_future(
            _receive_by(receive, asyncio.get_running_loop().time() + 5)
        )
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    run(main())
    assert seen == ["cancelled in receive"]


def test_a_receive_that_catches_the_cancellation_answers_it() -> None:
    async def main() -> Any:
        async def receive() -> dict[str, Any]:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                return {"type": "http.disconnect"}
            return MESSAGE

        task = asyncio.ensure_future(_receive_by(receive, None))
        await asyncio.sleep(0.01)
        task.cancel()
        return await task

    assert run(main()) == {"type": "http.disconnect"}


@pytest.mark.parametrize("wait", [False, True])
def test_an_error_in_receive_reaches_the_caller(wait: bool) -> None:
    async def main() -> None:
        async def receive() -> dict[str, Any]:
            if wait:
                await asyncio.sleep(0.01)
            raise OSError("the connection broke")

        await _receive_by(receive, asyncio.get_running_loop().time() + 5)

    with pytest.raises(OSError, match="the connection broke"):
        run(main())


def test_a_receive_returning_a_future_is_awaited_under_the_deadline() -> None:
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        ready = loop.create_future()
        loop.call_later(0.01, ready.set_result, MESSAGE)
        first = await _receive_by(lambda: ready, loop.time() + 5)
        never = loop.create_future()
        try:
            await _receive_by(lambda: never, loop.time() + 0.02)
        except TimeoutError:
            return first, never.cancelled()
        return first, None

    assert run(main()) == (MESSAGE, True)
