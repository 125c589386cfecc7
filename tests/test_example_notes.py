"""The notes example (examples/notes): its database made by ``init-db`` through
``app.test_cli_runner()`` and as a real ``carboy --app examples.notes init-db`` process,
its pages under both adapters, and ``carboy run`` serving it over real HTTP."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from carboy import Carboy
from carboy.testing import CarboyClient

ROOT = Path(__file__).parent.parent
CARBOY = str(Path(sys.executable).parent / "carboy")


@pytest.fixture
def notes_app(tmp_path: Path) -> Iterator[Carboy]:
    sys.path.insert(0, str(ROOT))
    try:
        from examples.notes import create_app
    finally:
        sys.path.remove(str(ROOT))
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "notes.sqlite")})
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert (
        result.output == f"Initialized the database at {tmp_path / 'notes.sqlite'}.\n"
    )
    yield app


@pytest.fixture
def notes(notes_app: Carboy, protocol: str) -> CarboyClient:
    return notes_app.test_client(protocol=protocol)


def test_init_db_creates_an_empty_table(notes_app: Carboy) -> None:
    with sqlite3.connect(notes_app.config["DATABASE"]) as db:
        assert db.execute("SELECT count(*) FROM note").fetchone() == (0,)


def test_add_show_and_delete(notes: CarboyClient) -> None:
    assert "No notes yet." in notes.get("/").get_data(as_text=True)
    rv = notes.post("/", data={"title": "<groceries>", "body": "milk"})
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/1"
    page = notes.get("/1").get_data(as_text=True)
    assert "<h2>&lt;groceries&gt;</h2>" in page  # autoescaped
    assert "Added “&lt;groceries&gt;”." in page  # the flash message
    assert notes.get("/api/notes").json == [
        {"id": 1, "title": "<groceries>", "body": "milk"}
    ]
    rv = notes.post("/1/delete", follow_redirects=True)
    assert "Deleted." in rv.get_data(as_text=True)
    assert notes.get("/api/notes").json == []


def test_bad_input(notes: CarboyClient) -> None:
    rv = notes.post("/", data={"title": "  "})
    assert rv.status_code == 400
    assert "A note needs a title." in rv.get_data(as_text=True)
    assert notes.get("/7").status_code == 404
    assert notes.post("/7/delete").status_code == 404
    assert notes.get("/api/notes").json == []


@pytest.mark.server
def test_init_db_command_and_carboy_run(tmp_path: Path) -> None:
    database = tmp_path / "served.sqlite"
    env = dict(os.environ, CARBOY_DATABASE=str(database), PYTHONUNBUFFERED="1")
    for name in ("CARBOY_APP", "CARBOY_DEBUG", "CARBOY_RUN_FROM_CLI"):
        env.pop(name, None)
    base = [CARBOY, "--app", "examples.notes"]
    result = subprocess.run(
        [*base, "init-db"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Initialized the database at {database}.\n"
    assert database.is_file()

    with __import__("socket").socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [*base, "run", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/api/notes", timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, "the server exited"
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        form = urllib.parse.urlencode({"title": "served", "body": "over HTTP"}).encode()
        with urllib.request.urlopen(url + "/", data=form, timeout=10) as response:
            assert response.status == 200  # after the redirect to the new note
            assert "<h2>served</h2>" in response.read().decode()
        with urllib.request.urlopen(url + "/api/notes", timeout=10) as response:
            assert json.loads(response.read()) == [
                {"id": 1, "title": "served", "body": "over HTTP"}
            ]
    finally:
        server.send_signal(signal.SIGINT)
        code = server.wait(timeout=20)
        assert server.stdout is not None
        output = server.stdout.read()
        server.stdout.close()
    assert code == 0, output
    assert f" * Running on http://127.0.0.1:{port}" in output
    with sqlite3.connect(database) as db:
        assert db.execute("SELECT title FROM note").fetchall() == [("served",)]
