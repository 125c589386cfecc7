"""carboy behind real servers, over real HTTP on 127.0.0.1.

The same app is served by gunicorn (WSGI), uvicorn (ASGI, with no interface flag, as the
README shows), and granian in both its WSGI and ASGI modes. Each server is started as a
subprocess on a free port and stopped at the end of the module.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

APP_DIR = Path(__file__).parent.parent / "apps"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _command(server: str, port: int) -> list[str]:
    bind = ["--host", "127.0.0.1", "--port", str(port)]
    if server == "gunicorn":
        return [str(BIN / "gunicorn"), "-b", f"127.0.0.1:{port}", "-w", "1",
                "--chdir", str(APP_DIR), "served:app"]  # fmt: skip
    if server == "uvicorn":
        return [str(BIN / "uvicorn"), "--app-dir", str(APP_DIR), *bind, "served:app"]
    interface = server.rpartition("-")[2]
    return [str(BIN / "granian"), "--interface", interface, "--working-dir",
            str(APP_DIR), *bind, "served:app"]  # fmt: skip


SERVERS = ["gunicorn", "uvicorn", "granian-wsgi", "granian-asgi"]


@pytest.fixture(scope="module", params=SERVERS)
def base_url(request: pytest.FixtureRequest) -> Iterator[str]:
    server: str = request.param
    executable = _command(server, 0)[0]
    if not Path(executable).exists() and shutil.which(executable) is None:
        pytest.fail(f"{server} is not installed; it is part of the dev extra")
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        _command(server, port),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    out = proc.stdout.read().decode() if proc.stdout else ""
                    pytest.fail(f"{server} did not start:\n{out}")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            proc.kill()
            proc.wait()
        if proc.stdout:
            proc.stdout.close()


def _get(url: str, data: bytes | None = None, headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    req = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


pytestmark = pytest.mark.server


def test_hello(base_url: str) -> None:
    status, headers, body = _get(base_url + "/")
    assert status == 200
    assert body == b"Hello, World!"
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert headers["Content-Length"] == "13"


def test_async_view_with_query(base_url: str) -> None:
    status, _, body = _get(base_url + "/users/42?q=a&q=b")
    assert status == 200
    assert json.loads(body) == {"id": 42, "q": ["a", "b"]}


def test_json_body(base_url: str) -> None:
    payload = json.dumps({"a": [1, 2, 3]}).encode()
    status, _, body = _get(
        base_url + "/echo", payload, {"Content-Type": "application/json"}
    )
    assert status == 200
    assert json.loads(body) == {"json": {"a": [1, 2, 3]}, "length": len(payload)}


def test_multipart_upload(base_url: str) -> None:
    boundary = "b0undary"
    content = os.urandom(300_000)
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    status, _, out = _get(
        base_url + "/form",
        body,
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 200
    assert json.loads(out) == {"name": "x", "size": len(content)}


def test_streamed_response(base_url: str) -> None:
    status, _, body = _get(base_url + "/stream")
    assert status == 200
    assert body == b"chunk 0\nchunk 1\nchunk 2\n"


def test_not_found_and_method_not_allowed(base_url: str) -> None:
    assert _get(base_url + "/missing")[0] == 404
    status, headers, _ = _get(base_url + "/", b"x")
    assert status == 405
    assert headers["Allow"] == "GET, HEAD, OPTIONS"


def test_bad_json_is_400(base_url: str) -> None:
    status, _, _ = _get(
        base_url + "/echo", b"{nope", {"Content-Type": "application/json"}
    )
    assert status == 400
