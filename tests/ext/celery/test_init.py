"""celery_init_app in-process (no worker, no broker): configuration, the app context
around every task body, ``shared_task``, ``async def`` tasks, and misuse."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from celery import Celery, shared_task
from sqlalchemy import select
from sqlalchemy.orm import Mapped, mapped_column

from carboy import Carboy, current_app, g
from carboy.ext.celery import celery_init_app
from carboy.ext.sqlalchemy import SQLAlchemy

EAGER = {
    "broker_url": "memory://",
    "result_backend": "cache+memory://",
    "task_always_eager": True,
    "task_eager_propagates": True,
}


@pytest.fixture
def app() -> Carboy:
    app = Carboy("celery_test_app")
    app.config.update(CELERY=dict(EAGER), GREETING="Hi")
    return app


def test_configured_from_app_config(app: Carboy) -> None:
    celery_app = celery_init_app(app)
    assert isinstance(celery_app, Celery)
    assert app.extensions["celery"] is celery_app
    assert celery_app.main == "celery_test_app"
    assert celery_app.conf.broker_url == "memory://"
    assert celery_app.conf.task_always_eager is True
    other = Carboy("other")
    other.config["CELERY"] = {"broker_url": "memory://"}
    assert celery_init_app(other, name="jobs").main == "jobs"


def test_config_is_required(app: Carboy) -> None:
    del app.config["CELERY"]
    with pytest.raises(RuntimeError, match=r"app.config\['CELERY'\]"):
        celery_init_app(app)
    app.config["CELERY"] = "redis://127.0.0.1"
    with pytest.raises(RuntimeError, match="a dict such as"):
        celery_init_app(app)


def test_init_twice_is_refused(app: Carboy) -> None:
    celery_init_app(app)
    with pytest.raises(RuntimeError, match="already called"):
        celery_init_app(app)


@pytest.mark.parametrize("kind", ["def", "async"])
def test_task_body_runs_in_a_fresh_app_context(app: Carboy, kind: str) -> None:
    celery_app = celery_init_app(app)
    torn_down: list[Any] = []
    app.teardown_appcontext(torn_down.append)

    if kind == "def":

        @celery_app.task(shared=False)
        def hello(name: str) -> str:
            g.name = name
            return f"{current_app.config['GREETING']}, {g.name}"

    else:

        @celery_app.task(shared=False)
        async def hello(name: str) -> str:
            await asyncio.sleep(0)
            g.name = name
            return f"{current_app.config['GREETING']}, {g.name}"

    assert hello.delay("ada").get() == "Hi, ada"
    assert hello("grace") == "Hi, grace"  # a direct call, outside any context
    assert torn_down == [None, None]  # one context per call, torn down after it


def test_a_failing_task_tears_down_with_its_error(app: Carboy) -> None:
    celery_app = celery_init_app(app)
    torn_down: list[Any] = []
    app.teardown_appcontext(torn_down.append)

    @celery_app.task(shared=False)
    def broken() -> None:
        raise KeyError("missing")

    with pytest.raises(KeyError):
        broken.delay()
    assert len(torn_down) == 1
    assert isinstance(torn_down[0], KeyError)


def test_called_inside_the_apps_context_runs_there(app: Carboy) -> None:
    celery_app = celery_init_app(app)

    @celery_app.task(shared=False)
    def read_g() -> str:
        return str(g.who)

    @app.get("/")
    def index() -> str:
        g.who = "the view"
        return read_g()

    assert app.test_client().get("/").text == "the view"
    with app.app_context():
        g.who = "the shell"
        assert read_g() == "the shell"
    other = Carboy("other")
    with other.app_context():  # another app's context: this task pushes its own
        with pytest.raises(AttributeError):
            read_g()


def test_shared_task_uses_the_app(app: Carboy) -> None:
    @shared_task
    def config_value(key: str) -> Any:
        return current_app.config[key]

    celery_app = celery_init_app(app)
    assert config_value.delay("GREETING").get() == "Hi"
    assert isinstance(config_value._get_current_object(), celery_app.Task)


def test_task_with_the_database(app: Carboy, tmp_path: Path) -> None:
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{tmp_path / 'tasks.db'}"
    db = SQLAlchemy(app)

    class Job(db.Model):  # type: ignore[name-defined,misc]
        id: Mapped[int] = mapped_column(primary_key=True)
        title: Mapped[str]

    celery_app = celery_init_app(app)

    @celery_app.task(shared=False)
    def record(title: str) -> int:
        job = Job(title=title)
        db.session.add(job)
        db.session.commit()
        return job.id

    with app.app_context():
        db.create_all()
    assert record.delay("first").get() == 1
    assert record.delay("second").get() == 2
    with app.app_context():
        assert db.session.scalars(select(Job.title)).all() == ["first", "second"]
