"""The ``static`` route: files served from ``static_folder``, never from outside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from carboy import Carboy
from carboy.testing import CarboyClient


@pytest.fixture
def site(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body { color: red }")
    (static / "app.js").write_text("console.log(1)")
    (static / "ünï.txt").write_text("u")
    (tmp_path / "secret.py").write_text("SECRET = 1")
    return tmp_path


@pytest.fixture
def app(site: Path) -> Carboy:
    app = Carboy("static_app", root_path=str(site))
    app.config.update(TESTING=True)
    return app


def test_serves_static_file(client: CarboyClient) -> None:
    rv = client.get("/static/css/site.css")
    assert rv.status_code == 200
    assert rv.get_data() == b"body { color: red }"
    assert rv.headers["Content-Type"] == "text/css; charset=utf-8"
    assert rv.headers["Cache-Control"] == "no-cache"


def test_non_ascii_name(client: CarboyClient) -> None:
    rv = client.get("/static/%C3%BCn%C3%AF.txt")
    assert rv.status_code == 200
    assert rv.get_data() == b"u"


def test_absolute_static_folder(site: Path, protocol: str) -> None:
    app = Carboy("abs", static_folder=str(site / "static"), static_url_path="/assets")
    rv = app.test_client(protocol=protocol).get("/assets/app.js")
    assert rv.status_code == 200 and rv.get_data() == b"console.log(1)"


def test_conditional_static(client: CarboyClient) -> None:
    etag = client.get("/static/app.js").headers["ETag"]
    assert (
        client.get("/static/app.js", headers={"If-None-Match": etag}).status_code == 304
    )
    rv = client.get("/static/app.js", headers={"Range": "bytes=0-6"})
    assert (rv.status_code, rv.get_data()) == (206, b"console")


def test_max_age_config(app: Carboy, client: CarboyClient) -> None:
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    assert (
        client.get("/static/app.js").headers["Cache-Control"] == "public, max-age=3600"
    )


def test_head(client: CarboyClient) -> None:
    rv = client.head("/static/app.js")
    assert rv.status_code == 200 and rv.get_data() == b""


@pytest.mark.parametrize(
    "path",
    [
        "/static/missing.css",
        "/static/css",
        "/static/css/",
        "/static/../secret.py",
        "/static/..%2fsecret.py",
        "/static/%2e%2e/secret.py",
        "/static/%2e%2e%2fsecret.py",
        "/static/css/..%2f..%2fsecret.py",
        "/static/..%5csecret.py",
        "/static/%5c..%5csecret.py",
        "/static/%00",
        "/static/app.js%00.css",
        "/static/C:%5cwindows%5cwin.ini",
        "/static/c:/windows/win.ini",
        "/static/%2f%2fserver/share",
        "/static//etc/passwd",
    ],
)
def test_never_outside_the_folder(client: CarboyClient, path: str) -> None:
    rv = client.get(path)
    assert rv.status_code == 404
    assert b"SECRET" not in rv.get_data()


def test_no_static_folder(protocol: str) -> None:
    app = Carboy("nostatic", static_folder=None)
    assert app.test_client(protocol=protocol).get("/static/app.js").status_code == 404
