"""WebSockets, server-sent events and worker lifespans over real servers on 127.0.0.1.

uvicorn and hypercorn serve tests/apps/realtime.py; the ``websockets`` library is the
client, httpx reads the event stream. Each server is stopped by its PID (SIGTERM, so its
lifespan shutdown runs). gunicorn runs the same app with the hooks file the docs give,
to show ``before_serving``/``after_serving`` under WSGI.
"""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.asyncio.client import connect as async_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.live import Server, free_port  # noqa: E402

APP_DIR = ROOT / "tests" / "apps"
BIN = Path(sys.executable).parent
ASGI_SERVERS = ["uvicorn", "hypercorn"]

pytestmark = pytest.mark.server


def _argv(name: str, port: int) -> list[str]:
    if name == "uvicorn":
        return [str(BIN / "uvicorn"), "--host", "127.0.0.1", "--port", str(port),
                "--log-level", "warning", "realtime:app"]  # fmt: skip
    # NOTE: "asgi:" makes hypercorn serve the app as ASGI; it takes an object whose
    # __call__ is not a coroutine function (carboy answers both protocols) for WSGI.
    return [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{port}", "asgi:realtime:app"]


@pytest.fixture(scope="module", params=ASGI_SERVERS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    name: str = request.param
    marker = tmp_path_factory.mktemp(name) / "marker.txt"
    port = free_port()
    running = Server(
        _argv(name, port), port, cwd=APP_DIR, env={"CARBOY_MARKER": str(marker)}
    )
    with running:
        running.name = name  # type: ignore[attr-defined]
        yield running
        assert running.proc is not None and running.proc.poll() is None, (
            f"{name} died during the tests:\n{running.output()}"
        )
        pid = running.pid
        assert running.stop(signal.SIGTERM) is not None
    # The lifespan ran once in the worker: startup, then shutdown on SIGTERM.
    lines = marker.read_text().splitlines()
    assert [line.split()[0] for line in lines] == ["start", "stop"], lines
    assert len({line.split()[1] for line in lines}) == 1
    assert pid > 0


def _ws(server: Server, path: str) -> str:
    return f"ws://127.0.0.1:{server.port}{path}"


@pytest.mark.parametrize("path", ["/echo", "/echo-sync"])
def test_echo_text_and_bytes(server: Server, path: str) -> None:
    with connect(_ws(server, path)) as ws:
        ws.send("héllo")
        assert ws.recv() == "héllo"
        ws.send(b"\x00\x01\xff")
        assert ws.recv() == b"\x00\x01\xff"


def test_json_messages(server: Server) -> None:
    with connect(_ws(server, "/json")) as ws:
        ws.send(json.dumps({"a": [1, 2]}))
        assert json.loads(ws.recv()) == {"got": {"a": [1, 2]}, "type": "dict"}
        ws.send("[]")
        assert json.loads(ws.recv()) == {"got": [], "type": "list"}


def test_subprotocol(server: Server) -> None:
    with connect(_ws(server, "/echo"), subprotocols=["other", "chat"]) as ws:  # type: ignore[list-item]
        assert ws.subprotocol == "chat"
        ws.send("x")
        assert ws.recv() == "x"


def test_server_initiated_close(server: Server) -> None:
    with connect(_ws(server, "/bye")) as ws:
        assert ws.recv() == "bye"
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (4000, "server says bye")


def test_oversized_message_closes_with_1009(server: Server) -> None:
    with connect(_ws(server, "/echo"), max_size=None) as ws:
        ws.send("x" * (64 * 1024))  # exactly the limit
        assert len(ws.recv()) == 64 * 1024
        ws.send(b"x" * (64 * 1024 + 1))
        with pytest.raises(ConnectionClosed) as info:
            ws.recv()
    assert info.value.rcvd is not None
    assert (info.value.rcvd.code, info.value.rcvd.reason) == (1009, "message too big")


def test_refusal_is_an_http_response(server: Server) -> None:
    with pytest.raises(InvalidStatus) as info:
        with connect(_ws(server, "/private")):
            pass  # pragma: no cover
    assert info.value.response.status_code == 401
    assert info.value.response.body == b"members only"


def test_plain_http_to_a_websocket_route_is_426(server: Server) -> None:
    response = httpx.get(f"{server.url}/echo")
    assert response.status_code == 426
    assert response.headers["Upgrade"] == "websocket"


@pytest.mark.parametrize("path", ["/echo", "/echo-sync"])
def test_fifty_concurrent_sockets_get_only_their_own_messages(
    server: Server, path: str
) -> None:
    async def one(n: int) -> list[str]:
        async with async_connect(_ws(server, path)) as ws:
            got = []
            for i in range(5):
                await ws.send(f"{n}:{i}")
                got.append(str(await ws.recv()))
                await asyncio.sleep(0)
            return got

    async def main() -> list[list[str]]:
        return await asyncio.gather(*(one(n) for n in range(50)))

    results = asyncio.run(main())
    assert results == [[f"{n}:{i}" for i in range(5)] for n in range(50)]


def test_event_stream_read_by_an_http_client(server: Server) -> None:
    headers = {"Last-Event-ID": "10"}
    with httpx.stream("GET", f"{server.url}/events", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
        lines = [line for line in response.iter_lines() if not line.startswith(":")]
    events = "\n".join(lines).strip().split("\n\n")
    assert events == [
        f"event: tick\nid: {n}\ndata: event {n}\ndata: second line"
        for n in (11, 12, 13)
    ]


def test_gunicorn_runs_before_and_after_serving(tmp_path: Path) -> None:
    marker = tmp_path / "marker.txt"
    port = free_port()
    argv = [str(BIN / "gunicorn"), "-c", "gunicorn_lifespan.py", "-w", "2",
            "-b", f"127.0.0.1:{port}", "realtime:app"]  # fmt: skip
    with Server(argv, port, cwd=APP_DIR, env={"CARBOY_MARKER": str(marker)}) as running:
        assert httpx.get(f"{running.url}/health").text == "ok"
        # Under WSGI, the WebSocket route still answers plain HTTP clearly.
        assert httpx.get(f"{running.url}/echo").status_code == 426
        assert running.stop(signal.SIGTERM) is not None
    lines = sorted(marker.read_text().splitlines())
    starts = [line.split()[1] for line in lines if line.startswith("start")]
    stops = [line.split()[1] for line in lines if line.startswith("stop")]
    assert len(starts) == 2  # once per worker
    assert sorted(starts) == sorted(stops)
