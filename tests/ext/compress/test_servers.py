"""Compression over real HTTP: uvicorn (ASGI) and gunicorn (WSGI) on 127.0.0.1."""

from __future__ import annotations

import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.live import BIN, Server, free_port  # noqa: E402

HERE = Path(__file__).parent
pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("gate") / "open"


@pytest.fixture(scope="module", params=["uvicorn", "gunicorn"])
def server(request: pytest.FixtureRequest, gate: Path) -> Iterator[Server]:
    port = free_port()
    if request.param == "uvicorn":
        argv = [str(BIN / "uvicorn"), "compressapp:app", "--host", "127.0.0.1"]
        argv += ["--port", str(port)]
    else:
        argv = [str(BIN / "gunicorn"), "--worker-class", "gthread", "--threads", "4"]
        argv += ["--bind", f"127.0.0.1:{port}", "compressapp:app"]
    with Server(argv, port, cwd=HERE, env={"COMPRESS_GATE": str(gate)}) as running:
        yield running


def test_json_in_each_coding(server: Server) -> None:
    with httpx.Client(base_url=server.url) as client:
        identity = client.get("/data", headers={"Accept-Encoding": "identity"})
        assert "Content-Encoding" not in identity.headers
        for coding in ("gzip", "br", "zstd"):
            rv = client.get("/data", headers={"Accept-Encoding": coding})
            assert rv.headers["Content-Encoding"] == coding
            assert rv.headers["Vary"] == "Accept-Encoding"
            assert int(rv.headers["Content-Length"]) < len(identity.content) // 4
            assert rv.content == identity.content  # httpx decoded it


def test_range_is_identity_and_whole_file_is_compressed(server: Server) -> None:
    source = (HERE / "compressapp.py").read_bytes()
    with httpx.Client(base_url=server.url) as client:
        rv = client.get(
            "/file", headers={"Accept-Encoding": "gzip", "Range": "bytes=5-54"}
        )
        assert rv.status_code == 206
        assert "Content-Encoding" not in rv.headers
        assert rv.content == source[5:55]
        rv = client.get("/file", headers={"Accept-Encoding": "br"})
        assert (rv.status_code, rv.headers["Content-Encoding"]) == (200, "br")
        assert rv.content == source


@pytest.mark.parametrize("path", ["/stream", "/astream"])
def test_streams_arrive_chunk_by_chunk(server: Server, gate: Path, path: str) -> None:
    """The server holds the second chunk until the test has decoded the first."""
    gate.unlink(missing_ok=True)
    gzip_decoder = zlib.decompressobj(31)
    with httpx.Client(base_url=server.url, timeout=30) as client:
        with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as rv:
            assert rv.headers["Content-Encoding"] == "gzip"
            raw = rv.iter_raw()
            text = b""
            while len(text) < 600:
                text += gzip_decoder.decompress(next(raw))
            assert text == b"first " * 100
            gate.touch()
            rest = b"".join(gzip_decoder.decompress(chunk) for chunk in raw)
    assert rest == b"second " * 100
