"""carboy behind every production server, over real HTTP on 127.0.0.1.

Each server runs the command docs/deploying.md gives for it (read from the guide, only
the port, the app and the certificate replaced): gunicorn with sync and gthread workers,
uWSGI with processes and with threads, uvicorn with workers, granian with both
interfaces, and hypercorn over HTTP/2 with TLS. Each is started on a free port, checked
answer by answer, and stopped by its PID at the end of the module.
"""

from __future__ import annotations

import hashlib
import json
import os
import ssl
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect as ws_connect

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.live import Server, free_port, guide_command, guide_commands  # noqa: E402

APP_DIR = ROOT / "tests" / "apps"
DATA = (APP_DIR / "files" / "data.bin").read_bytes()
SERVERS = [
    "gunicorn-sync",
    "gunicorn-gthread",
    "uwsgi-processes",
    "uwsgi-threads",
    "uvicorn-workers",
    "granian-wsgi",
    "granian-asgi",
    "hypercorn-h2",
]

pytestmark = pytest.mark.server


def test_every_guide_server_is_tested() -> None:
    assert sorted(guide_commands()) == sorted(SERVERS)


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A throwaway CA and a certificate for 127.0.0.1 (for hypercorn's HTTP/2)."""
    import trustme

    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    paths = {name: str(folder / name) for name in ("cert.pem", "key.pem", "ca.pem")}
    cert.cert_chain_pems[0].write_to_path(paths["cert.pem"])
    cert.private_key_pem.write_to_path(paths["key.pem"])
    ca.cert_pem.write_to_path(paths["ca.pem"])
    return paths


@pytest.fixture(scope="module", params=SERVERS)
def server(request: pytest.FixtureRequest, tls: dict[str, str]) -> Iterator[Server]:
    name: str = request.param
    port = free_port()
    argv = guide_command(name, port, **tls)
    with Server(argv, port, cwd=APP_DIR, tls=name == "hypercorn-h2") as running:
        running.name = name  # type: ignore[attr-defined]
        yield running
        assert running.proc is not None and running.proc.poll() is None, (
            f"{name} died during the tests:\n{running.output()}"
        )


def _client(server: Server, tls: dict[str, str]) -> httpx.Client:
    """A client of ``server``: HTTP/2 only (ALPN) for hypercorn, HTTP/1.1 otherwise."""
    h2 = server.tls
    verify = ssl.create_default_context(cafile=tls["ca.pem"]) if h2 else True
    return httpx.Client(
        base_url=server.url, http1=not h2, http2=h2, verify=verify, timeout=30
    )


@pytest.fixture
def client(server: Server, tls: dict[str, str]) -> Iterator[httpx.Client]:
    with _client(server, tls) as client:
        yield client


def _check_version(response: httpx.Response, server: Server) -> None:
    assert response.http_version == ("HTTP/2" if server.tls else "HTTP/1.1")


def test_plain_text(client: httpx.Client, server: Server) -> None:
    response = client.get("/")
    _check_version(response, server)
    assert response.status_code == 200
    assert response.content == b"Hello, World!"
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["Content-Length"] == "13"


def test_path_parameters(client: httpx.Client) -> None:
    response = client.get("/items/caf%C3%A9/12")
    assert (response.status_code, response.json()) == (200, {"name": "café", "n": 12})
    response = client.get("/users/42?q=a&q=b")
    assert (response.status_code, response.json()) == (200, {"id": 42, "q": ["a", "b"]})
    assert client.get("/items/x/notanint").status_code == 404


def test_json_body(client: httpx.Client) -> None:
    payload = json.dumps({"a": [1, 2, 3]}).encode()
    response = client.post(
        "/echo", content=payload, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == {"json": {"a": [1, 2, 3]}, "length": len(payload)}


def test_bad_json_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/echo", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400


def test_multipart_form_post(client: httpx.Client) -> None:
    content = os.urandom(300_000)
    response = client.post(
        "/form", data={"name": "x"}, files={"file": ("a.bin", content)}
    )
    assert response.status_code == 200
    assert response.json() == {"name": "x", "size": len(content)}


def test_five_megabyte_upload(client: httpx.Client) -> None:
    content = os.urandom(5 * 1024 * 1024)
    response = client.post(
        "/upload",
        data={"note": "big"},
        files={"file": ("big.bin", content, "application/octet-stream")},
    )
    assert response.status_code == 200
    assert response.json() == {
        "size": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
        "note": "big",
    }


def test_file_download_whole_and_range(client: httpx.Client) -> None:
    response = client.get("/files/data.bin")
    assert response.status_code == 200
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.content == DATA
    response = client.get("/files/data.bin", headers={"Range": "bytes=1000-1999"})
    assert response.status_code == 206
    assert response.headers["Content-Range"] == f"bytes 1000-1999/{len(DATA)}"
    assert response.headers["Content-Length"] == "1000"
    assert response.content == DATA[1000:2000]
    response = client.get("/files/data.bin", headers={"Range": "bytes=-10"})
    assert (response.status_code, response.content) == (206, DATA[-10:])
    response = client.get("/files/data.bin", headers={"Range": "bytes=200000-"})
    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{len(DATA)}"
    assert client.get("/files/../served.py").status_code == 404


def test_session_cookie_round_trip(
    client: httpx.Client, server: Server, tls: dict[str, str]
) -> None:
    response = client.post("/login", data={"user": "ada"})
    assert response.status_code == 200
    set_cookie = response.headers["Set-Cookie"]
    assert set_cookie.startswith("session=")
    assert "HttpOnly" in set_cookie and "SameSite=Lax" in set_cookie
    cookie = set_cookie.split(";", 1)[0]
    # A fresh connection each time: with several workers, others answer too.
    for _ in range(4):
        with _client(server, tls) as fresh:
            response = fresh.get("/me", headers={"Cookie": cookie})
            assert (response.status_code, response.json()["user"]) == (200, "ada")
    response = client.get("/me", headers={"Cookie": cookie[:-2] + "xx"})
    assert response.json()["user"] is None


def test_streamed_responses(client: httpx.Client) -> None:
    for path, expected in [
        ("/stream", b"chunk 0\nchunk 1\nchunk 2\n"),
        ("/astream", b"part 0\npart 1\npart 2\n"),
    ]:
        with client.stream("GET", path) as response:
            assert response.status_code == 200
            assert "Content-Length" not in response.headers
            chunks = list(response.iter_raw())
        assert b"".join(chunks) == expected


def test_not_found_and_method_not_allowed(client: httpx.Client) -> None:
    assert client.get("/missing").status_code == 404
    response = client.post("/", content=b"x")
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, HEAD, OPTIONS"


ASGI_SERVERS = {"uvicorn-workers", "granian-asgi", "hypercorn-h2"}


def test_body_limit_changed_per_request(client: httpx.Client, server: Server) -> None:
    """A hook raises the 16 MiB app limit for one endpoint (``?max=``), or lowers it.

    Under the ASGI servers a plain view's body is first received on the event loop
    under the app's limit; the rest arrives in its worker thread, with and without a
    length (chunked over HTTP/1.1, nothing over HTTP/2).
    """
    content = os.urandom(17 * 1024 * 1024)
    expected = {"size": len(content), "sha256": hashlib.sha256(content).hexdigest()}

    def pieces() -> Iterator[bytes]:
        for i in range(0, len(content), 1024 * 1024):
            yield content[i : i + 1024 * 1024]

    bodies: list[Any] = [content]
    if server.name in ASGI_SERVERS:  # type: ignore[attr-defined]
        bodies.append(pieces())  # (chunked bodies under WSGI: test_wsgi_bodies.py)
    for body in bodies:
        response = client.post("/limits/upload?max=20000000", content=body)
        assert (response.status_code, response.json()) == (200, expected)
    response = client.post("/limits/upload?max=5000", content=b"x" * 5000)
    assert response.json() == {
        "size": 5000,
        "sha256": hashlib.sha256(b"x" * 5000).hexdigest(),
    }
    # Last on this connection: uWSGI's HTTP router (--http-keepalive) sometimes resets
    # the next request on a connection whose previous body the app did not read (a
    # plain WSGI app too: 4 of 40 tries; none with --post-buffering 65536).
    response = client.post("/limits/upload?max=1000", content=b"x" * 5000)
    assert response.status_code == 413


def test_websocket_echo(server: Server, tls: dict[str, str]) -> None:
    """Under the ASGI servers (hypercorn's over TLS, HTTP/1.1), async and sync handlers."""
    name = server.name  # type: ignore[attr-defined]
    if name not in ASGI_SERVERS:
        pytest.skip("WebSockets need an ASGI server")
    context = ssl.create_default_context(cafile=tls["ca.pem"]) if server.tls else None
    base = server.url.replace("http", "ws", 1)
    with ws_connect(base + "/ws/echo", ssl=context, open_timeout=30) as ws:
        ws.send("hello")
        assert ws.recv(timeout=30) == "hello"
        ws.send(b"\x00\xffbinary")
        assert ws.recv(timeout=30) == b"\x00\xffbinary"
    with ws_connect(base + "/ws/shout", ssl=context, open_timeout=30) as ws:
        ws.send("hi")
        assert ws.recv(timeout=30) == "HI from 127.0.0.1"


def test_template(client: httpx.Client) -> None:
    response = client.get("/page")
    assert response.status_code == 200
    assert "<li>9</li>" in response.text


def test_readme_commands_are_the_guides() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Serving") : readme.index("## Differences")]
    rows = [line.split("|") for line in section.splitlines() if line.startswith("| ")]
    commands = [row[4].strip(" `") for row in rows[1:] if "app.run" not in row[4]]
    assert len(commands) == 6
    assert set(commands) <= set(guide_commands().values())
