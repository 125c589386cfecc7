"""Attachments: multipart uploads with a size limit, downloads with ranges and
conditional requests, and no way to reach someone else's file or a path on disk."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

from carboy import Carboy

from .conftest import Browser

DATA = b"0123456789" * 100


def upload(who: Browser, note_id: int, data: bytes, name: str = "report.txt") -> Any:
    token = who.token(f"/notes/{note_id}")
    return who.client.post(
        f"/notes/{note_id}/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(data), name)},
    )


def test_upload_and_download(ada: Browser, notes_app: Carboy) -> None:
    ada.create("with a file")
    rv = upload(ada, 1, DATA)
    assert rv.status_code == 302
    page = ada.client.get("/notes/1").get_data(as_text=True)
    assert "Attached “report.txt”." in page
    assert '<a href="/attachments/1" download>report.txt</a>' in page
    assert "1000 B" in page
    folder = Path(notes_app.instance_path) / "attachments"
    (stored,) = os.listdir(folder)
    assert len(stored) == 32  # a random name, never the client's

    rv = ada.client.get("/attachments/1")
    assert rv.status_code == 200
    assert rv.data == DATA
    assert rv.headers["Content-Disposition"] == 'attachment; filename="report.txt"'
    assert rv.headers["X-Content-Type-Options"] == "nosniff"
    assert rv.headers["Accept-Ranges"] == "bytes"
    etag = rv.headers["ETag"]

    rv = ada.client.get("/attachments/1", headers={"If-None-Match": etag})
    assert rv.status_code == 304
    assert rv.data == b""
    rv = ada.client.get("/attachments/1", headers={"Range": "bytes=10-19"})
    assert rv.status_code == 206
    assert rv.data == b"0123456789"
    assert rv.headers["Content-Range"] == "bytes 10-19/1000"
    rv = ada.client.get("/attachments/1", headers={"Range": "bytes=5000-"})
    assert rv.status_code == 416
    rv = ada.client.get(
        "/attachments/1", headers={"Range": "bytes=0-1", "If-Range": '"stale"'}
    )
    assert rv.status_code == 200  # the file changed: all of it
    assert rv.data == DATA

    rv = ada.post("/attachments/1/delete", {}, "/notes/1")
    assert rv.status_code == 302
    assert os.listdir(folder) == []
    assert ada.client.get("/attachments/1").status_code == 404


def test_an_oversized_upload_is_refused(ada: Browser, notes_app: Carboy) -> None:
    ada.create("too big")
    limit = notes_app.config["MAX_CONTENT_LENGTH"]
    rv = upload(ada, 1, b"x" * (limit + 1))
    assert rv.status_code == 413
    assert "<h1>413 · Content Too Large</h1>" in rv.get_data(as_text=True)
    assert not (Path(notes_app.instance_path) / "attachments").exists()
    assert "None yet." in ada.client.get("/notes/1").get_data(as_text=True)


def test_bad_uploads(ada: Browser) -> None:
    ada.create("note")
    token = ada.token("/notes/1")
    rv = ada.client.post("/notes/1/attachments", data={"csrf_token": token})
    assert rv.status_code == 400
    assert "This field is required." in rv.get_data(as_text=True)
    rv = ada.client.post(
        "/notes/1/attachments", data={"file": (io.BytesIO(b"x"), "a.txt")}
    )
    assert rv.status_code == 400
    assert "The CSRF token is missing." in rv.get_data(as_text=True)
    # A path in the filename is only a name to show; nothing is written outside.
    rv = upload(ada, 1, b"x", name="../../etc/passwd")
    assert rv.status_code == 302
    page = ada.client.get("/notes/1").get_data(as_text=True)
    assert '<a href="/attachments/1" download>passwd</a>' in page
    rv = upload(ada, 1, b"y", name="..\\windows\\evil.html")
    assert rv.status_code == 302
    rv = ada.client.get("/attachments/2")
    assert rv.headers["Content-Disposition"] == 'attachment; filename="evil.html"'
    assert rv.data == b"y"
    rv = ada.client.post(
        "/notes/9/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(b"x"), "a.txt")},
    )
    assert rv.status_code == 404


def test_someone_elses_attachment_is_not_found(ada: Browser, grace: Browser) -> None:
    ada.create("ada's")
    upload(ada, 1, b"private")
    assert grace.client.get("/attachments/1").status_code == 404
    grace.create("grace's")
    token = grace.token("/notes/2")
    rv = grace.client.post(
        "/notes/1/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(b"x"), "x.txt")},
    )
    assert rv.status_code == 404
    rv = grace.client.post("/attachments/1/delete", data={"csrf_token": token})
    assert rv.status_code == 404
    assert ada.client.get("/attachments/1").data == b"private"


def test_deleting_a_note_deletes_its_files(ada: Browser, notes_app: Carboy) -> None:
    ada.create("note")
    upload(ada, 1, b"a", "a.txt")
    upload(ada, 1, b"b", "b.txt")
    folder = Path(notes_app.instance_path) / "attachments"
    assert len(os.listdir(folder)) == 2
    assert ada.post("/notes/1/delete", {}, "/notes/1").status_code == 302
    assert os.listdir(folder) == []
