"""``send_file`` with a download name chosen by the client, and the file's lifetime
on every failure path."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carboy import Carboy, request, send_file
from carboy.files import guess_mimetype
from carboy.testing import CarboyClient


class TrackedFile(io.BytesIO):
    closed_count = 0

    def close(self) -> None:
        TrackedFile.closed_count += 1
        super().close()


@pytest.fixture
def hostile(app: Carboy, tmp_path: Path, protocol: str) -> CarboyClient:
    (tmp_path / "data.bin").write_bytes(b"<script>alert(1)</script>")
    app.root_path = str(tmp_path)

    @app.get("/path")
    def by_path() -> Any:
        return send_file("data.bin", download_name=request.args["name"])

    @app.get("/object")
    def by_object() -> Any:
        return send_file(io.BytesIO(b"x"), download_name=request.args["name"])

    @app.get("/attachment")
    def attachment() -> Any:
        return send_file(
            "data.bin", download_name=request.args["name"], as_attachment=True
        )

    return app.test_client(protocol=protocol)


@pytest.mark.parametrize("route", ["/path", "/object", "/attachment"])
@pytest.mark.parametrize(
    ("name", "mimetype"),
    [
        ("data:/%00,", "application/octet-stream"),
        ("data:text/html,x", "application/octet-stream"),
        ("data:text/html;base64,eA==", "application/octet-stream"),
        ("data:text/html,x.txt", "text/plain; charset=utf-8"),
        ("javascript:alert(1)", "application/octet-stream"),
        ("a%0d%0aSet-Cookie:%20x=1.txt", "text/plain; charset=utf-8"),
        ("a%00.txt", "text/plain; charset=utf-8"),
        ("x.html%0d%0a", "application/octet-stream"),
        ("dir\\evil.txt", "text/plain; charset=utf-8"),
        ("%E2%82%AC%0a.pdf", "application/pdf"),
    ],
)
def test_hostile_download_name(
    hostile: CarboyClient, route: str, name: str, mimetype: str
) -> None:
    rv = hostile.get(f"{route}?name={name}")
    assert rv.status_code == 200
    assert rv.headers["Content-Type"] == mimetype
    disposition = rv.headers["Content-Disposition"]
    assert not any(char in disposition for char in "\r\n\x00")
    assert "Set-Cookie" not in rv.headers


def test_name_without_control_characters_is_kept(hostile: CarboyClient) -> None:
    rv = hostile.get("/attachment?name=data:text%2Fhtml,x")
    assert (
        rv.headers["Content-Disposition"] == 'attachment; filename="data:text/html,x"'
    )
    rv = hostile.get("/attachment?name=a%0d%0ab.txt")
    assert rv.headers["Content-Disposition"] == 'attachment; filename="ab.txt"'


ANY_NAME_APP = Carboy("any_name")


@ANY_NAME_APP.get("/any")
def any_name() -> Any:
    return send_file(io.BytesIO(b"x"), download_name=request.args["name"])


ANY_NAME_CLIENTS = [ANY_NAME_APP.test_client(protocol=p) for p in ("wsgi", "asgi")]


@settings(max_examples=60)
@given(name=st.text(st.characters(codec="utf-8"), min_size=1, max_size=40))
def test_any_download_name_is_served(name: str) -> None:
    expected = guess_mimetype(name)[0] or "application/octet-stream"
    for client in ANY_NAME_CLIENTS:
        rv = client.get("/any", query_string={"name": name})
        assert rv.status_code == 200
        assert rv.headers["Content-Type"].split(";")[0] == expected
        assert not any(c in rv.headers["Content-Disposition"] for c in "\r\n\x00")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("report.pdf", ("application/pdf", None)),
        ("archive.tar.gz", ("application/x-tar", "gzip")),
        ("my report v2.pdf", ("application/pdf", None)),
        ("data:text/html,x", (None, None)),
        ("data:text/html,x.css", ("text/css", None)),
        ("x.unknownext", (None, None)),
        ("noext", (None, None)),
        ("dir/page.html", ("text/html", None)),
        ("dir\\page.html", ("text/html", None)),
        ("a.b:c", (None, None)),
        (".html", (None, None)),
    ],
)
def test_guess_mimetype_reads_only_the_extension(
    name: str, expected: tuple[str | None, str | None]
) -> None:
    assert guess_mimetype(name) == expected


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
@pytest.mark.parametrize(
    "kwargs",
    [
        {"mimetype": "text/html\r\nX: y"},
        {"etag": 'bad"tag'},
        {"max_age": lambda path: 1 / 0},
        {"download_name": None, "mimetype": None, "last_modified": object()},
    ],
)
def test_file_is_closed_on_every_failure(
    app: Carboy, tmp_path: Path, kwargs: dict[str, Any]
) -> None:
    (tmp_path / "f.txt").write_bytes(b"x")
    app.root_path = str(tmp_path)
    app.config["TESTING"] = False
    failures: list[BaseException] = []

    @app.get("/path")
    def by_path() -> Any:
        try:
            return send_file("f.txt", **kwargs)
        except Exception as exc:
            failures.append(exc)
            raise

    @app.get("/object")
    def by_object() -> Any:
        file = TrackedFile(b"x")
        try:
            return send_file(file, **{"download_name": "f.txt", **kwargs})
        except Exception as exc:
            failures.append(exc)
            raise

    for protocol in ("wsgi", "asgi"):
        client = app.test_client(protocol=protocol)
        client.get("/path")  # warm up whatever the first request opens
        before = open_fds()
        assert client.get("/path").status_code == 500
        assert open_fds() == before
        TrackedFile.closed_count = 0
        assert client.get("/object").status_code == 500
        assert TrackedFile.closed_count == 1
    assert len(failures) == 6
