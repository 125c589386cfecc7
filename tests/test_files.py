"""``send_file``, ``send_from_directory``, ``safe_join``, ``secure_filename`` and
``Response.make_conditional``, under both adapters."""

from __future__ import annotations

import io
import os
import posixpath
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carboy import Carboy, Response, request, send_file, send_from_directory
from carboy.files import safe_join, secure_filename
from carboy.sansio.http import http_date
from carboy.sansio.response import FileBody
from carboy.testing import CarboyClient

CONTENT = b"0123456789" * 10


@pytest.fixture
def files(tmp_path: Path) -> Path:
    (tmp_path / "data.txt").write_bytes(CONTENT)
    (tmp_path / "empty.bin").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "page.html").write_bytes(b"<p>hi</p>")
    (tmp_path / "archive.tar.gz").write_bytes(b"gz")
    return tmp_path


@pytest.fixture
def app(app: Carboy, files: Path) -> Carboy:
    app.root_path = str(files)

    @app.route("/file/<path:name>")
    def file(name: str) -> Any:
        return send_file(
            name,
            as_attachment="attach" in request.args,
            download_name=request.args.get("dl"),
            conditional="nocond" not in request.args,
        )

    @app.route("/dir/<path:name>")
    def directory(name: str) -> Any:
        return send_from_directory(".", name)

    @app.route("/bytes")
    def from_bytes() -> Any:
        return send_file(io.BytesIO(CONTENT), mimetype="application/x-thing")

    @app.route("/named")
    def named() -> Any:
        return send_file(io.BytesIO(b"x,y"), download_name="report.csv", etag="v1")

    @app.route("/cached")
    def cached() -> Any:
        return send_file("data.txt", max_age=60, last_modified=0)

    @app.route("/generated")
    def generated() -> Any:
        def gen() -> Any:
            yield b"01234"
            yield b"56789"

        rv = Response(gen(), mimetype="text/plain")
        rv.set_etag("gen")
        return rv.make_conditional(request, accept_ranges=True, complete_length=10)

    @app.route("/list")
    def listed() -> Any:
        rv = Response(b"abcdefghij", mimetype="text/plain")
        rv.headers["Last-Modified"] = http_date(0)
        return rv.make_conditional(request.environ or request, True, 10)

    return app


def test_send_path(client: CarboyClient) -> None:
    rv = client.get("/file/data.txt")
    assert rv.status_code == 200
    assert rv.get_data() == CONTENT
    assert rv.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert rv.headers["Content-Length"] == "100"
    assert rv.headers["Content-Disposition"] == 'inline; filename="data.txt"'
    assert rv.headers["Cache-Control"] == "no-cache"
    assert rv.headers["Accept-Ranges"] == "bytes"
    assert rv.headers["ETag"].startswith('"') and "-100-" in rv.headers["ETag"]
    assert rv.headers["Last-Modified"].endswith(" GMT")


def test_head(client: CarboyClient) -> None:
    rv = client.head("/file/data.txt")
    assert rv.status_code == 200
    assert rv.get_data() == b""
    assert rv.headers["Content-Length"] == "100"


def test_body_is_a_file_body(app: Carboy, files: Path) -> None:
    with app.test_request_context("/"):
        rv = send_file("data.txt")
        try:
            assert isinstance(rv.response, FileBody)
            assert rv.response.remaining is None
            assert rv.response.path == os.path.join(str(files), "data.txt")
        finally:
            rv.close()


def test_ranged_body_keeps_only_the_range(app: Carboy) -> None:
    with app.test_request_context("/", headers={"Range": "bytes=10-19"}):
        rv = send_file("data.txt")
        try:
            assert isinstance(rv.response, FileBody)
            assert rv.response.remaining == 10
            assert b"".join(rv.response) == CONTENT[10:20]
        finally:
            rv.close()


def test_attachment_and_download_name(client: CarboyClient) -> None:
    query = {"attach": "1", "dl": "résumé 2024.pdf"}
    rv = client.get("/file/data.txt", query_string=query)
    assert rv.headers["Content-Type"] == "application/pdf"
    assert rv.headers["Content-Disposition"] == (
        "attachment; filename=\"resume 2024.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf"
    )


def test_content_encoding_only_when_inline(client: CarboyClient) -> None:
    assert client.get("/file/archive.tar.gz").headers["Content-Encoding"] == "gzip"
    assert "Content-Encoding" not in client.get("/file/archive.tar.gz?attach=1").headers


def test_send_file_object(client: CarboyClient) -> None:
    rv = client.get("/bytes")
    assert rv.get_data() == CONTENT
    assert rv.headers["Content-Type"] == "application/x-thing"
    assert rv.headers["Content-Length"] == "100"
    assert "ETag" not in rv.headers and "Content-Disposition" not in rv.headers
    ranged = client.get("/bytes", headers={"Range": "bytes=-5"})
    assert (ranged.status_code, ranged.get_data()) == (206, CONTENT[-5:])


def test_send_named_file_object_with_etag(client: CarboyClient) -> None:
    rv = client.get("/named")
    assert rv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert rv.headers["ETag"] == '"v1"'
    assert client.get("/named", headers={"If-None-Match": '"v1"'}).status_code == 304


def test_file_object_errors(app: Carboy) -> None:
    with app.test_request_context("/"):
        with pytest.raises(TypeError, match="download_name"):
            send_file(io.BytesIO(b"x"))
        with pytest.raises(ValueError, match="binary"):
            send_file(io.StringIO("x"))


def test_missing_path_raises(app: Carboy) -> None:
    with app.test_request_context("/"), pytest.raises(FileNotFoundError):
        send_file("nope.txt")


def test_max_age(app: Carboy, client: CarboyClient) -> None:
    rv = client.get("/cached")
    assert rv.headers["Cache-Control"] == "public, max-age=60"
    assert "Expires" in rv.headers
    assert rv.headers["Last-Modified"] == "Thu, 01 Jan 1970 00:00:00 GMT"
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 300
    assert (
        client.get("/file/data.txt").headers["Cache-Control"] == "public, max-age=300"
    )


# -- conditional requests ------------------------------------------------------------


def test_if_none_match_304(client: CarboyClient) -> None:
    etag = client.get("/file/data.txt").headers["ETag"]
    rv = client.get("/file/data.txt", headers={"If-None-Match": f'"other", {etag}'})
    assert rv.status_code == 304
    assert rv.get_data() == b""
    assert "Content-Length" not in rv.headers
    assert rv.headers["ETag"] == etag
    assert (
        client.get("/file/data.txt", headers={"If-None-Match": "W/" + etag}).status_code
        == 304
    )
    assert (
        client.get("/file/data.txt", headers={"If-None-Match": "*"}).status_code == 304
    )
    assert (
        client.get("/file/data.txt", headers={"If-None-Match": '"x"'}).status_code
        == 200
    )


def test_if_modified_since(client: CarboyClient) -> None:
    last = client.get("/file/data.txt").headers["Last-Modified"]
    assert (
        client.get("/file/data.txt", headers={"If-Modified-Since": last}).status_code
        == 304
    )
    old = "Thu, 01 Jan 1970 00:00:00 GMT"
    assert (
        client.get("/file/data.txt", headers={"If-Modified-Since": old}).status_code
        == 200
    )
    bad = "yesterday"
    assert (
        client.get("/file/data.txt", headers={"If-Modified-Since": bad}).status_code
        == 200
    )


def test_if_none_match_wins_over_if_modified_since(client: CarboyClient) -> None:
    last = client.get("/file/data.txt").headers["Last-Modified"]
    headers = {"If-None-Match": '"other"', "If-Modified-Since": last}
    assert client.get("/file/data.txt", headers=headers).status_code == 200


def test_if_match_412(client: CarboyClient) -> None:
    etag = client.get("/file/data.txt").headers["ETag"]
    assert client.get("/file/data.txt", headers={"If-Match": etag}).status_code == 200
    rv = client.get("/file/data.txt", headers={"If-Match": '"stale"'})
    assert rv.status_code == 412
    assert rv.get_data() == b""
    old = "Thu, 01 Jan 1970 00:00:00 GMT"
    assert (
        client.get("/file/data.txt", headers={"If-Unmodified-Since": old}).status_code
        == 412
    )


def test_not_conditional(client: CarboyClient) -> None:
    rv = client.get(
        "/file/data.txt?nocond=1", headers={"If-None-Match": "*", "Range": "bytes=0-1"}
    )
    assert rv.status_code == 200 and rv.get_data() == CONTENT


# -- ranges ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "content_range", "data"),
    [
        ("bytes=0-9", "bytes 0-9/100", CONTENT[:10]),
        ("bytes=95-", "bytes 95-99/100", CONTENT[95:]),
        ("bytes=-3", "bytes 97-99/100", CONTENT[97:]),
        ("bytes=90-500", "bytes 90-99/100", CONTENT[90:]),
        ("bytes=-500", "bytes 0-99/100", CONTENT),
    ],
)
def test_single_range(
    client: CarboyClient, header: str, content_range: str, data: bytes
) -> None:
    rv = client.get("/file/data.txt", headers={"Range": header})
    assert rv.status_code == 206
    assert rv.headers["Content-Range"] == content_range
    assert rv.headers["Content-Length"] == str(len(data))
    assert rv.get_data() == data


def test_unsatisfiable_range_416(client: CarboyClient) -> None:
    rv = client.get("/file/data.txt", headers={"Range": "bytes=100-"})
    assert rv.status_code == 416
    assert rv.headers["Content-Range"] == "bytes */100"


@pytest.mark.parametrize(
    "header", ["bytes=0-1,5-6", "bytes=5-1", "items=0-1", "bytes=x", "bytes=-0"]
)
def test_multiple_or_malformed_ranges_send_everything(
    client: CarboyClient, header: str
) -> None:
    rv = client.get("/file/data.txt", headers={"Range": header})
    assert rv.status_code == 200
    assert rv.get_data() == CONTENT


def test_range_on_empty_file_is_ignored(client: CarboyClient) -> None:
    rv = client.get("/file/empty.bin", headers={"Range": "bytes=0-1"})
    assert (rv.status_code, rv.get_data()) == (200, b"")


def test_if_range(client: CarboyClient) -> None:
    first = client.get("/file/data.txt")
    etag, last = first.headers["ETag"], first.headers["Last-Modified"]
    for validator, status in [
        (etag, 206),
        (last, 206),
        ('"stale"', 200),
        ("W/" + etag, 200),
    ]:
        rv = client.get(
            "/file/data.txt", headers={"Range": "bytes=0-0", "If-Range": validator}
        )
        assert rv.status_code == status, validator


def test_range_of_a_streamed_body(client: CarboyClient) -> None:
    rv = client.get("/generated", headers={"Range": "bytes=3-6"})
    assert (rv.status_code, rv.get_data()) == (206, b"3456")
    assert (
        client.get("/generated", headers={"If-None-Match": '"gen"'}).status_code == 304
    )


def test_make_conditional_with_bytes_body(client: CarboyClient) -> None:
    rv = client.get("/list", headers={"Range": "bytes=8-"})
    assert (rv.status_code, rv.get_data()) == (206, b"ij")
    ims = "Fri, 02 Jan 1970 00:00:00 GMT"
    assert client.get("/list", headers={"If-Modified-Since": ims}).status_code == 304
    assert client.post("/list", headers={"If-Modified-Since": ims}).status_code == 405


def test_make_conditional_needs_a_request() -> None:
    with pytest.raises(TypeError, match="make_conditional"):
        Response(b"x").make_conditional(None)


def test_make_conditional_ignores_other_methods() -> None:
    environ = {"REQUEST_METHOD": "POST", "HTTP_IF_NONE_MATCH": "*"}
    rv = Response(b"x").make_conditional(environ)
    assert rv.status_code == 200 and rv.get_data() == b"x"


# -- send_from_directory, safe_join, secure_filename ---------------------------------


def test_send_from_directory(client: CarboyClient) -> None:
    assert client.get("/dir/sub/page.html").get_data() == b"<p>hi</p>"
    assert client.get("/dir/sub").status_code == 404
    assert client.get("/dir/missing.txt").status_code == 404


@pytest.mark.parametrize(
    "name",
    [
        "../secret",
        "sub/../../secret",
        "%2e%2e/secret",
        "..%2fsecret",
        "..%5csecret",
        "sub%00.txt",
    ],
)
def test_send_from_directory_traversal_is_404(client: CarboyClient, name: str) -> None:
    assert client.get(f"/dir/{name}").status_code == 404


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        (("a.txt",), "root/a.txt"),
        (("sub/./b.txt",), "root/sub/b.txt"),
        (("sub/../b.txt",), "root/b.txt"),
        (("",), "root/"),
        (("..",), None),
        (("../x",), None),
        (("a/../../x",), None),
        (("/etc/passwd",), None),
        (("//server/share",), None),
        (("\\\\server\\share",), None),
        (("a\\..\\..\\x",), None),
        (("C:",), None),
        (("c:/windows",), None),
        (("a\x00b",), None),
        (("a\nb",), None),
        (("ok", "../.."), None),
    ],
)
def test_safe_join(paths: tuple[str, ...], expected: str | None) -> None:
    assert safe_join("root", *paths) == expected


def test_safe_join_empty_directory() -> None:
    assert safe_join("", "a") == "./a"


@given(st.lists(st.text(alphabet="./\\:%aC\x00", max_size=8), min_size=1, max_size=4))
def test_safe_join_never_escapes(parts: list[str]) -> None:
    result = safe_join("/srv/root", *parts)
    if result is not None:
        normalized = posixpath.normpath(result)
        assert normalized == "/srv/root" or normalized.startswith("/srv/root/")
        assert "\\" not in result and "\x00" not in result


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("My cool movie.mov", "My_cool_movie.mov"),
        ("../../../etc/passwd", "etc_passwd"),
        ("i contain cool \xfcml\xe4uts.txt", "i_contain_cool_umlauts.txt"),
        ("..\\..\\windows\\system32", "windows_system32"),
        ("CON.txt", "_CON.txt"),
        ("...", ""),
        ("日本語", ""),
    ],
)
def test_secure_filename(name: str, expected: str) -> None:
    assert secure_filename(name) == expected


def test_reexported() -> None:
    import carboy

    assert carboy.send_file is not None and carboy.send_from_directory is not None
