"""The quick-start example: ``uvicorn examples.hello:app`` or ``gunicorn examples.hello:app``."""

from carboy import Carboy, jsonify, request

app = Carboy(__name__)


@app.get("/")
def index() -> str:
    return "Hello, World!"


@app.get("/health")
def health() -> dict[str, str]:
    """The container's health check (Dockerfile's HEALTHCHECK) asks this."""
    return {"status": "ok"}


@app.get("/users/<int:user_id>")
async def user(user_id: int) -> dict[str, object]:
    return {"id": user_id, "verbose": request.args.get("verbose", False, type=bool)}


@app.post("/echo")
def echo():  # type: ignore[no-untyped-def]
    return jsonify(request.get_json())
