"""The notes pages: create, list, show, edit, delete; only ever the user's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from carboy import Carboy

from .conftest import Browser, make_app


def test_create_list_show_edit_delete(ada: Browser) -> None:
    page = ada.client.get("/").get_data(as_text=True)
    assert "No notes yet" in page
    assert '<link rel="stylesheet" href="/static/style.css">' in page
    note_id = ada.create("<b>groceries</b>", "milk\r\neggs")  # as browsers send it
    assert note_id == 1
    page = ada.client.get("/notes/1").get_data(as_text=True)
    assert '<h1 id="note-title">&lt;b&gt;groceries&lt;/b&gt;</h1>' in page  # escaped
    assert "Created “&lt;b&gt;groceries&lt;/b&gt;”." in page  # the flash message
    assert '<div class="note-body">milk\neggs</div>' in page
    page = ada.client.get("/").get_data(as_text=True)
    assert '<li class="card" data-id="1">' in page
    assert '<span class="count">1</span>' in page

    form = ada.client.get("/notes/1/edit").get_data(as_text=True)
    assert 'value="&lt;b&gt;groceries&lt;/b&gt;"' in form  # filled from the note
    rv = ada.post("/notes/1/edit", {"title": "shopping", "body": "bread"})
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/notes/1"
    page = ada.client.get("/notes/1").get_data(as_text=True)
    assert '<h1 id="note-title">shopping</h1>' in page
    assert "Saved." in page

    rv = ada.post("/notes/1/delete", {}, "/notes/1")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/"
    assert "Deleted “shopping”." in ada.client.get("/").get_data(as_text=True)
    assert ada.client.get("/notes/1").status_code == 404


def test_bad_note_forms(ada: Browser) -> None:
    rv = ada.post("/", {"title": "", "body": "x"})
    assert rv.status_code == 400
    assert "This field is required." in rv.get_data(as_text=True)
    rv = ada.post("/", {"title": "t" * 201})
    assert rv.status_code == 400
    assert "Field cannot be longer than 200 characters." in rv.get_data(as_text=True)
    rv = ada.client.post("/", data={"title": "no token"})
    assert rv.status_code == 400
    assert "The CSRF token is missing." in rv.get_data(as_text=True)
    ada.create("kept")
    rv = ada.post("/notes/1/edit", {"title": ""})
    assert rv.status_code == 400
    assert "This field is required." in rv.get_data(as_text=True)
    assert ada.client.post("/notes/1/edit", data={"title": "x"}).status_code == 400
    assert ada.client.post("/notes/1/delete").status_code == 400
    assert '<h1 id="note-title">kept</h1>' in ada.client.get("/notes/1").get_data(
        as_text=True
    )


def test_someone_elses_note_is_not_found(ada: Browser, grace: Browser) -> None:
    note_id = ada.create("ada's secret")
    grace.create("grace's note")
    page = grace.client.get("/").get_data(as_text=True)
    assert "grace&#39;s note" in page
    assert "secret" not in page
    rv = grace.client.get(f"/notes/{note_id}")
    assert rv.status_code == 404
    assert f"You have no note {note_id}." in rv.get_data(as_text=True)
    assert grace.client.get(f"/notes/{note_id}/edit").status_code == 404
    token = grace.token("/")
    for path in (f"/notes/{note_id}/edit", f"/notes/{note_id}/delete"):
        rv = grace.client.post(path, data={"csrf_token": token, "title": "mine now"})
        assert rv.status_code == 404, path
    page = ada.client.get(f"/notes/{note_id}").get_data(as_text=True)
    assert '<h1 id="note-title">ada&#39;s secret</h1>' in page


def test_the_list_is_paginated(tmp_path: Path, protocol: str) -> None:
    app = make_app(tmp_path, NOTES_PER_PAGE=2)
    ada = Browser(app.test_client(protocol=protocol))
    ada.register("ada")
    for n in range(5):
        ada.create(f"note {n}")
    first = ada.client.get("/").get_data(as_text=True)
    assert first.count('class="card"') == 2
    assert "note 4" in first and "note 3" in first  # newest first
    assert '<a href="/?page=3">3</a>' in first
    last = ada.client.get("/?page=3").get_data(as_text=True)
    assert last.count('class="card"') == 1
    assert "note 0" in last
    assert ada.client.get("/?page=4").status_code == 404
    assert ada.client.get("/?page=x").status_code == 404


def test_static_files_and_error_pages(browser: Browser) -> None:
    rv = browser.client.get("/static/style.css")
    assert rv.status_code == 200
    assert rv.mimetype == "text/css"
    assert browser.client.get("/static/live.js").mimetype == "text/javascript"
    rv = browser.client.get("/no/such/page")
    assert rv.status_code == 404
    assert "<h1>404 · Not Found</h1>" in rv.get_data(as_text=True)
    assert browser.client.get("/static/../__init__.py").status_code == 404


def test_config_from_the_object_the_instance_file_and_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from examples.notes import create_app

    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("NOTES_PER_PAGE = 7\nSECRET_KEY = 'file'\n")
    monkeypatch.setenv("CARBOY_SECRET_KEY", "from-env")
    monkeypatch.setenv("CARBOY_SQLALCHEMY_DATABASE_URI", "sqlite:///env.sqlite")
    app: Carboy = create_app(instance_path=str(instance))
    assert app.config["NOTES_PER_PAGE"] == 7  # instance/config.py
    assert app.config["SECRET_KEY"] == "from-env"  # the environment wins
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024  # config.Config
    assert (instance / "env.sqlite").is_file()  # relative: in the instance folder
