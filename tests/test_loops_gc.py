"""A worker thread's event loop (async views under WSGI) collected while another loop
runs on the collecting thread: it is closed quietly, without an unawaited coroutine."""

from __future__ import annotations

import asyncio
import gc

from carboy.bridge import _ThreadRunner


def test_thread_loop_collected_while_a_loop_runs() -> None:
    holders = [_ThreadRunner()]
    loop = holders[0].runner.get_loop()

    async def main() -> None:
        holders.clear()  # the last reference: __del__ runs inside this running loop
        gc.collect()

    asyncio.run(main())
    gc.collect()
    assert loop.is_closed()
