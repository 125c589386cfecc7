"""The app the real-server tests serve (gunicorn, uvicorn, granian)."""

from __future__ import annotations

from collections.abc import Iterator

from carboy import Carboy, request

app = Carboy(__name__)


@app.get("/")
def index() -> str:
    return "Hello, World!"


@app.get("/users/<int:user_id>")
async def user(user_id: int) -> dict[str, object]:
    return {"id": user_id, "q": request.args.getlist("q")}


@app.post("/echo")
def echo() -> dict[str, object]:
    return {"json": request.get_json(), "length": request.content_length}


@app.post("/form")
async def form() -> dict[str, object]:
    upload = request.files["file"]
    return {"name": request.form["name"], "size": len(upload.read())}


@app.get("/stream")
def stream() -> Iterator[str]:
    def generate() -> Iterator[str]:
        for i in range(3):
            yield f"chunk {i}\n"

    return generate()
