"""The database made by the migrations (on the first run, and by ``carboy db
upgrade``), and ``carboy run`` serving the app over real HTTP."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode

import pytest

from .conftest import ROOT, make_app

CARBOY = str(Path(sys.executable).parent / "carboy")


def tables(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT name FROM sqlite_master WHERE type='table'")
        return sorted(name for (name,) in rows)


def revision(path: Path) -> str:
    with sqlite3.connect(path) as db:
        return str(db.execute("SELECT version_num FROM alembic_version").fetchone()[0])


def test_the_first_run_migrates_an_empty_database(tmp_path: Path) -> None:
    make_app(tmp_path)
    database = tmp_path / "notes.sqlite"
    assert tables(database) == ["alembic_version", "attachment", "note", "user"]
    assert revision(database) == "0001"
    make_app(tmp_path)  # the second run finds the tables and leaves them
    assert revision(database) == "0001"


def test_db_commands_through_the_cli_runner(tmp_path: Path) -> None:
    app = make_app(tmp_path, NOTES_CREATE_DATABASE=False)
    database = tmp_path / "notes.sqlite"
    assert tables(database) == []
    runner = app.test_cli_runner()
    result = runner.invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert tables(database) == ["alembic_version", "attachment", "note", "user"]
    result = runner.invoke(args=["db", "current"])
    assert result.output == "0001 (head)\n"
    result = runner.invoke(args=["db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert tables(database) == ["alembic_version"]


def _env(tmp_path: Path) -> dict[str, str]:
    env = dict(
        os.environ,
        NOTES_INSTANCE_PATH=str(tmp_path / "instance"),
        CARBOY_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'served.sqlite'}",
        CARBOY_NOTES_PASSWORD_METHOD="pbkdf2:sha256:1000",
        PYTHONUNBUFFERED="1",
    )
    for name in ("CARBOY_APP", "CARBOY_DEBUG", "CARBOY_RUN_FROM_CLI"):
        env.pop(name, None)
    return env


@pytest.mark.server
def test_carboy_db_upgrade_as_a_command(tmp_path: Path) -> None:
    env = _env(tmp_path)
    env["CARBOY_NOTES_CREATE_DATABASE"] = "false"
    result = subprocess.run(
        [CARBOY, "--app", "examples.notes", "db", "upgrade"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    database = tmp_path / "served.sqlite"
    assert tables(database) == ["alembic_version", "attachment", "note", "user"]
    assert revision(database) == "0001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.server
def test_carboy_run_serves_the_app(tmp_path: Path) -> None:
    """The README's quick start: ``carboy --app examples.notes run``, no other setup."""
    port = free_port()
    server = subprocess.Popen(
        [CARBOY, "--app", "examples.notes", "run", "--port", str(port)],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar())
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                opener.open(url + "/auth/login", timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        with opener.open(url + "/auth/register", timeout=10) as response:
            page = response.read().decode()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
        assert token is not None
        form = {
            "csrf_token": token.group(1),
            "username": "ada",
            "password": "correct horse",
            "confirm": "correct horse",
        }
        with opener.open(url + "/auth/register", urlencode(form).encode()) as response:
            assert response.url == url + "/"  # after the redirect
            assert "Welcome, ada!" in response.read().decode()
        with opener.open(url + "/static/style.css", timeout=10) as response:
            assert response.headers["Content-Type"] == "text/css; charset=utf-8"
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=20)
        assert server.stdout is not None
        output = server.stdout.read()
        server.stdout.close()
    assert code == 0, output
    assert f" * Running on http://127.0.0.1:{port}" in output
    assert tables(tmp_path / "served.sqlite") == [
        "alembic_version",
        "attachment",
        "note",
        "user",
    ]


def test_the_readme_quick_start_serves_this_app() -> None:
    """The README's first command installs what the app imports and runs it with
    ``carboy run`` (which test_carboy_run_serves_the_app runs as written)."""
    import tomllib

    readme = (ROOT / "README.md").read_text()
    first = re.search(r"```sh\n(.*?)\n```", readme, flags=re.DOTALL)
    assert first is not None
    command = first.group(1)
    install = re.fullmatch(
        r"python3 -m venv \.venv && \.venv/bin/pip install -e '\.\[([a-z,]+)\]'"
        r" && \.venv/bin/carboy --app examples\.notes run",
        command,
    )
    assert install is not None, command
    extras = install.group(1).split(",")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    optional = pyproject["project"]["optional-dependencies"]
    requirements = " ".join(r for extra in extras for r in optional[extra])
    for package in ("uvicorn", "SQLAlchemy", "alembic", "WTForms", "pydantic"):
        assert package in requirements, package


def test_the_migrations_env_is_the_one_db_init_writes() -> None:
    """examples/notes/migrations/env.py is what ``carboy db init`` writes, unchanged: the
    example shows the generated file, so it must not drift from the generator."""
    from carboy.ext.sqlalchemy.migrations import ENV_PY

    env = ROOT / "examples" / "notes" / "migrations" / "env.py"
    assert env.read_text() == ENV_PY
