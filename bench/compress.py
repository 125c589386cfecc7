"""``python -m bench.compress``: what ``carboy.ext.compress`` costs per request, and
what it saves, on a 10 KB JSON body.

One carboy app serves ``GET /data`` (a ~10 KB JSON list of records, the shape of a
typical API page) through its WSGI callable, in-process (environ built per request, no
server, as ``python -m bench`` measures). The rows: the app without ``Compress``, then
with it for a client that accepts nothing (the extension's own overhead), and for each
coding at its default level. ``codec`` is the one-shot compression of the same body
alone, so ``request - identity - codec`` is what the extension adds around the codec.
Times are the median of ``--rounds`` batches of ``--batch-ms``, in the thread's CPU
time (``time.thread_time_ns``): on a machine shared with other jobs, wall-clock time
mostly measures the waits for a core, which say nothing about the code.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
from collections.abc import Callable
from time import thread_time_ns
from typing import Any

RECORDS = [
    {
        "id": n,
        "name": f"customer {n}",
        "email": f"customer{n}@example.com",
        "active": n % 3 != 0,
        "plan": ["free", "pro", "team"][n % 3],
        "balance": round(n * 13.37, 2),
    }
    for n in range(95)
]


def make_app(compress: bool) -> Any:
    from carboy import Carboy

    app = Carboy("bench_compress")
    if compress:
        from carboy.ext.compress import Compress

        Compress(app)

    @app.get("/data")
    def data() -> Any:
        return RECORDS

    return app


def environ(accept_encoding: str | None) -> Callable[[], dict[str, Any]]:
    base: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/data",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "localhost",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if accept_encoding is not None:
        base["HTTP_ACCEPT_ENCODING"] = accept_encoding

    def make() -> dict[str, Any]:
        env = base.copy()
        env["wsgi.input"] = io.BytesIO()
        return env

    return make


def call(app: Any, env: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    started: list[list[tuple[str, str]]] = []

    def start_response(status: str, headers: list[tuple[str, str]], *_: Any) -> Any:
        started.append(headers)

    body = b"".join(app(env, start_response))
    return {k.lower(): v for k, v in started[0]}, body


def _noop(status: str, headers: list[tuple[str, str]], *_: Any) -> None:
    return None


def time_requests(app: Any, make: Callable[[], dict[str, Any]], n: int) -> int:
    start = thread_time_ns()
    for _ in range(n):
        result = app(make(), _noop)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return thread_time_ns() - start


def time_codec(func: Callable[[], bytes], n: int) -> int:
    start = thread_time_ns()
    for _ in range(n):
        func()
    return thread_time_ns() - start


def median_us(run: Callable[[int], int], rounds: int, batch_ms: float) -> float:
    """Median time of one call in microseconds, over ``rounds`` calibrated batches."""
    n = 1
    while run(n) < batch_ms * 1e6 / 4:
        n *= 2
    n = max(1, int(n * batch_ms * 1e6 / max(run(n), 1)))
    return statistics.median(run(n) / n for _ in range(rounds)) / 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compress")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--batch-ms", type=float, default=20)
    args = parser.parse_args(argv)

    from carboy.ext.compress import (
        _ONE_SHOT,
        DEFAULT_LEVELS,
        available_algorithms,
    )

    plain, compressed = make_app(False), make_app(True)
    _, identity = call(plain, environ(None)())
    print(f"GET /data: {len(identity)} bytes of JSON, WSGI in-process")
    rows: list[tuple[str, Any, str | None, Callable[[], bytes] | None]] = [
        ("no Compress", plain, "gzip, br, zstd", None),
        ("identity (no Accept-Encoding)", compressed, None, None),
    ]
    for coding in available_algorithms():
        level = DEFAULT_LEVELS[coding]
        codec = _ONE_SHOT[coding]
        rows.append(
            (
                f"{coding} (level {level})",
                compressed,
                coding,
                lambda codec=codec, level=level: codec(identity, level),
            )
        )
    header = f"{'':32} {'request us':>11} {'codec us':>9} {'bytes':>7} {'saved':>7}"
    print(header)
    print("-" * len(header))
    failed = False
    for label, app, accept, codec in rows:
        make = environ(accept)
        headers, body = call(app, make())
        coding = headers.get("content-encoding")
        expected = accept if codec is not None else None
        if coding != expected:
            print(f"{label}: expected Content-Encoding {expected}, got {coding}")
            failed = True
            continue
        request_us = median_us(
            lambda n, app=app, make=make: time_requests(app, make, n),
            args.rounds,
            args.batch_ms,
        )
        codec_us = (
            median_us(lambda n, c=codec: time_codec(c, n), args.rounds, args.batch_ms)
            if codec is not None
            else None
        )
        saved = 1 - len(body) / len(identity)
        codec_text = f"{codec_us:9.1f}" if codec_us is not None else f"{'-':>9}"
        print(f"{label:32} {request_us:11.1f} {codec_text} {len(body):7d} {saved:7.1%}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
