"""carboy.ext.celery against a real Redis and a real Celery worker process (solo pool),
through the test client under WSGI and ASGI: a view enqueues a task and returns its id,
another reports its state and result; failures, retries, the app context, the
SQLAlchemy extension on a SQLite file both processes share, and ``async def`` tasks."""

from __future__ import annotations

import importlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from carboy.testing import CarboyClient
from redis_server import RedisServer

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from worker import Worker  # noqa: E402

pytestmark = pytest.mark.server

#: The worker's command: one process (solo pool), on the test's Redis.
WORKER = [
    "celery",
    "--app",
    "tasks_app:celery_app",
    "worker",
    "--pool",
    "solo",
    "--loglevel",
    "INFO",
    "--without-gossip",
    "--without-mingle",
    "--without-heartbeat",
    "--hostname",
    "solo@%h",
]


@pytest.fixture(scope="module")
def tasks_app(
    redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ModuleType]:
    """tests/ext/celery/tasks_app.py, imported with this run's Redis and SQLite file,
    and a real worker serving its tasks."""
    # NOTE: database 62 is this module's: the redis_url fixture (which flushes) is not
    # used while the worker runs.
    env = {
        "CARBOY_TEST_REDIS": redis_server.url(62),
        "CARBOY_TEST_DB": f"sqlite:///{tmp_path_factory.mktemp('celery') / 'app.db'}",
    }
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        sys.modules.pop("tasks_app", None)
        module = importlib.import_module("tasks_app")
        with module.app.app_context():
            module.db.create_all()
        with Worker(WORKER, env):
            yield module
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def web(tasks_app: ModuleType, protocol: str) -> CarboyClient:
    return tasks_app.app.test_client(protocol=protocol)  # type: ignore[no-any-return]


def run(
    web: CarboyClient, name: str, *args: Any, timeout: float = 30
) -> dict[str, Any]:
    """Enqueue task ``name`` through the first view, then poll the second until the
    task is done (at most ``timeout`` seconds)."""
    response = web.post(f"/tasks/{name}", json=list(args))
    assert response.status_code == 202
    task_id = response.json["id"]
    assert isinstance(task_id, str) and len(task_id) == 36
    deadline = time.monotonic() + timeout
    while True:
        status = web.get(f"/tasks/{task_id}")
        assert status.status_code == 200
        if status.json["state"] in {"SUCCESS", "FAILURE"}:
            return status.json  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, f"task {name} still {status.json}"
        time.sleep(0.05)


def test_view_enqueues_and_reports(web: CarboyClient) -> None:
    assert run(web, "add", 2, 3) == {"state": "SUCCESS", "value": 5}


def test_task_runs_in_the_app_context(web: CarboyClient) -> None:
    result = run(web, "greet", "ada")
    assert result["state"] == "SUCCESS"
    value = result["value"]
    assert value["text"] == "Hello, ada!"  # current_app.config and g in the task
    assert value["app"] == "tasks_app"
    assert value["pid"] != os.getpid()  # run by the worker process, not here


def test_failing_task_reports_failure(web: CarboyClient) -> None:
    assert run(web, "fail", "no such invoice") == {
        "state": "FAILURE",
        "error": "ValueError('no such invoice')",
    }


def test_retried_task_succeeds(web: CarboyClient) -> None:
    assert run(web, "flaky", 2) == {"state": "SUCCESS", "value": {"attempts": 3}}


def test_retries_run_out(web: CarboyClient) -> None:
    assert run(web, "flaky", 9) == {
        "state": "FAILURE",
        "error": "Flaky('attempt 4 failed')",
    }


def test_task_uses_the_database(web: CarboyClient, protocol: str) -> None:
    text = f"written by the worker ({protocol})"
    result = run(web, "save_note", text)
    assert result["state"] == "SUCCESS"
    assert isinstance(result["value"], int)
    assert text in web.get("/notes").json


def test_async_task(web: CarboyClient) -> None:
    assert run(web, "double", 21) == {"state": "SUCCESS", "value": 42}


def test_unknown_task_id_is_pending(web: CarboyClient) -> None:
    response = web.get("/tasks/00000000-0000-0000-0000-000000000000")
    assert response.json == {"state": "PENDING"}
