"""The app the HTTP/2 test serves with hypercorn: each view reports what it received."""

from __future__ import annotations

from typing import Any

from carboy import Carboy, request

app = Carboy(__name__)


def _seen() -> dict[str, Any]:
    scope = request.scope or {}
    return {
        "http_version": scope.get("http_version"),
        "content_length": request.headers.get("Content-Length"),
        "transfer_encoding": request.headers.get("Transfer-Encoding"),
    }


@app.post("/json")
async def json_view() -> dict[str, Any]:
    return {"json": request.get_json(), **_seen()}


@app.post("/form")
def form_view() -> dict[str, Any]:
    return {"form": request.form.to_dict(flat=False), **_seen()}


@app.post("/upload")
async def upload_view() -> dict[str, Any]:
    files = {k: [f.filename, len(f.read())] for k, f in request.files.items()}
    return {"files": files, "form": request.form.to_dict(), **_seen()}


@app.post("/stream")
def stream_view() -> dict[str, Any]:
    size = 0
    chunks = 0
    while chunk := request.stream.read(65536):
        size += len(chunk)
        chunks += 1
    return {"size": size, **_seen()}


@app.post("/limited")
def limited_view() -> dict[str, Any]:
    request.max_content_length = 1000
    return {"size": len(request.get_data())}
