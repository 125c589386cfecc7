"""The app the real-server compression tests serve (``compressapp:app``)."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from carboy import Carboy, Response, send_file
from carboy.ext.compress import Compress

app = Carboy(__name__)
Compress(app)
HERE = Path(__file__).parent
PAYLOAD = {"items": [{"id": n, "name": f"item {n}"} for n in range(300)]}


def _gate() -> bool:
    """Whether the test has read the first chunk (it creates the gate file)."""
    return Path(os.environ["COMPRESS_GATE"]).exists()


@app.get("/health")
def health() -> str:
    return "ok"


@app.get("/data")
def data() -> object:
    return PAYLOAD


@app.get("/file")
def file() -> Response:
    return send_file(HERE / "compressapp.py", mimetype="text/plain")  # type: ignore[no-any-return]


@app.get("/stream")
def stream() -> Response:
    def generate() -> Iterator[str]:
        yield "first " * 100
        deadline = time.monotonic() + 10
        while not _gate() and time.monotonic() < deadline:
            time.sleep(0.01)
        yield "second " * 100 if _gate() else "the test never read the first chunk"

    return Response(generate(), mimetype="text/plain")


@app.get("/astream")
async def astream() -> Response:
    async def generate() -> AsyncIterator[str]:
        yield "first " * 100
        deadline = time.monotonic() + 10
        while not _gate() and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        yield "second " * 100 if _gate() else "the test never read the first chunk"

    return Response(generate(), mimetype="text/plain")
