"""The one place that decides how a user function runs: inline, on an event loop, or in
a worker thread.

Every user function (views, hooks, error handlers, signal receivers, session open and
save, teardowns, streamed bodies, body reads) is called through here, by one of two
drivers:

- :func:`call_sync` runs it in the current thread. A coroutine it returns runs to
  completion with :func:`run_sync`: on the request's event loop when the thread is an
  ASGI worker thread (so an ``async def`` hook of a plain view runs on the server's
  loop), else on an event loop owned by this thread (WSGI).
- :func:`make_async_call` (ASGI, on the loop) awaits an ``async def`` function's
  coroutine and runs a plain function in the worker pool (:func:`run_in_thread`), or
  on the loop's own thread when the user declared it non-blocking
  (``sync_to_thread=False``, see :class:`AsyncFlags`).

The worker pool is carboy's own (:class:`_Workers`): a plain view's request is one
hand-off to it and one back, with none of the general executor's bookkeeping.

No other module starts a thread, owns an executor, or runs an event loop for user code.
"""

from __future__ import annotations

import contextvars
import inspect
import sys
import threading
import types
import weakref
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from .ctx import _cv_ctx

if TYPE_CHECKING:  # pragma: no cover
    import asyncio
    import concurrent.futures

    from .dispatch import Step


class Body(Protocol):
    """What the bridge needs of a request body that arrives on an event loop (ASGI):
    it is received before an ``async def`` function runs, so ``request.form`` and
    ``request.get_json()`` work inside one without awaiting."""

    loaded: bool

    async def load(self) -> None: ...
    def needs_form_parsing(self) -> bool: ...
    def parse_form(self) -> None: ...


# -- which functions are async -------------------------------------------------------


def iscoroutinefunction(func: Callable[..., Any]) -> bool:
    """Whether calling ``func`` gives a coroutine: an ``async def`` function, one
    wrapped by decorators that set ``__wrapped__``, or an object whose ``__call__`` is
    ``async def``."""
    target = func
    while True:
        wrapped = getattr(target, "__wrapped__", None)
        if wrapped is None or inspect.iscoroutinefunction(target):
            break
        target = wrapped
    return inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        type(target).__call__
    )


#: A function's kind, as :class:`AsyncFlags` gives it: ``True`` for ``async def``,
#: ``False`` for a plain function (run in a worker thread under ASGI), ``ON_LOOP`` for a
#: plain function declared non-blocking (run on the event loop's thread under ASGI).
#: ``ON_LOOP`` is falsy, so "is it async?" reads the same for both plain kinds.
ON_LOOP: Any = None


class AsyncFlags:
    """``iscoroutinefunction`` remembered per function, without keeping any function
    alive: a closure made per request (``after_this_request``) is forgotten with it.

    Registered functions are looked up in a plain dict filled when the plan is
    compiled (:meth:`freeze`); anything else goes through a weak cache. The dict also
    knows which plain functions the user declared non-blocking (``ON_LOOP``); nothing
    else is ever run on an event loop's thread.
    """

    __slots__ = ("_known", "_weak")

    def __init__(self) -> None:
        self._known: dict[Any, bool | None] = {}
        self._weak: weakref.WeakKeyDictionary[Any, bool] = weakref.WeakKeyDictionary()

    def __call__(self, func: Callable[..., Any]) -> bool:
        try:
            return self._known[func] is True
        except (KeyError, TypeError):
            pass
        try:
            return self._weak[func]
        except (KeyError, TypeError):
            pass
        result = iscoroutinefunction(func)
        try:
            self._weak[func] = result
        except TypeError:  # not weakly referenceable (a builtin, say): not cached
            pass
        return result

    def kind(self, func: Callable[..., Any]) -> bool | None:
        """``True`` (``async def``), ``False`` (plain) or ``ON_LOOP`` (plain, declared
        non-blocking: run on the event loop's thread under ASGI)."""
        try:
            return self._known[func]
        except (KeyError, TypeError):
            return self(func)

    def freeze(self, funcs: Any, on_loop: Any = ()) -> None:
        """Remember ``funcs`` (the app's registered functions) in the fast dict; the
        plain ones among ``on_loop`` are declared non-blocking (``ON_LOOP``)."""
        known: dict[Any, bool | None] = {}
        for func in funcs:
            try:
                known[func] = iscoroutinefunction(func)
            except TypeError:  # pragma: no cover - unhashable callables
                pass
        for func in on_loop:
            if known.get(func) is False:
                known[func] = ON_LOOP
        # NOTE: updated in place: make_async_call's closures read this very dict.
        self._known.clear()
        self._known.update(known)

    def clear(self) -> None:
        self._known.clear()


# -- threads and loops ---------------------------------------------------------------


# PERF: asyncio and concurrent.futures are not imported with carboy (a WSGI app with
# plain views never needs them): ASGI code finds asyncio loaded by its server, and the
# first own loop or worker pool imports what it needs.


def _aio() -> Any:
    """The asyncio module, where it is loaded already (any code under ASGI)."""
    return sys.modules["asyncio"]


_executor: concurrent.futures.ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


def _get_executor() -> concurrent.futures.ThreadPoolExecutor:
    global _executor
    if _executor is None:
        with _executor_lock:
            if _executor is None:
                import concurrent.futures

                _executor = concurrent.futures.ThreadPoolExecutor(
                    max_workers=40, thread_name_prefix="carboy-sync"
                )
    return _executor


class _Workers:
    """carboy's worker threads: a queue, and threads started as work arrives (at most
    ``limit``, kept for the process's life).

    PERF: a plain view's request under ASGI is one hand-off here and one back to the
    loop. ``loop.run_in_executor`` does the same through a ``concurrent.futures``
    future chained to an asyncio one, a work item and a semaphore per call; this
    settles the loop's future directly, at about half the cost per request.
    """

    __slots__ = ("_queue", "_lock", "_waiting", "_threads", "limit")

    def __init__(self, limit: int) -> None:
        import queue  # PERF: only when the first plain function runs under ASGI

        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lock = threading.Lock()
        #: Threads that will take a queued item without one being started for it.
        self._waiting = 0
        self._threads = 0
        self.limit = limit

    def submit(
        self,
        loop: asyncio.AbstractEventLoop,
        future: asyncio.Future[Any],
        context: contextvars.Context,
        work: tuple[Any, ...],
    ) -> None:
        """Run ``context.run(*work)`` in a worker thread; its result or exception
        settles ``future`` on ``loop``."""
        self._queue.put((loop, future, context, work))
        with self._lock:
            if self._waiting:
                self._waiting -= 1
                return
            if self._threads >= self.limit:
                return  # taken by the first thread to finish its work
            self._threads += 1
        threading.Thread(target=self._serve, name="carboy-sync", daemon=True).start()

    def _serve(self) -> None:
        get, lock = self._queue.get, self._lock
        while True:
            loop, future, context, work = get()
            if future.cancelled():  # the request was abandoned before it began
                result: Any = _CANCELLED
            else:
                try:
                    result = (None, context.run(*work))
                except BaseException as e:  # handed to the awaiting coroutine
                    result = (e, None)
            try:
                loop.call_soon_threadsafe(_settle, future, result)
            except RuntimeError:  # pragma: no cover - the loop was closed meanwhile
                pass
            # NOTE: nothing of this request may stay referenced while the thread
            # waits for the next one (it would keep the request and the app alive).
            loop = future = context = work = result = None
            with lock:
                self._waiting += 1


_CANCELLED: Any = object()


def _settle(future: asyncio.Future[Any], result: Any) -> None:
    if result is _CANCELLED or future.cancelled():
        return
    error, value = result
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(value)


_workers: _Workers | None = None


def _get_workers() -> _Workers:
    global _workers
    if _workers is None:
        with _executor_lock:
            if _workers is None:
                _workers = _Workers(40)
    return _workers


class _Local(threading.local):
    #: In an ASGI worker thread: the loop that sent the work here, and the body.
    home: tuple[asyncio.AbstractEventLoop, Body | None] | None = None
    #: This thread's own event loop runner (WSGI, or code outside any request).
    runner: _ThreadRunner | None = None


_local = _Local()


def _in_worker(
    home: tuple[asyncio.AbstractEventLoop, Body | None], work: list[Any]
) -> Any:
    func, args = work
    # NOTE: the worker thread drops its work item a moment after the caller has the
    # result: it must not keep the request (and the app) alive until then.
    work.clear()
    previous = _local.home
    _local.home = home
    try:
        return func(*args)
    finally:
        _local.home = previous
        _cv_ctx.set(None)  # type: ignore[arg-type]  # in this call's copied context


async def run_in_thread(func: Callable[..., Any], *args: Any) -> Any:
    """Run ``func(*args)`` in a worker thread with a copy of the current context; a
    coroutine it runs through :func:`run_sync` goes back to this loop."""
    return await run_in_thread_with_body(None, func, *args)


async def run_in_thread_with_body(
    body: Body | None, func: Callable[..., Any], *args: Any
) -> Any:
    """:func:`run_in_thread` for a request whose ``body`` is received on this loop."""
    loop = _aio().get_running_loop()
    future = loop.create_future()
    work = (_in_worker, (loop, body), [func, args])
    _get_workers().submit(loop, future, contextvars.copy_context(), work)
    return await future


class _ThreadRunner:
    """A thread's event loop runner, closed when the thread ends (its locals go)."""

    __slots__ = ("runner",)

    def __init__(self) -> None:
        import asyncio  # PERF: loaded only by a thread's first own loop

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


async def run_in_own_thread(func: Callable[..., Any], *args: Any) -> Any:
    """Run ``func(*args)`` in a new thread, for the whole life of a ``def`` handler.

    NOTE: a plain handler holds its thread as long as its connection lives; in the
    shared worker pool, enough open sockets would starve every plain view (and hang
    the next connections). One thread per connection, as a threaded WSGI server has.
    """
    loop = _aio().get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()
    context = contextvars.copy_context()

    def settle(error: BaseException | None, result: Any) -> None:
        if future.cancelled():  # pragma: no cover - the connection task was cancelled
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def target() -> None:
        try:
            result = context.run(func, *args)
        except BaseException as e:  # handed to the awaiting coroutine
            loop.call_soon_threadsafe(settle, e, None)
        else:
            loop.call_soon_threadsafe(settle, None, result)

    threading.Thread(target=target, name="carboy-websocket", daemon=True).start()
    return await future


def _run_on_own_loop(coro: Any) -> Any:
    holder = _local.runner
    if holder is None:
        holder = _local.runner = _ThreadRunner()
    # NOTE: a Runner reuses the context it copied when it was created; without a fresh
    # copy, a coroutine would see the request of the first one run on this thread.
    return holder.runner.run(coro, context=contextvars.copy_context())


def run_sync(coro: Any) -> Any:
    """Run a coroutine to completion from sync code and return its result.

    In an ASGI worker thread it runs on the request's loop (after the body arrived);
    elsewhere on this thread's own loop. Called on a thread whose loop is running
    (sync code inside an ``async def`` function), it runs on a helper thread's loop,
    blocking this one: correct, but slow, so carboy itself never does that.
    """
    home = _local.home
    if home is not None:
        loop, body = home
        submit = _aio().run_coroutine_threadsafe
        if body is not None and not body.loaded:
            try:
                submit(body.load(), loop).result()
                if body.needs_form_parsing():
                    body.parse_form()  # here in the worker thread, not on the loop
            except BaseException:
                # NOTE: the coroutine will never run: closed, it is not reported
                # as "never awaited" when collected.
                coro.close()
                raise
        return submit(coro, loop).result()
    aio = sys.modules.get("asyncio")
    if aio is None or aio._get_running_loop() is None:
        return _run_on_own_loop(coro)
    context = contextvars.copy_context()
    return _get_executor().submit(context.run, _run_on_own_loop, coro).result()


def run_sync_on(loop: asyncio.AbstractEventLoop, coro: Any) -> Any:
    """Run ``coro`` on ``loop`` (running in another thread) and wait for its result."""
    return _aio().run_coroutine_threadsafe(coro, loop).result()


def run_coroutine_sync(coro: Any) -> Any:
    """Run a coroutine to completion from sync code (see :func:`run_sync`)."""
    return run_sync(coro)


def ensure_sync(
    func: Callable[..., Any], is_async: Callable[[Callable[..., Any]], bool]
) -> Callable[..., Any]:
    """``func`` as a plain callable: an ``async def`` one runs through :func:`run_sync`."""
    if not is_async(func):
        return func

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return run_sync(func(*args, **kwargs))

    return wrapper


# -- the two drivers' calls ----------------------------------------------------------

_Coroutine = types.CoroutineType


def call_sync(step: Step) -> Any:
    """Run one user function in this thread; a coroutine through :func:`run_sync`."""
    func, args, kwargs = step
    rv = func(*args, **kwargs) if kwargs else func(*args)
    # NOTE: a coroutine exactly (the type cannot be subclassed), not asyncio's
    # iscoroutine, which is also true for a generator. PERF: inspect.iscoroutine is a
    # Python function; this is one comparison.
    if type(rv) is _Coroutine:
        rv = run_sync(rv)
    return rv


def make_async_call(
    body: Body | None, flags: AsyncFlags, inline: bool = False
) -> Callable[[Step], Awaitable[Any]]:
    """The ASGI driver's call: an ``async def`` function's own coroutine (the body
    received first), a plain one's run in a worker thread, or on the loop's thread
    when it was declared non-blocking (``ON_LOOP``; ``inline``: every plain one, for
    the test client's preserved contexts)."""
    known = flags._known

    def call(step: Step) -> Awaitable[Any]:
        # PERF: a plain function handing back the coroutine to await saves a
        # coroutine frame per step; a registered function's kind is a dict lookup.
        func, args, kwargs = step
        try:
            kind = known[func]
        except (KeyError, TypeError):
            kind = flags(func)
        if kind is False and not inline:
            return _in_thread(body, func, args, kwargs)
        if body is not None and not body.loaded:
            return _after_body(body, func, args, kwargs)
        if kind:
            return func(*args, **kwargs) if kwargs else func(*args)  # type: ignore[no-any-return]
        return _inline(func, args, kwargs)

    return call


async def _inline(
    func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any] | None
) -> Any:
    rv = func(*args, **kwargs) if kwargs else func(*args)
    if type(rv) is _Coroutine:
        rv = await rv
    return rv


async def _after_body(
    body: Body, func: Callable[..., Any], args: tuple[Any, ...], kwargs: Any
) -> Any:
    """``func``'s result once the body is received: an ``async def`` function, or a
    plain one that runs on the loop (``request.form`` must not wait there)."""
    await body.load()
    if body.needs_form_parsing():
        # NOTE: an upload's large parts go to temporary files; parse here, in a worker
        # thread, so a function on the loop reading request.files never writes there.
        await run_in_thread(body.parse_form)
    # PERF: _inline's two lines here, without its coroutine frame.
    rv = func(*args, **kwargs) if kwargs else func(*args)
    if type(rv) is _Coroutine:
        rv = await rv
    return rv


async def _in_thread(
    body: Body | None,
    func: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any] | None,
) -> Any:
    rv = await run_in_thread_with_body(body, lambda: func(*args, **(kwargs or {})))
    if type(rv) is _Coroutine:
        rv = await rv
    return rv
