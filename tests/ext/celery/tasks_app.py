"""The app and tasks of tests/ext/celery: the test's own client imports this module, and
so does the real Celery worker it starts (``celery -A tasks_app:celery_app worker``).

Settings come from the environment the test sets: ``CARBOY_TEST_REDIS`` (the broker and
result backend) and ``CARBOY_TEST_DB`` (a SQLite file both processes share).
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from celery import shared_task
from celery.result import AsyncResult
from sqlalchemy import select
from sqlalchemy.orm import Mapped, mapped_column

from carboy import Carboy, current_app, g, request
from carboy.ext.celery import celery_init_app
from carboy.ext.sqlalchemy import SQLAlchemy

db = SQLAlchemy()


class Note(db.Model):  # type: ignore[name-defined,misc]
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str]


class Flaky(Exception):
    """An error worth retrying (a timeout from another service, say)."""


@shared_task
def add(a: int, b: int) -> int:
    return a + b


@shared_task
def greet(name: str) -> dict[str, Any]:
    # current_app, its config and g are the app's, in the worker process too
    g.greeted = name
    return {
        "text": f"{current_app.config['GREETING']}, {g.greeted}!",
        "app": current_app.name,
        "pid": os.getpid(),
    }


@shared_task
def fail(message: str) -> None:
    raise ValueError(message)


@shared_task(bind=True, autoretry_for=(Flaky,), max_retries=3, default_retry_delay=0)
def flaky(self: Any, failures: int) -> dict[str, int]:
    if self.request.retries < failures:
        raise Flaky(f"attempt {self.request.retries + 1} failed")
    return {"attempts": self.request.retries + 1}


@shared_task
def save_note(text: str) -> int:
    note = Note(text=text)
    db.session.add(note)
    db.session.commit()
    return note.id


@shared_task(bind=True)
def where(self: Any, seconds: float) -> dict[str, Any]:
    """Which worker ran this (for the scaling test); takes ``seconds``."""
    time.sleep(seconds)
    return {"hostname": self.request.hostname, "pid": os.getpid()}


@shared_task
async def double(x: int) -> int:
    await asyncio.sleep(0)
    return 2 * x


TASKS = {
    t.name.rpartition(".")[2]: t
    for t in (add, greet, fail, flaky, save_note, where, double)
}


def create_app() -> Carboy:
    app = Carboy(__name__)
    app.config.from_mapping(
        GREETING="Hello",
        SQLALCHEMY_DATABASE_URI=os.environ["CARBOY_TEST_DB"],
        CELERY={
            "broker_url": os.environ["CARBOY_TEST_REDIS"],
            "result_backend": os.environ["CARBOY_TEST_REDIS"],
            "task_ignore_result": False,
            "broker_connection_retry_on_startup": True,
            # one task at a time per worker process, so that every worker gets some
            "worker_prefetch_multiplier": 1,
        },
    )
    db.init_app(app)
    celery_init_app(app)

    @app.get("/health")
    def health() -> str:
        return "ok"

    @app.post("/tasks/<name>")
    def enqueue(name: str) -> Any:
        task = TASKS[name]
        result = task.delay(*request.get_json())
        return {"id": result.id}, 202

    @app.get("/tasks/<task_id>")
    def status(task_id: str) -> Any:
        result = AsyncResult(task_id, app=current_app.extensions["celery"])
        state = result.state
        if state == "SUCCESS":
            return {"state": state, "value": result.result}
        if state == "FAILURE":
            return {"state": state, "error": repr(result.result)}
        return {"state": state}

    @app.get("/notes")
    def notes() -> Any:
        return [n for n in db.session.scalars(select(Note.text).order_by(Note.id))]

    return app


app = create_app()
celery_app = app.extensions["celery"]
