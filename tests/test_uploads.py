"""Uploaded files: ``FileStorage``, spooling, cleanup and malformed multipart bodies."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from carboy import Carboy, request
from carboy.sansio import forms
from carboy.sansio.datastructures import FileStorage
from carboy.testing import CarboyClient


class _Recorder:
    """Every ``SpooledTemporaryFile`` the form parser opens."""

    def __init__(self) -> None:
        self.files: list[Any] = []
        self.cls = tempfile.SpooledTemporaryFile

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        file = self.cls(*args, **kwargs)
        self.files.append(file)
        return file


@pytest.fixture
def spools(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    recorder = _Recorder()
    monkeypatch.setattr(forms.tempfile, "SpooledTemporaryFile", recorder)
    return recorder


@pytest.fixture
def app(app: Carboy, tmp_path: Path) -> Carboy:
    seen: dict[str, Any] = {}
    app.config["SEEN"] = seen

    @app.post("/upload")
    def upload() -> Any:
        f = request.files["f"]
        seen["file"] = f
        info = {
            "filename": f.filename,
            "name": f.name,
            "content_type": f.content_type,
            "mimetype": f.mimetype,
            "mimetype_params": f.mimetype_params,
            "truthy": bool(f),
            "header": f.headers.get("Content-Type"),
            "rolled": getattr(f.stream, "_rolled", None),
        }
        data = f.read()
        info["size"] = len(data)
        info["head"] = data[:10].decode("latin-1")
        return info

    @app.post("/save")
    def save() -> Any:
        f = request.files["f"]
        target = tmp_path / "saved.bin"
        f.save(str(target), buffer_size=7)
        f.stream.seek(0)
        buffer = io.BytesIO()
        f.save(buffer)
        return {
            "disk": target.read_bytes().decode(),
            "buffer": buffer.getvalue().decode(),
        }

    @app.post("/all")
    def all_files() -> Any:
        return {
            name: [fs.filename for fs in request.files.getlist(name)]
            for name in request.files
        }

    @app.post("/fail")
    def fail() -> Any:
        seen["file"] = request.files["f"]
        raise RuntimeError("boom")

    return app


def test_file_storage_attributes(client: CarboyClient) -> None:
    data = {
        "f": (io.BytesIO(b"hello there"), "notes.txt", "text/plain; charset=latin-1")
    }
    rv = client.post("/upload", data=data)
    assert rv.status_code == 200
    assert rv.json == {
        "filename": "notes.txt",
        "name": "f",
        "content_type": "text/plain; charset=latin-1",
        "mimetype": "text/plain",
        "mimetype_params": {"charset": "latin-1"},
        "truthy": True,
        "header": "text/plain; charset=latin-1",
        "rolled": False,
        "size": 11,
        "head": "hello ther",
    }


def test_empty_filename_is_falsy(client: CarboyClient) -> None:
    body = (
        b'--b\r\nContent-Disposition: form-data; name="f"; filename=""\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n\r\n--b--\r\n"
    )
    rv = client.post(
        "/upload", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert rv.json["truthy"] is False
    assert rv.json["filename"] == ""


def test_client_path_in_filename_is_reported_not_used(
    client: CarboyClient, tmp_path: Path
) -> None:
    rv = client.post("/upload", data={"f": (io.BytesIO(b"x"), "../../etc/passwd")})
    assert rv.json["filename"] == "../../etc/passwd"
    assert not (tmp_path / "etc").exists()


def test_save_to_path_and_file(client: CarboyClient) -> None:
    rv = client.post("/save", data={"f": (io.BytesIO(b"0123456789abcdef"), "a.bin")})
    assert rv.json == {"disk": "0123456789abcdef", "buffer": "0123456789abcdef"}


def test_repeated_file_fields(client: CarboyClient) -> None:
    data = {"f": [(io.BytesIO(b"1"), "one.txt"), (io.BytesIO(b"2"), "two.txt")]}
    assert client.post("/all", data=data).json == {"f": ["one.txt", "two.txt"]}


def test_small_files_stay_in_memory_large_go_to_disk(
    app: Carboy, client: CarboyClient, spools: _Recorder
) -> None:
    small = client.post("/upload", data={"f": (io.BytesIO(b"s" * 1000), "s.bin")})
    assert small.json["rolled"] is False
    size = forms.SPOOL_THRESHOLD + 1
    large = client.post("/upload", data={"f": (io.BytesIO(b"L" * size), "l.bin")})
    assert large.json["rolled"] is True
    assert large.json["size"] == size
    assert len(spools.files) == 2
    assert all(f.closed for f in spools.files)


def test_memory_budget_spills_later_files(
    client: CarboyClient, spools: _Recorder
) -> None:
    part = b"m" * (forms.SPOOL_THRESHOLD - 10)
    data = {
        "a": (io.BytesIO(part), "1"),
        "b": (io.BytesIO(part), "2"),
        "c": (io.BytesIO(part), "3"),
    }
    assert client.post("/all", data=data).status_code == 200
    rolled = [f._rolled for f in spools.files]
    assert rolled == [False, False, True]
    assert all(f.closed for f in spools.files)


def test_files_closed_when_request_ends(app: Carboy, client: CarboyClient) -> None:
    client.post("/upload", data={"f": (io.BytesIO(b"x" * 600_000), "big.bin")})
    assert app.config["SEEN"]["file"].stream.closed


def test_files_closed_when_view_fails(app: Carboy, client: CarboyClient) -> None:
    app.config["TESTING"] = False
    rv = client.post("/fail", data={"f": (io.BytesIO(b"x" * 600_000), "big.bin")})
    assert rv.status_code == 500
    assert app.config["SEEN"]["file"].stream.closed


def test_file_storage_standalone(tmp_path: Path) -> None:
    fs = FileStorage(
        io.BytesIO(b"abc"), "a.txt", "f", content_type="text/plain", content_length=3
    )
    assert (fs.content_type, fs.content_length, fs.mimetype) == (
        "text/plain",
        3,
        "text/plain",
    )
    assert list(fs) == [b"abc"]
    fs.seek(0)
    assert fs.read(2) == b"ab"
    assert repr(fs) == "<FileStorage: 'a.txt' ('text/plain')>"
    fs.close()
    assert fs.closed
    assert not FileStorage()
    assert FileStorage().content_length == 0


# -- malformed multipart bodies -------------------------------------------------------

PART = b'Content-Disposition: form-data; name="f"; filename="a.txt"\r\n\r\n'
BIG = b"z" * (forms.SPOOL_THRESHOLD + 100)

MALFORMED: list[tuple[str, bytes, str, int]] = [
    (
        "no boundary param",
        b"--b\r\n" + PART + b"x\r\n--b--\r\n",
        "multipart/form-data",
        400,
    ),
    (
        "empty boundary",
        b"--\r\n" + PART + b"x\r\n----\r\n",
        "multipart/form-data; boundary=",
        400,
    ),
    ("boundary > 70", b"", "multipart/form-data; boundary=" + "a" * 71, 400),
    ("boundary bad char", b"", "multipart/form-data; boundary=a;b", 400),
    ("garbage params", b"--b\r\n", 'multipart/form-data; ;;=;boundary="', 400),
    (
        "wrong boundary",
        b"--c\r\n" + PART + b"x\r\n--c--\r\n",
        "multipart/form-data; boundary=b",
        400,
    ),
    ("empty body", b"", "multipart/form-data; boundary=b", 400),
    (
        "truncated header",
        b"--b\r\nContent-Disposition: form-da",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "truncated body",
        b"--b\r\n" + PART + b"xx",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "truncated large file",
        b"--b\r\n" + PART + BIG,
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "no closing boundary",
        b"--b\r\n" + PART + b"x\r\n--b\r\n",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "LF line endings",
        b"--b\nContent-Disposition: form-data; name=a\n\nx\n--b--\n",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "no content-disposition",
        b"--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "bad disposition type",
        b"--b\r\nContent-Disposition: attachment; name=a\r\n\r\nx\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "header without colon",
        b"--b\r\nContent-Disposition form-data\r\n\r\nx\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "bytes after boundary",
        b"--b\r\n" + PART + b"x\r\n--bXX\r\n",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "huge part header",
        b"--b\r\nX-Long: " + b"h" * 10000 + b"\r\n\r\n",
        "multipart/form-data; boundary=b",
        413,
    ),
    (
        "too many part headers",
        b"--b\r\n" + b"X-A: 1\r\n" * 20 + b"\r\n",
        "multipart/form-data; boundary=b",
        413,
    ),
    (
        "part content-length lies",
        b"--b\r\nContent-Disposition: form-data; name=a\r\nContent-Length: 5"
        b"\r\n\r\nxx\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "non-utf8 filename",
        b'--b\r\nContent-Disposition: form-data; name="f"; filename="\xff"\r\n\r\n'
        b"x\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
        400,
    ),
    (
        "file then garbage",
        b"--b\r\n" + PART + BIG + b"\r\n--b\r\nbroken\r\n\r\n",
        "multipart/form-data; boundary=b",
        400,
    ),
]


@pytest.mark.parametrize(
    ("body", "content_type", "status"),
    [case[1:] for case in MALFORMED],
    ids=[case[0] for case in MALFORMED],
)
def test_malformed_multipart(
    app: Carboy,
    client: CarboyClient,
    spools: _Recorder,
    body: bytes,
    content_type: str,
    status: int,
) -> None:
    before = _open_fds()
    rv = client.post("/upload", data=body, content_type=content_type)
    assert rv.status_code == status
    assert all(f.closed for f in spools.files)
    assert _open_fds() <= before


def test_truncated_large_file_spooled_then_closed(
    client: CarboyClient, spools: _Recorder
) -> None:
    rv = client.post(
        "/upload",
        data=b"--b\r\n" + PART + BIG,
        content_type="multipart/form-data; boundary=b",
    )
    assert rv.status_code == 400
    assert len(spools.files) == 1
    assert spools.files[0]._rolled and spools.files[0].closed


@pytest.mark.parametrize("delta", [-40, 40])
def test_content_length_that_lies(
    client: CarboyClient, spools: _Recorder, delta: int
) -> None:
    body = b"--b\r\n" + PART + b"x" * 100 + b"\r\n--b--\r\n"
    rv = client.post(
        "/upload",
        data=body,
        content_type="multipart/form-data; boundary=b",
        headers={"Content-Length": str(len(body) + delta)},
    )
    assert rv.status_code == 400
    assert all(f.closed for f in spools.files)


def test_preamble_and_epilogue_are_ignored(client: CarboyClient) -> None:
    body = b"preamble\r\n--b\r\n" + PART + b"data\r\n--b--\r\nepilogue"
    rv = client.post(
        "/upload", data=body, content_type="multipart/form-data; boundary=b"
    )
    assert rv.status_code == 200
    assert rv.json["head"] == "data"


def test_quoted_boundary(client: CarboyClient) -> None:
    body = b"--a b:c\r\n" + PART + b"data\r\n--a b:c--\r\n"
    rv = client.post(
        "/upload", data=body, content_type='multipart/form-data; boundary="a b:c"'
    )
    assert rv.status_code == 200


def _open_fds() -> int:
    try:
        return len(os.listdir("/proc/self/fd"))
    except FileNotFoundError:  # pragma: no cover - not Linux
        return 0


# -- memory -------------------------------------------------------------------------

MEMORY_SCRIPT = textwrap.dedent(
    """
    import resource, sys
    from carboy import Carboy, request

    app = Carboy("mem")
    app.config["MAX_CONTENT_LENGTH"] = None

    @app.post("/up")
    def up():
        f = request.files["f"]
        f.stream.seek(0, 2)
        return {"size": f.stream.tell(), "a": request.form["a"]}

    SIZE = 100 * 1024 * 1024
    head = (
        b'--b\\r\\nContent-Disposition: form-data; name="a"\\r\\n\\r\\n1\\r\\n'
        b'--b\\r\\nContent-Disposition: form-data; name="f"; filename="x.bin"\\r\\n\\r\\n'
    )
    tail = b"\\r\\n--b--\\r\\n"

    class Input:
        def __init__(self):
            self.chunks = self.gen()
            self.buf = b""
        def gen(self):
            yield head
            block = b"\\xab" * 65536
            for _ in range(SIZE // len(block)):
                yield block
            yield tail
        def read(self, size=-1):
            while len(self.buf) < size or size < 0:
                chunk = next(self.chunks, None)
                if chunk is None:
                    break
                self.buf += chunk
            if size < 0:
                size = len(self.buf)
            data, self.buf = self.buf[:size], self.buf[size:]
            return data

    def rss():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    status = []
    environ = {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/up", "SERVER_NAME": "x",
        "SERVER_PORT": "80", "wsgi.url_scheme": "http", "wsgi.input": Input(),
        "CONTENT_TYPE": "multipart/form-data; boundary=b",
        "CONTENT_LENGTH": str(len(head) + SIZE + len(tail)),
    }
    # Warm up imports and the first request path with a tiny request.
    app.test_client().post("/up", data={"a": "1", "f": (__import__("io").BytesIO(b"x"), "x")})
    before = rss()
    body = b"".join(app.wsgi_app(environ, lambda s, h: status.append(s)))
    print(status[0], body.decode().strip(), (rss() - before) // 1024)
    """
)


def test_large_upload_memory_stays_bounded(tmp_path: Path) -> None:
    script = tmp_path / "mem.py"
    script.write_text(MEMORY_SCRIPT)
    env = dict(os.environ, TMPDIR=str(tmp_path))
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    status, body, growth_kib = out.stdout.rsplit(" ", 2)
    assert status.startswith("200"), out.stdout
    assert f'"size":{100 * 1024 * 1024}' in body
    assert int(growth_kib) < 16 * 1024, f"peak RSS grew by {growth_kib} KiB"
