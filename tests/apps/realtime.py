"""The app the WebSocket and server-sent-event tests serve over real servers
(tests/adapters/test_realtime.py), and the benchmark's WebSocket echo target.

``CARBOY_MARKER`` names a file that ``before_serving``/``after_serving`` append to, so a
test can see a worker's startup and shutdown ran.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from carboy import Carboy, websocket
from carboy.sse import ServerSentEvent, event_stream, last_event_id

app = Carboy(__name__)
app.config["WEBSOCKET_MAX_MESSAGE_SIZE"] = 64 * 1024


def _mark(what: str) -> None:
    marker = os.environ.get("CARBOY_MARKER")
    if marker:
        with open(marker, "a") as f:
            f.write(f"{what} {os.getpid()}\n")


@app.before_serving
def started() -> None:
    _mark("start")


@app.after_serving
async def stopped() -> None:
    _mark("stop")


@app.get("/health")
def health() -> str:
    return "ok"


@app.websocket("/echo")
async def echo() -> None:
    offered = websocket.requested_subprotocols
    await websocket.accept(subprotocol="chat" if "chat" in offered else None)
    async for message in websocket:
        await websocket.send(message)


@app.websocket("/echo-sync")
def echo_sync() -> None:
    for message in websocket:
        websocket.send(message)


@app.websocket("/json")
async def json_echo() -> None:
    while True:
        data = await websocket.receive_json()
        await websocket.send_json({"got": data, "type": type(data).__name__})


@app.websocket("/bye")
async def bye() -> None:
    await websocket.accept()
    await websocket.send("bye")
    await websocket.close(4000, "server says bye")


@app.websocket("/private")
async def private() -> object:
    return "members only", 401


@app.get("/events")
def events() -> object:
    start = int(last_event_id() or 0)

    async def generate() -> AsyncIterator[ServerSentEvent]:
        for n in range(start + 1, start + 4):
            yield ServerSentEvent(f"event {n}\nsecond line", event="tick", id=str(n))
            await asyncio.sleep(0.01)

    return event_stream(generate(), keep_alive=1)
