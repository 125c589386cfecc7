"""Flask's tutorial app and the tests Flask's docs give for it, ported by changing
imports (``flask`` -> ``carboy``), run under both adapters against a real SQLite file.

Beyond imports: the test data's password hashes come from
``carboy.security.generate_password_hash`` (literal Werkzeug hashes in the original),
and ``init-db`` is called as a function (carboy has no CLI yet).
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carboy import Carboy, g, session
from carboy.security import generate_password_hash
from carboy.testing import CarboyClient

sys.path.insert(0, str(Path(__file__).parent.parent / "examples"))
from flaskr import create_app  # noqa: E402
from flaskr.db import get_db, init_db  # noqa: E402

sys.path.pop(0)

# Cheap hashes for the test users (Flask's tutorial uses pbkdf2 hashes too); the app's
# own registrations use the default, scrypt.
FAST = "pbkdf2:sha256:1000"


@pytest.fixture
def flaskr(tmp_path: Path) -> Iterator[Carboy]:
    app = create_app({"TESTING": True, "DATABASE": str(tmp_path / "flaskr.sqlite")})
    app.instance_path = str(tmp_path)
    with app.app_context():
        init_db()
        db = get_db()
        db.executemany(
            "INSERT INTO user (username, password) VALUES (?, ?)",
            [
                ("test", generate_password_hash("test", FAST)),
                ("other", generate_password_hash("other", FAST)),
            ],
        )
        db.execute(
            "INSERT INTO post (title, body, author_id, created)"
            " VALUES ('test title', 'test' || x'0a' || 'body', 1, '2018-01-01 00:00:00')"
        )
        db.commit()
    yield app


@pytest.fixture
def fclient(flaskr: Carboy, protocol: str) -> CarboyClient:
    return flaskr.test_client(protocol=protocol)


class AuthActions:
    def __init__(self, client: CarboyClient) -> None:
        self._client = client

    def login(self, username: str = "test", password: str = "test") -> Any:
        return self._client.post(
            "/auth/login", data={"username": username, "password": password}
        )

    def logout(self) -> Any:
        return self._client.get("/auth/logout")


@pytest.fixture
def auth(fclient: CarboyClient) -> AuthActions:
    return AuthActions(fclient)


# -- test_factory.py ----------------------------------------------------------------------


def test_config() -> None:
    assert not create_app().testing
    assert create_app({"TESTING": True}).testing


def test_hello(fclient: CarboyClient) -> None:
    response = fclient.get("/hello")
    assert response.data == b"Hello, World!"


# -- test_db.py ----------------------------------------------------------------------------


def test_get_close_db(flaskr: Carboy) -> None:
    with flaskr.app_context():
        db = get_db()
        assert db is get_db()
    with pytest.raises(sqlite3.ProgrammingError) as e:
        db.execute("SELECT 1")
    assert "closed" in str(e.value)


# -- test_auth.py --------------------------------------------------------------------------


def test_register(flaskr: Carboy, fclient: CarboyClient) -> None:
    assert fclient.get("/auth/register").status_code == 200
    response = fclient.post("/auth/register", data={"username": "a", "password": "a"})
    assert response.headers["Location"] == "/auth/login"
    with flaskr.app_context():
        assert (
            get_db().execute("SELECT * FROM user WHERE username = 'a'").fetchone()
            is not None
        )


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "", b"Username is required."),
        ("a", "", b"Password is required."),
        ("test", "test", b"already registered"),
    ],
)
def test_register_validate_input(
    fclient: CarboyClient, username: str, password: str, message: bytes
) -> None:
    response = fclient.post(
        "/auth/register", data={"username": username, "password": password}
    )
    assert message in response.data


def test_login(fclient: CarboyClient, auth: AuthActions) -> None:
    assert fclient.get("/auth/login").status_code == 200
    response = auth.login()
    assert response.headers["Location"] == "/"
    with fclient:
        fclient.get("/")
        assert session["user_id"] == 1
        assert g.user["username"] == "test"


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [("a", "test", b"Incorrect username."), ("test", "a", b"Incorrect password.")],
)
def test_login_validate_input(
    auth: AuthActions, username: str, password: str, message: bytes
) -> None:
    response = auth.login(username, password)
    assert message in response.data


def test_logout(fclient: CarboyClient, auth: AuthActions) -> None:
    auth.login()
    with fclient:
        auth.logout()
        assert "user_id" not in session


# -- test_blog.py --------------------------------------------------------------------------


def test_index(fclient: CarboyClient, auth: AuthActions) -> None:
    response = fclient.get("/")
    assert b"Log In" in response.data
    assert b"Register" in response.data
    auth.login()
    response = fclient.get("/")
    assert b"Log Out" in response.data
    assert b"test title" in response.data
    assert b"by test on 2018-01-01" in response.data
    assert b"test\nbody" in response.data
    assert b'href="/1/update"' in response.data


@pytest.mark.parametrize("path", ["/create", "/1/update", "/1/delete"])
def test_login_required(fclient: CarboyClient, path: str) -> None:
    response = fclient.post(path)
    assert response.headers["Location"] == "/auth/login"


def test_author_required(
    flaskr: Carboy, fclient: CarboyClient, auth: AuthActions
) -> None:
    with flaskr.app_context():
        db = get_db()
        db.execute("UPDATE post SET author_id = 2 WHERE id = 1")
        db.commit()
    auth.login()
    assert fclient.post("/1/update").status_code == 403
    assert fclient.post("/1/delete").status_code == 403
    assert b'href="/1/update"' not in fclient.get("/").data


@pytest.mark.parametrize("path", ["/2/update", "/2/delete"])
def test_exists_required(fclient: CarboyClient, auth: AuthActions, path: str) -> None:
    auth.login()
    assert fclient.post(path).status_code == 404


def test_create(flaskr: Carboy, fclient: CarboyClient, auth: AuthActions) -> None:
    auth.login()
    assert fclient.get("/create").status_code == 200
    fclient.post("/create", data={"title": "created", "body": ""})
    with flaskr.app_context():
        count = get_db().execute("SELECT COUNT(id) FROM post").fetchone()[0]
        assert count == 2


def test_update(flaskr: Carboy, fclient: CarboyClient, auth: AuthActions) -> None:
    auth.login()
    assert fclient.get("/1/update").status_code == 200
    fclient.post("/1/update", data={"title": "updated", "body": ""})
    with flaskr.app_context():
        post = get_db().execute("SELECT * FROM post WHERE id = 1").fetchone()
        assert post["title"] == "updated"


@pytest.mark.parametrize("path", ["/create", "/1/update"])
def test_create_update_validate(
    fclient: CarboyClient, auth: AuthActions, path: str
) -> None:
    auth.login()
    response = fclient.post(path, data={"title": "", "body": ""})
    assert b"Title is required." in response.data


def test_delete(flaskr: Carboy, fclient: CarboyClient, auth: AuthActions) -> None:
    auth.login()
    response = fclient.post("/1/delete")
    assert response.headers["Location"] == "/"
    with flaskr.app_context():
        post = get_db().execute("SELECT * FROM post WHERE id = 1").fetchone()
        assert post is None
