"""The notes example (examples/notes): an app per test on a SQLite file in tmp_path,
created by its migrations, and clients that go through its pages as a browser would
(CSRF tokens read from the forms)."""

from __future__ import annotations

import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from carboy import Carboy
from carboy.testing import CarboyClient

ROOT = Path(__file__).parent.parent.parent

sys.path.insert(0, str(ROOT))
try:
    from examples.notes import create_app
finally:
    sys.path.remove(str(ROOT))

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def make_app(tmp_path: Path, **config: Any) -> Carboy:
    settings: dict[str, Any] = {
        "TESTING": True,
        "SECRET_KEY": "test",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'notes.sqlite'}",
        # Fast hashes: scrypt's defaults are slow on purpose.
        "NOTES_PASSWORD_METHOD": "pbkdf2:sha256:1000",
        **config,
    }
    return create_app(settings, instance_path=str(tmp_path / "instance"))


@pytest.fixture(scope="session")
def migrated_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database the migrations made once (test_cli.py tests that they do)."""
    folder = tmp_path_factory.mktemp("migrated")
    make_app(folder)
    return folder / "notes.sqlite"


@pytest.fixture
def notes_app(tmp_path: Path, migrated_db: Path) -> Iterator[Carboy]:
    shutil.copyfile(migrated_db, tmp_path / "notes.sqlite")
    yield make_app(tmp_path)


class Browser:
    """A test client used as a person would: pages first, then their forms."""

    def __init__(self, client: CarboyClient) -> None:
        self.client = client

    def token(self, path: str = "/auth/login") -> str:
        page = self.client.get(path)
        assert page.status_code == 200, page.status_code
        match = _TOKEN.search(page.get_data(as_text=True))
        assert match is not None, "the page has a form with a CSRF token"
        return match.group(1)

    def post(self, path: str, data: dict[str, Any], page: str | None = None) -> Any:
        """POST a form as submitted from ``page`` (default: ``path``), with its token."""
        data = {"csrf_token": self.token(page or path), **data}
        return self.client.post(path, data=data)

    def register(self, name: str, password: str = PASSWORD) -> Any:
        self.logout()
        rv = self.post(
            "/auth/register",
            {"username": name, "password": password, "confirm": password},
        )
        assert rv.status_code == 302, rv.get_data(as_text=True)
        return rv

    def login(self, name: str, password: str = PASSWORD) -> Any:
        return self.post(
            "/auth/login", {"username": name, "password": password}, "/auth/login"
        )

    def logout(self) -> None:
        page = self.client.get("/auth/login")
        if page.status_code == 302:  # logged in: the log-out button is on every page
            self.post("/auth/logout", {}, "/")

    def create(self, title: str, body: str = "") -> int:
        rv = self.post("/", {"title": title, "body": body})
        assert rv.status_code == 302, rv.get_data(as_text=True)
        return int(rv.headers["Location"].rsplit("/", 1)[1])


@pytest.fixture
def browser(notes_app: Carboy, protocol: str) -> Browser:
    return Browser(notes_app.test_client(protocol=protocol))


@pytest.fixture
def ada(browser: Browser) -> Browser:
    """Logged in as ada (registration logs in)."""
    browser.register("ada")
    return browser


@pytest.fixture
def grace(notes_app: Carboy, protocol: str) -> Browser:
    """A second user, in a client of her own."""
    other = Browser(notes_app.test_client(protocol=protocol))
    other.register("grace")
    return other
