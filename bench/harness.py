"""Request inputs, the correctness check and the timing loops.

Timing method (the same for every framework and case):

- Each framework x protocol x route count gets one app, built once before anything is
  timed. Every request gets a fresh input: a new WSGI environ dict (copied from a
  prebuilt one) with a new ``BytesIO`` body, or a new ASGI scope dict with new
  ``receive``/``send`` callables. That input-building is inside the timed loop and is
  identical for all frameworks; nothing is subtracted.
- WSGI: ``app(environ, start_response)``, then the body iterable is consumed and closed.
  ASGI: every request runs inside one event loop (one ``asyncio.Runner`` for the whole
  run); ``receive`` returns the whole body in one ``http.request`` message (then
  ``http.disconnect``) and ``send`` appends the messages to a list.
- Before anything is timed, each target answers its request twice and both responses
  are checked (status, content type, body). Any wrong response fails the run.
- A batch is N back-to-back requests timed with ``perf_counter_ns``; N is calibrated per
  target so a batch lasts about ``batch_ms``. The targets are run round-robin, one batch
  each per round, in a freshly shuffled order every round, so machine noise lands on
  every framework alike. The reported figure is the median per-request time over the
  rounds, with the interquartile range and the minimum.
- Garbage collection stays enabled while timing (allocation is part of a framework's
  cost) and ``gc.collect()`` runs before each batch so no batch pays for garbage left by
  another framework. After all apps are built, ``gc.freeze()`` moves them to the
  permanent generation: otherwise every full collection would walk the 10,000-route
  apps of every framework, and a framework would be charged for its peers' heaps.
"""

from __future__ import annotations

import asyncio
import gc
import io
import random
import statistics
import sys
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from time import perf_counter_ns
from typing import Any

from bench.cases import Case

Environ = dict[str, Any]
Scope = dict[str, Any]
Message = dict[str, Any]

_HEADERS = [
    ("Host", "localhost"),
    ("User-Agent", "carboy-bench/1.0"),
    ("Accept", "*/*"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Connection", "keep-alive"),
]


# --- Inputs ---


def environ_factory(case: Case) -> Callable[[], Environ]:
    """A function returning a fresh WSGI environ for ``case`` on each call."""
    base: Environ = {
        "REQUEST_METHOD": case.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": case.path,
        "QUERY_STRING": case.query,
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "54321",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in _HEADERS:
        base["HTTP_" + name.upper().replace("-", "_")] = value
    if case.content_type is not None:
        base["CONTENT_TYPE"] = case.content_type
    if case.body or case.method == "POST":
        base["CONTENT_LENGTH"] = str(len(case.body))
    body = case.body
    bytes_io = io.BytesIO

    def make_environ() -> Environ:
        environ = base.copy()
        environ["wsgi.input"] = bytes_io(body)
        return environ

    return make_environ


def scope_factory(case: Case) -> Callable[[], Scope]:
    """A function returning a fresh ASGI HTTP scope for ``case`` on each call."""
    headers = [(k.lower().encode(), v.encode()) for k, v in _HEADERS]
    if case.content_type is not None:
        headers.append((b"content-type", case.content_type.encode()))
    if case.body or case.method == "POST":
        headers.append((b"content-length", str(len(case.body)).encode()))
    base: Scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": case.method,
        "scheme": "http",
        "path": case.path,
        "raw_path": case.path.encode(),
        "query_string": case.query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 54321),
        "server": ("localhost", 80),
    }
    return base.copy


def _receiver(body: bytes) -> Callable[[], Any]:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _sender(messages: list[Message]) -> Callable[[Message], Any]:
    async def send(message: Message) -> None:
        messages.append(message)

    return send


# --- Calling an app once, for checking ---


@dataclass
class Reply:
    status: int
    content_type: str
    body: bytes


def call_wsgi(app: Any, environ: Environ) -> Reply:
    """Call a WSGI app once and collect its response, checking the protocol."""
    started: list[tuple[str, list[tuple[str, str]]]] = []
    chunks: list[bytes] = []

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], None]:
        started.append((status, headers))
        return chunks.append

    result = app(environ, start_response)
    try:
        for chunk in result:
            if not isinstance(chunk, bytes):
                raise TypeError(f"the body iterable yielded {type(chunk).__name__}")
            chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    if not started:
        raise RuntimeError("the app never called start_response")
    status, headers = started[-1]
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    return Reply(int(status.split(" ", 1)[0]), content_type, b"".join(chunks))


async def call_asgi(app: Any, scope: Scope, body: bytes) -> Reply:
    """Call an ASGI app once and collect its response, checking the protocol."""
    messages: list[Message] = []
    await app(scope, _receiver(body), _sender(messages))
    if not messages or messages[0].get("type") != "http.response.start":
        raise RuntimeError(f"the first message is not http.response.start: {messages}")
    start, rest = messages[0], messages[1:]
    if not rest or rest[-1].get("more_body", False):
        raise RuntimeError("the response body never finished (no final more_body)")
    if any(m.get("type") != "http.response.body" for m in rest):
        raise RuntimeError(f"unexpected messages after the start: {rest}")
    content_type = next(
        (
            v.decode("latin-1")
            for k, v in start["headers"]
            if k.lower() == b"content-type"
        ),
        "",
    )
    payload = b"".join(m.get("body", b"") for m in rest)
    return Reply(start["status"], content_type, payload)


# --- Targets: one app answering one case under one protocol ---


@dataclass
class Target:
    protocol: str
    framework: str
    case: Case
    app: Any
    #: The template baseline renders instead of answering HTTP.
    baseline: bool = False
    batch: int = 1
    samples: list[float] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{self.protocol}/{self.framework}/{self.case.name}"


class Runner:
    """Runs checks and timed batches; owns the one event loop used for ASGI."""

    def __init__(self) -> None:
        self._loop = asyncio.Runner()

    def close(self) -> None:
        self._loop.close()

    # Checking

    def check(self, target: Target) -> str | None:
        """Why the target answers wrongly (or crashes), or ``None`` when it is right."""
        try:
            for _ in range(2):
                reply = self._reply(target)
                problem = target.case.check(
                    reply.status, reply.content_type, reply.body
                )
                if problem is not None:
                    return problem
        except Exception:
            return "crashed:\n" + traceback.format_exc()
        return None

    def _reply(self, target: Target) -> Reply:
        case = target.case
        if target.baseline:
            if target.protocol == "asgi":
                body = self._loop.run(
                    target.app(scope_factory(case)(), _receiver(b""), None)
                )
            else:
                body = b"".join(target.app(environ_factory(case)(), None))
            return Reply(case.status, case.media_type or "", body)
        if target.protocol == "asgi":
            coro = call_asgi(target.app, scope_factory(case)(), case.body)
            return self._loop.run(coro)
        return call_wsgi(target.app, environ_factory(case)())

    # Timing

    def time_batch(self, target: Target, n: int) -> int:
        """Nanoseconds taken by ``n`` requests back to back."""
        if target.protocol == "asgi":
            make_scope = scope_factory(target.case)
            coro = _asgi_batch(target.app, make_scope, target.case.body, n)
            return self._loop.run(coro)
        return _wsgi_batch(target.app, environ_factory(target.case), n)

    def calibrate(self, target: Target, batch_ns: int, max_batch: int) -> None:
        """Pick the batch size so one batch lasts about ``batch_ns``."""
        n = 1
        while True:
            gc.collect()
            elapsed = max(self.time_batch(target, n), 1)
            if elapsed * 4 >= batch_ns or n >= max_batch:
                break
            n *= 2
        target.batch = max(1, min(max_batch, round(n * batch_ns / elapsed)))

    def run_rounds(
        self,
        targets: list[Target],
        rounds: int,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        order = list(targets)
        shuffle = random.Random(20240601).shuffle
        for number in range(rounds):
            shuffle(order)
            for target in order:
                gc.collect()
                elapsed = self.time_batch(target, target.batch)
                target.samples.append(elapsed / target.batch)
            if progress is not None:
                progress(number + 1)


def _start_response(
    status: str, headers: list[tuple[str, str]], exc_info: Any = None
) -> Callable[[bytes], None]:
    return _write


def _write(data: bytes) -> None:
    pass


def _wsgi_batch(app: Any, make_environ: Callable[[], Environ], n: int) -> int:
    start_response = _start_response
    start = perf_counter_ns()
    for _ in range(n):
        result: Iterable[bytes] = app(make_environ(), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return perf_counter_ns() - start


async def _asgi_batch(
    app: Any, make_scope: Callable[[], Scope], body: bytes, n: int
) -> int:
    receiver, sender = _receiver, _sender
    start = perf_counter_ns()
    for _ in range(n):
        messages: list[Message] = []
        await app(make_scope(), receiver(body), sender(messages))
    return perf_counter_ns() - start


# --- Statistics ---


@dataclass(frozen=True)
class Stats:
    """Per-request times in microseconds over the rounds."""

    median: float
    q1: float
    q3: float
    min: float
    rounds: int
    batch: int

    @property
    def iqr(self) -> float:
        return self.q3 - self.q1

    @classmethod
    def of(cls, samples_ns: list[float], batch: int) -> Stats:
        us = [s / 1000 for s in samples_ns]
        if len(us) >= 2:
            q1, median, q3 = statistics.quantiles(us, n=4, method="inclusive")
        else:
            q1 = median = q3 = us[0]
        return cls(median, q1, q3, min(us), len(us), batch)

    def as_dict(self) -> dict[str, float | int]:
        return {
            "median_us": round(self.median, 4),
            "q1_us": round(self.q1, 4),
            "q3_us": round(self.q3, 4),
            "min_us": round(self.min, 4),
            "rounds": self.rounds,
            "batch": self.batch,
        }
