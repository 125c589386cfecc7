"""Event loops owned by worker threads, for ``async def`` code called from sync code
(async views under WSGI, ``ensure_sync``)."""

from __future__ import annotations

import contextvars
import sys
import threading
from typing import Any


class _ThreadRunner:
    """A thread's event loop runner, closed when the thread ends (its locals go)."""

    __slots__ = ("runner",)

    def __init__(self) -> None:
        import asyncio  # PERF: loaded only by the first async call under WSGI

        self.runner = asyncio.Runner()
        # NOTE: a Runner keeps a copy of the context current when its loop is made;
        # made inside a request, that copy would hold the request (and its app) for
        # the thread's life. Make the loop in an empty context instead.
        contextvars.Context().run(self.runner.get_loop)

    def __del__(self) -> None:
        if sys.is_finalizing():
            # NOTE: closing shuts the loop's executor down from a new thread, and no
            # thread can start while the interpreter exits: that would hang forever.
            return
        import asyncio

        try:
            asyncio.get_running_loop()
        except RuntimeError:
            self.runner.close()
        else:
            # NOTE: collected on a thread whose own loop is running (a dead worker
            # thread's locals go wherever the collector runs): Runner.close() would
            # make a shutdown coroutine it cannot run there, leaving it unawaited.
            # Close the loop without running it.
            self.runner.get_loop().close()


class _ThreadLoops(threading.local):
    """One event loop per worker thread, for async views under WSGI."""

    holder: _ThreadRunner | None = None


_thread_loops = _ThreadLoops()


def run_coroutine_sync(coro: Any) -> Any:
    """Run a coroutine to completion from sync code, on this thread's own event loop."""
    holder = _thread_loops.holder
    if holder is None:
        holder = _thread_loops.holder = _ThreadRunner()
    runner = holder.runner
    # NOTE: a Runner reuses the context it copied when it was created; without a fresh
    # copy, a coroutine would see the request of the first one run on this thread.
    return runner.run(coro, context=contextvars.copy_context())
