"""``python -m bench.websocket``: WebSocket echo round trips per second, carboy against
Starlette, in-process.

Each connection is the app's ASGI callable driven with in-memory queues (no server, no
network: the framework's own cost per message, as the HTTP benchmark measures it). A
round trip is one text message in and its echo out. Two runs per framework: one
connection sending ``--messages`` messages one after another, and 50 connections doing
the same concurrently on one event loop. The table gives the median of ``--rounds``.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

SCOPE = {
    "type": "websocket",
    "asgi": {"version": "3.0", "spec_version": "2.3"},
    "scheme": "ws",
    "http_version": "1.1",
    "path": "/echo",
    "raw_path": b"/echo",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"localhost")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
    "subprotocols": [],
    "extensions": {"websocket.http.response": {}},
}


def carboy_app() -> Any:
    from carboy import Carboy, websocket

    app = Carboy("bench_ws")

    @app.websocket("/echo")
    async def echo() -> None:
        await websocket.accept()
        async for message in websocket:
            await websocket.send(message)

    return app


def carboy_sync_app() -> Any:
    from carboy import Carboy, websocket

    app = Carboy("bench_ws_sync")

    @app.websocket("/echo")
    def echo() -> None:
        websocket.accept()
        for message in websocket:
            websocket.send(message)

    return app


def starlette_app() -> Any:
    from starlette.applications import Starlette
    from starlette.routing import WebSocketRoute
    from starlette.websockets import WebSocket

    async def echo(ws: WebSocket) -> None:
        await ws.accept()
        async for message in ws.iter_text():
            await ws.send_text(message)

    return Starlette(routes=[WebSocketRoute("/echo", echo)])


#: Name -> app factory, in table column order.
APPS: dict[str, Callable[[], Any]] = {
    "carboy": carboy_app,
    "carboy (def)": carboy_sync_app,
    "starlette": starlette_app,
}


class Connection:
    """One WebSocket to ``app`` over in-memory queues."""

    def __init__(self, app: Any) -> None:
        self.inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task = asyncio.ensure_future(
            app(dict(SCOPE), self.inbox.get, self.outbox.put)
        )

    async def open(self) -> None:
        self.inbox.put_nowait({"type": "websocket.connect"})
        message = await self.outbox.get()
        assert message["type"] == "websocket.accept", message

    async def echo(self, text: str) -> None:
        self.inbox.put_nowait({"type": "websocket.receive", "text": text})
        message = await self.outbox.get()
        if message.get("text") != text:
            raise AssertionError(f"expected the echo of {text!r}, got {message!r}")

    async def close(self) -> None:
        self.inbox.put_nowait({"type": "websocket.disconnect", "code": 1000})
        await asyncio.wait_for(self.task, 10)


async def round_trips(app: Any, connections: int, messages: int) -> float:
    """Round trips per second: ``connections`` sockets, ``messages`` each."""
    conns = [Connection(app) for _ in range(connections)]
    await asyncio.gather(*(c.open() for c in conns))

    async def talk(n: int, conn: Connection) -> None:
        for i in range(messages):
            await conn.echo(f"{n}:{i}")

    start = time.perf_counter()
    await asyncio.gather(*(talk(n, c) for n, c in enumerate(conns)))
    elapsed = time.perf_counter() - start
    await asyncio.gather(*(c.close() for c in conns))
    return connections * messages / elapsed


def measure(
    names: list[str], messages: int, rounds: int
) -> dict[str, dict[int, float]]:
    apps = {name: APPS[name]() for name in names}
    samples: dict[str, dict[int, list[float]]] = {
        name: {1: [], 50: []} for name in names
    }
    # NOTE: rounds interleave the frameworks, so a noisy moment on a shared machine
    # hits them alike; the median of each drops the outliers.
    for _ in range(rounds):
        for name, app in apps.items():
            for connections in (1, 50):
                per = max(1, messages // connections)
                rate = asyncio.run(round_trips(app, connections, per))
                samples[name][connections].append(rate)
    return {
        name: {c: statistics.median(values) for c, values in row.items()}
        for name, row in samples.items()
    }


def table(results: dict[str, dict[int, float]]) -> str:
    base = results.get("starlette")
    lines = [
        "| framework | 1 connection (round trips/s) | 50 connections (round trips/s) |",
        "|---|---|---|",
    ]
    for name, row in results.items():
        cells = []
        for connections in (1, 50):
            cell = f"{row[connections]:,.0f}"
            if base is not None and name != "starlette":
                cell += f" ({row[connections] / base[connections]:.2f} x Starlette)"
            cells.append(cell)
        lines.append(f"| {name} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.websocket", description=__doc__
    )
    parser.add_argument("--messages", type=int, default=20_000, help="per run")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--framework", action="append", choices=list(APPS), help="(repeatable)"
    )
    args = parser.parse_args(argv)
    names = args.framework or list(APPS)
    results = measure(names, args.messages, args.rounds)
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
