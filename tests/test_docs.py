"""The README's examples run as they are written."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parent.parent


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.DOTALL)


def test_readme_example_runs() -> None:
    blocks = _python_blocks(ROOT / "README.md")
    assert len(blocks) == 2, "the README's app and its test client example"
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile("\n".join(blocks), "README.md", "exec"), namespace)


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_quick_start_example_app(protocol: str) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from examples.hello import app
    finally:
        sys.path.remove(str(ROOT))
    client = app.test_client(protocol=protocol)
    assert client.get("/").data == b"Hello, World!"
    assert client.get("/users/7?verbose=1").json == {"id": 7, "verbose": True}
    assert client.post("/echo", json={"a": 1}).json == {"a": 1}


def test_bodies_and_files_examples_run() -> None:
    path = ROOT / "docs" / "bodies-and-files.md"
    blocks = _python_blocks(path)
    assert blocks, "docs/bodies-and-files.md shows its examples"
    for block in blocks:
        namespace: dict[str, object] = {"__name__": "bodies_example"}
        exec(compile(block, str(path), "exec"), namespace)


def test_deploying_proxy_fix_example() -> None:
    """docs/deploying.md's ProxyFix example, called as a WSGI and as an ASGI app."""
    import asyncio

    blocks = _python_blocks(ROOT / "docs" / "deploying.md")
    block = next(b for b in blocks if "ProxyFix" in b)
    namespace: dict[str, Any] = {"__name__": "deploying_example"}
    exec(compile(block, "docs/deploying.md", "exec"), namespace)
    application = namespace["application"]
    forwarded = {
        "x-forwarded-for": "10.0.0.1, 203.0.113.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "example.com",
        "x-forwarded-port": "443",
        "x-forwarded-prefix": "/shop",
    }
    environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/whoami",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.url_scheme": "http",
        **{"HTTP_" + k.upper().replace("-", "_"): v for k, v in forwarded.items()},
    }
    started: list[Any] = []
    body = b"".join(application(environ, lambda *a: started.append(a)))
    assert started[0][0] == "200 OK"
    assert json.loads(body) == {
        "ip": "203.0.113.7",
        "url": "https://example.com/shop/whoami",
    }

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": "/me",
        "query_string": b"",
        "scheme": "http",
        "client": ("127.0.0.1", 40000),
        "server": ("127.0.0.1", 8000),
        "headers": [(b"host", b"127.0.0.1:8000")]
        + [(k.encode(), v.encode()) for k, v in forwarded.items()],
    }
    asyncio.run(application(scope, receive, send))
    assert sent[0]["status"] == 302
    assert (b"location", b"https://example.com/shop/whoami") in sent[0]["headers"]


def test_deploying_sync_to_thread_example() -> None:
    """docs/deploying.md's ``sync_to_thread`` example runs as written."""
    blocks = _python_blocks(ROOT / "docs" / "deploying.md")
    block = next(b for b in blocks if "sync_to_thread=False" in b)
    namespace: dict[str, Any] = {"__name__": "sync_to_thread_example"}
    exec(compile(block, "docs/deploying.md", "exec"), namespace)
    rules = {r.rule: r.endpoint for r in namespace["app"].url_map.iter_rules()}
    assert namespace["app"]._sync_to_thread == {rules["/health"]: False}


def test_websockets_and_streaming_page_runs() -> None:
    """Every python block of docs/websockets-and-streaming.md, in order."""
    blocks = _python_blocks(ROOT / "docs" / "websockets-and-streaming.md")
    namespace: dict[str, object] = {"__name__": "websockets_doc"}
    exec(compile("\n".join(blocks), "websockets-and-streaming.md", "exec"), namespace)


def test_headers_page_examples_run() -> None:
    blocks = _python_blocks(ROOT / "docs" / "headers-and-caching.md")
    assert len(blocks) == 3
    namespace: dict[str, object] = {"__name__": "headers_docs"}
    exec(compile("\n".join(blocks), "headers-and-caching.md", "exec"), namespace)


def test_architecture_example_runs() -> None:
    """docs/architecture.md's subclass overriding process_response, both adapters."""
    path = ROOT / "docs" / "architecture.md"
    blocks = _python_blocks(path)
    assert len(blocks) == 1
    namespace: dict[str, object] = {"__name__": "architecture_example"}
    exec(compile(blocks[0], str(path), "exec"), namespace)
