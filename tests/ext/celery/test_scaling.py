"""docs/deploying.md's "Background workers (Celery)": two web instances (gunicorn) and
two worker instances (celery, prefork), started with the guide's commands (only the
ports and the module replaced), sharing one real Redis and one SQLite file. Tasks
started through either web instance are run by both workers and reported by the other
web instance; one worker and one web instance are then stopped by PID, and the others
carry on."""

from __future__ import annotations

import http.client
import json
import re
import shlex
import sqlite3
import sys
import time
from contextlib import ExitStack, closing
from pathlib import Path
from typing import Any

import pytest

from redis_server import RedisServer

HERE = Path(__file__).parent
ROOT = HERE.parents[2]
for folder in (HERE, ROOT):  # `pytest` (unlike `python -m pytest`) omits the cwd
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bench.live import Server, free_port  # noqa: E402
from worker import Worker  # noqa: E402

GUIDE = ROOT / "docs" / "deploying.md"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.server


def _commands() -> list[list[str]]:
    found = re.search(
        r"<!-- celery: scale -->\n```sh\n(.*?)```", GUIDE.read_text(), re.S
    )
    assert found is not None
    return [shlex.split(line) for line in found.group(1).strip().splitlines()]


def _call(port: int, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        data = None if body is None else json.dumps(body)
        headers = {} if body is None else {"Content-Type": "application/json"}
        conn.request(method, path, data, headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _start(port: int, name: str, *args: Any) -> str:
    status, body = _call(port, "POST", f"/tasks/{name}", list(args))
    assert status == 202, body
    return str(body["id"])


def _wait(port: int, task_id: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        status, body = _call(port, "GET", f"/tasks/{task_id}")
        assert status == 200
        if body["state"] == "SUCCESS":
            return body["value"]
        assert body["state"] in {"PENDING", "STARTED", "RETRY"}, body
        assert time.monotonic() < deadline, f"task {task_id} still {body['state']}"
        time.sleep(0.1)


def test_web_and_workers_scale_separately(
    redis_server: RedisServer, tmp_path: Path
) -> None:
    commands = _commands()
    assert [argv[0] for argv in commands] == [
        "gunicorn",
        "gunicorn",
        "celery",
        "celery",
    ]
    env = {
        "CARBOY_TEST_REDIS": redis_server.url(60),
        "CARBOY_TEST_DB": f"sqlite:///{tmp_path / 'shared.db'}",
    }
    ports = [free_port(), free_port()]
    # The schema of tasks_app.Note, made before any process opens the file.
    with closing(sqlite3.connect(tmp_path / "shared.db")) as conn:
        conn.execute(
            "CREATE TABLE note (id INTEGER PRIMARY KEY, text VARCHAR NOT NULL)"
        )
        conn.commit()
    with ExitStack() as stack:
        webs: list[Server] = []
        workers: list[Worker] = []
        for argv in commands:
            argv = [a.replace("myapp:", "tasks_app:") for a in argv]
            if argv[0] == "gunicorn":
                port = ports[len(webs)]
                argv = [str(BIN / "gunicorn")] + [
                    a.replace(f"127.0.0.1:800{len(webs) + 1}", f"127.0.0.1:{port}")
                    for a in argv[1:]
                ]
                assert f"127.0.0.1:{port}" in argv
                webs.append(stack.enter_context(Server(argv, port, cwd=HERE, env=env)))
            else:
                workers.append(stack.enter_context(Worker(argv, env)))

        # Twelve tasks of 0.3 s, started through both web instances: a worker holds at
        # most two at a time (two processes, prefetch 1), so both run some.
        started = [
            (ports[i % 2], _start(ports[i % 2], "where", 0.3)) for i in range(12)
        ]
        ran = [
            _wait(ports[1] if port == ports[0] else ports[0], tid)
            for port, tid in started
        ]
        hosts = {r["hostname"].partition("@")[0] for r in ran}
        assert hosts == {"worker1", "worker2"}, [w.output() for w in workers]

        # The database is shared too: a note written by a worker, read by the other web.
        note = _start(ports[0], "save_note", "shared by everyone")
        assert isinstance(_wait(ports[1], note), int)
        assert _call(ports[1], "GET", "/notes") == (200, ["shared by everyone"])

        # One worker and one web instance go away; the others carry on.
        workers[1].stop()
        webs[0].stop()
        later = [_start(ports[1], "where", 0) for _ in range(3)]
        hosts = {_wait(ports[1], tid)["hostname"].partition("@")[0] for tid in later}
        assert hosts == {"worker1"}
