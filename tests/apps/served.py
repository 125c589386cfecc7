"""The app the real-server tests serve (gunicorn, uWSGI, uvicorn, granian, hypercorn,
several instances behind nginx), and the soak test's target.

``CARBOY_INSTANCE`` names the instance (``/instance``); ``CARBOY_MARKER`` is a file that
``after_serving`` appends to, so a test can see the lifespan shutdown ran.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from carboy import (
    Blueprint,
    Carboy,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
    websocket,
)
from carboy.middleware.proxy_fix import ProxyFix

app = Carboy(__name__)
app.config["SECRET_KEY"] = os.environ.get("CARBOY_SECRET_KEY", "served test key")
FILES = Path(__file__).parent / "files"


@app.get("/")
def index() -> str:
    return "Hello, World!"


@app.get("/health")
def health() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/instance")
def instance() -> dict[str, object]:
    return {"instance": os.environ.get("CARBOY_INSTANCE", ""), "pid": os.getpid()}


@app.get("/users/<int:user_id>")
async def user(user_id: int) -> dict[str, object]:
    return {"id": user_id, "q": request.args.getlist("q")}


@app.get("/items/<name>/<int:n>")
def item(name: str, n: int) -> dict[str, object]:
    return {"name": name, "n": n}


@app.post("/echo")
def echo() -> dict[str, object]:
    return {"json": request.get_json(), "length": request.content_length}


@app.post("/form")
async def form() -> dict[str, object]:
    upload = request.files["file"]
    return {"name": request.form["name"], "size": len(upload.read())}


@app.post("/login")
def login() -> dict[str, object]:
    session["user"] = request.form["user"]
    return {"user": session["user"], "instance": os.environ.get("CARBOY_INSTANCE", "")}


@app.get("/me")
async def me() -> dict[str, object]:
    return {
        "user": session.get("user"),
        "instance": os.environ.get("CARBOY_INSTANCE", ""),
    }


@app.post("/upload")
def upload() -> dict[str, object]:
    upload = request.files["file"]
    digest = hashlib.sha256()
    size = 0
    while chunk := upload.read(65536):
        digest.update(chunk)
        size += len(chunk)
    return {
        "size": size,
        "sha256": digest.hexdigest(),
        "note": request.form.get("note"),
    }


#: A limit changed for one request by a hook (tests/adapters/test_servers.py); a
#: blueprint's hook, so the other routes (and the soak) run no extra hook.
limits = Blueprint("limits", __name__, url_prefix="/limits")


@limits.before_request
def limit_from_query() -> None:
    request.max_content_length = int(request.args["max"])


@limits.post("/upload")
def limited_upload() -> dict[str, object]:
    digest = hashlib.sha256()
    size = 0
    while chunk := request.stream.read(65536):
        digest.update(chunk)
        size += len(chunk)
    return {"size": size, "sha256": digest.hexdigest()}


app.register_blueprint(limits)


@app.get("/files/<path:name>")
def download(name: str):  # type: ignore[no-untyped-def]
    return send_from_directory(FILES, name)


@app.get("/page")
def page() -> str:
    return render_template("page.html", title="Soak", items=range(10))


@app.get("/stream")
def stream() -> Iterator[str]:
    def generate() -> Iterator[str]:
        for i in range(3):
            yield f"chunk {i}\n"

    return generate()


@app.get("/astream")
async def astream() -> AsyncIterator[bytes]:
    async def generate() -> AsyncIterator[bytes]:
        for i in range(3):
            await asyncio.sleep(0.01)
            yield f"part {i}\n".encode()

    return generate()


@app.get("/slow")
def slow() -> str:
    """A long plain view whose body is sent only at the end (graceful shutdown)."""
    time.sleep(float(request.args.get("s", "1")))
    return "done " + "x" * 100_000


@app.get("/aslow")
async def aslow() -> str:
    await asyncio.sleep(float(request.args.get("s", "1")))
    return "done " + "x" * 100_000


@app.get("/where")
def where() -> dict[str, object]:
    return {
        "remote_addr": request.remote_addr,
        "scheme": request.scheme,
        "host": request.host,
        "external": url_for("where", _external=True),
    }


@app.get("/go")
def go():  # type: ignore[no-untyped-def]
    return redirect(url_for("where", _external=True))


@app.websocket("/ws/echo")
async def ws_echo() -> None:
    await websocket.accept()
    async for message in websocket:
        await websocket.send(message)


@app.websocket("/ws/shout")
def ws_shout() -> None:
    for message in websocket:
        websocket.send(message.upper() + " from " + str(request.remote_addr))


@app.after_serving
def after_serving() -> None:
    marker = os.environ.get("CARBOY_MARKER")
    if marker:
        with open(marker, "a") as f:
            f.write(f"after_serving {os.getpid()}\n")


#: Behind one nginx that sets all five X-Forwarded-* headers (deploy/nginx.conf).
proxied = ProxyFix(app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)
