"""carboy over real HTTP/2: hypercorn on 127.0.0.1, httpx with prior knowledge (h2c).

HTTP/2 carries request bodies in DATA frames with neither ``Content-Length`` nor
``Transfer-Encoding``; the ASGI adapter must read them from the server's messages. The
client sends every body from a generator, so no ``Content-Length`` goes out, and each
view reports the headers it saw.
"""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from carboy.testing import encode_multipart

APP_DIR = Path(__file__).parent.parent / "apps"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def base_url() -> Iterator[str]:
    port = _free_port()
    env = dict(os.environ, PYTHONUNBUFFERED="1", PYTHONPATH=str(APP_DIR))
    proc = subprocess.Popen(
        [str(BIN / "hypercorn"), "--bind", f"127.0.0.1:{port}", "asgi:h2app:app"],
        cwd=APP_DIR,
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
                    pytest.fail(f"hypercorn did not start:\n{out}")
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


@pytest.fixture
def h2(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, http1=False, http2=True, timeout=20) as c:
        yield c


def _pieces(data: bytes, size: int = 1000) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i : i + size]


NO_LENGTH = {"http_version": "2", "content_length": None, "transfer_encoding": None}


def test_json_post_without_length(h2: httpx.Client) -> None:
    payload = {"a": [1, 2, 3], "s": "x" * 5000}
    rv = h2.post(
        "/json",
        content=_pieces(json.dumps(payload).encode()),
        headers={"Content-Type": "application/json"},
    )
    assert rv.http_version == "HTTP/2"
    assert rv.status_code == 200
    assert rv.json() == {"json": payload, **NO_LENGTH}


def test_form_post_without_length(h2: httpx.Client) -> None:
    body = b"a=1&b=two&b=three&c=" + b"y" * 3000
    rv = h2.post(
        "/form",
        content=_pieces(body),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert rv.status_code == 200
    assert rv.json() == {
        "form": {"a": ["1"], "b": ["two", "three"], "c": ["y" * 3000]},
        **NO_LENGTH,
    }


def test_multipart_upload_without_length(h2: httpx.Client) -> None:
    content = os.urandom(700_000)
    body, content_type = encode_multipart(
        [("name", "x"), ("file", (io.BytesIO(content), "a.bin"))]
    )
    rv = h2.post(
        "/upload",
        content=_pieces(body, 16384),
        headers={"Content-Type": content_type},
    )
    assert rv.status_code == 200
    assert rv.json() == {
        "files": {"file": ["a.bin", len(content)]},
        "form": {"name": "x"},
        **NO_LENGTH,
    }


def test_streamed_read_without_length(h2: httpx.Client) -> None:
    size = 3 * 1024 * 1024  # spooled to disk on the way
    rv = h2.post(
        "/stream",
        content=_pieces(b"z" * size, 65536),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert rv.status_code == 200
    assert rv.json() == {"size": size, **NO_LENGTH}


def test_over_the_limit_without_length_is_413(h2: httpx.Client) -> None:
    rv = h2.post("/limited", content=_pieces(b"q" * 5000))
    assert rv.status_code == 413
    rv = h2.post("/limited", content=_pieces(b"q" * 500))
    assert (rv.status_code, rv.json()) == (200, {"size": 500})
