"""Graceful shutdown: SIGTERM to a server with 50 requests in flight.

Each server runs the guide's command (docs/deploying.md). Fifty clients each send one
slow request (half to a plain view, half to an ``async def`` one); once they are all
in the server, it gets SIGTERM. Every request must come back complete (status, length,
body), the server must exit by itself with status 0, and where the server speaks ASGI
lifespan, every worker's ``after_serving`` function must have run.
"""

from __future__ import annotations

import http.client
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.live import Server, free_port, guide_command  # noqa: E402

APP_DIR = ROOT / "tests" / "apps"
IN_FLIGHT = 50
SLOW = 2.0
BODY = b"done " + b"x" * 100_000

#: Server -> (extra options, whether it runs ASGI lifespan). gunicorn gets threads for
#: all fifty requests at once (the guide's 8 per worker would queue most of them).
SERVERS: dict[str, tuple[list[str], bool]] = {
    "gunicorn-gthread": (["--threads", "32"], False),
    "uvicorn-workers": ([], True),
    "granian-asgi": ([], True),
    "granian-wsgi": (["--blocking-threads", "32"], False),
}

pytestmark = pytest.mark.server


def _request(port: int, path: str, results: list[Any]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        results.append(
            (response.status, response.getheader("Content-Length"), response.read())
        )
    except (OSError, http.client.HTTPException) as e:
        results.append((repr(e), None, b""))
    finally:
        conn.close()


@pytest.mark.parametrize("name", list(SERVERS))
def test_sigterm_lets_in_flight_requests_finish(name: str, tmp_path: Path) -> None:
    extra, lifespan = SERVERS[name]
    port = free_port()
    marker = tmp_path / "after_serving.log"
    argv = guide_command(name, port)
    argv = argv[:-1] + extra + argv[-1:]
    server = Server(argv, port, cwd=APP_DIR, env={"CARBOY_MARKER": str(marker)})
    results: list[Any] = []
    with server:
        threads = [
            threading.Thread(
                target=_request,
                args=(port, f"/{'a' if i % 2 else ''}slow?s={SLOW}", results),
            )
            for i in range(IN_FLIGHT)
        ]
        for thread in threads:
            thread.start()
        time.sleep(SLOW / 2)  # every request is in a view now
        assert results == []
        server.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(60)
        status = server.wait(30)
        output = server.output()
    failures = [r[:2] for r in results if r != (200, str(len(BODY)), BODY)]
    assert (len(results), failures) == (IN_FLIGHT, []), output
    assert status == 0, output
    ran = marker.read_text().splitlines() if marker.exists() else []
    if lifespan:
        assert len(ran) == 2, f"one after_serving per worker:\n{output}"
        assert all(line.startswith("after_serving ") for line in ran)
    else:
        assert ran == []
