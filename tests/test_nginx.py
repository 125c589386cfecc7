"""deploy/nginx.conf with Debian's nginx on 127.0.0.1, in front of three app instances
(the guide's uvicorn command, the app wrapped in ProxyFix), round robin.

Checks: every instance serves; a session made on one is valid on the others; nginx
serves the static folder itself; a 5 MB upload passes; X-Forwarded-* are right and a
client's forged ones are not believed; WebSocket upgrades pass; the instances restart
one by one under steady load without one failed request. Every process is stopped by its PID.
"""

from __future__ import annotations

import collections
import hashlib
import http.client
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.live import Server, free_port, guide_command, nginx_server  # noqa: E402

APP_DIR = ROOT / "tests" / "apps"
SECRET = "one secret shared by every instance"

pytestmark = pytest.mark.server


class Cluster:
    def __init__(self, prefix: Path) -> None:
        self.ports = [free_port() for _ in range(3)]
        self.instances = [self._instance(i) for i in range(3)]
        self.port = free_port()
        self.nginx = nginx_server(prefix, self.port, self.ports, APP_DIR / "static")
        self.url = f"http://127.0.0.1:{self.port}"
        self.host = f"shop.example.com:{self.port}"

    def _instance(self, i: int) -> Server:
        argv = guide_command("uvicorn-workers", self.ports[i], app="served:proxied")
        env = {"CARBOY_INSTANCE": str(i), "CARBOY_SECRET_KEY": SECRET}
        return Server(argv, self.ports[i], cwd=APP_DIR, env=env)

    def restart(self, i: int) -> None:
        """Stop instance ``i`` gracefully (SIGTERM) and start a new one on its port."""
        assert self.instances[i].stop() == 0
        self.instances[i].close()
        self.instances[i] = self._instance(i).start()

    def wait_in_rotation(self, i: int, timeout: float = 10) -> None:
        """Wait until nginx sends requests to instance ``i`` again (it marked the
        instance down for fail_timeout when its connections were refused)."""
        deadline = time.monotonic() + timeout
        with httpx.Client(base_url=self.url, timeout=30) as client:
            while client.get("/instance").json()["instance"] != str(i):
                assert time.monotonic() < deadline, f"instance {i} is not back"
                time.sleep(0.05)

    def close(self) -> None:
        self.nginx.close()
        for server in self.instances:
            server.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    cluster = Cluster(tmp_path_factory.mktemp("nginx"))
    try:
        for server in cluster.instances:
            server.start()
        cluster.nginx.start()
        yield cluster
    finally:
        cluster.close()


@pytest.fixture
def client(cluster: Cluster) -> Iterator[httpx.Client]:
    with httpx.Client(
        base_url=cluster.url, headers={"Host": cluster.host}, timeout=30
    ) as client:
        yield client


def test_round_robin_every_instance_serves(client: httpx.Client) -> None:
    seen = collections.Counter(
        client.get("/instance").json()["instance"] for _ in range(9)
    )
    assert seen == {"0": 3, "1": 3, "2": 3}


def test_session_made_on_one_instance_is_valid_on_the_others(
    client: httpx.Client,
) -> None:
    login = client.post("/login", data={"user": "grace"})
    assert login.status_code == 200
    cookie = login.headers["Set-Cookie"].split(";", 1)[0]
    answers = [client.get("/me", headers={"Cookie": cookie}).json() for _ in range(3)]
    assert [a["user"] for a in answers] == ["grace"] * 3
    assert {a["instance"] for a in answers} == {"0", "1", "2"}
    assert login.json()["instance"] in {"0", "1", "2"}


def test_static_files_are_served_by_nginx(client: httpx.Client) -> None:
    response = client.get("/static/site.css")
    assert response.status_code == 200
    assert response.content == (APP_DIR / "static" / "site.css").read_bytes()
    assert response.headers["Content-Type"] == "text/css"
    # The app would answer "no-cache" with a Content-Disposition; nginx's "expires 1h".
    assert response.headers["Cache-Control"] == "max-age=3600"
    assert "Content-Disposition" not in response.headers
    assert response.headers["Server"].startswith("nginx")
    assert client.get("/static/missing.css").status_code == 404


def test_five_megabyte_upload_passes_through(client: httpx.Client) -> None:
    content = os.urandom(5 * 1024 * 1024)
    response = client.post("/upload", files={"file": ("big.bin", content)})
    assert response.status_code == 200
    assert response.json() == {
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "note": None,
    }


def test_forwarded_headers(client: httpx.Client, cluster: Cluster) -> None:
    assert client.get("/where").json() == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "host": cluster.host,
        "external": f"http://{cluster.host}/where",
    }
    response = client.get("/go")
    assert response.status_code == 302
    assert response.headers["Location"] == f"http://{cluster.host}/where"


def test_forged_forwarded_headers_are_not_believed(
    client: httpx.Client, cluster: Cluster
) -> None:
    forged = {
        "X-Forwarded-For": "10.9.9.9",
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "evil.example",
        "X-Forwarded-Port": "444",
        "X-Forwarded-Prefix": "/evil",
    }
    assert client.get("/where", headers=forged).json() == {
        "remote_addr": "127.0.0.1",
        "scheme": "http",
        "host": cluster.host,
        "external": f"http://{cluster.host}/where",
    }


def test_websocket_upgrades_pass(cluster: Cluster) -> None:
    url = f"ws://127.0.0.1:{cluster.port}"
    for i in range(3):  # through each instance in turn
        with ws_connect(url + "/ws/echo", open_timeout=30) as ws:
            ws.send(f"hello {i}")
            assert ws.recv(timeout=30) == f"hello {i}"
    with ws_connect(url + "/ws/shout", open_timeout=30) as ws:
        ws.send("hi")  # the client's address, as nginx saw it, through ProxyFix
        assert ws.recv(timeout=30) == "HI from 127.0.0.1"


def _load(url: str, host: str, stop: threading.Event, results: list[Any]) -> None:
    """Steady load: one request after another on a keep-alive connection."""
    port = int(url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    paths = ["/instance", "/items/x/1", "/users/3", "/"]
    i = 0
    while not stop.is_set():
        path = paths[i % len(paths)]
        i += 1
        try:
            conn.request("GET", path, headers={"Host": host})
            response = conn.getresponse()
            body = response.read()
            results.append((path, response.status, len(body)))
        except (OSError, http.client.HTTPException) as e:
            results.append((path, repr(e), 0))
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.close()


def test_rolling_restart_under_load_loses_no_request(cluster: Cluster) -> None:
    stop = threading.Event()
    results: list[Any] = []
    threads = [
        threading.Thread(target=_load, args=(cluster.url, cluster.host, stop, results))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    try:
        old_workers = _workers(cluster)
        for i in range(3):
            cluster.restart(i)
            cluster.wait_in_rotation(i)
    finally:
        stop.set()
        for thread in threads:
            thread.join(60)
    failures = [r for r in results if r[1] != 200]
    assert failures == []
    assert len(results) > 100
    new_workers = _workers(cluster)
    assert {instance for instance, _ in new_workers} == {"0", "1", "2"}
    assert not {pid for _, pid in new_workers} & {pid for _, pid in old_workers}


def _workers(cluster: Cluster) -> set[tuple[str, int]]:
    """(instance, worker PID) of the workers that answer through nginx."""
    with httpx.Client(base_url=cluster.url, timeout=30) as client:
        answers = [client.get("/instance").json() for _ in range(30)]
    return {(a["instance"], a["pid"]) for a in answers}
