"""A user's typed API, checked by mypy --strict in test_typing.py (never run): the
markers are the plain types to a type checker, and the public API is typed."""

from __future__ import annotations

from pydantic import BaseModel

from carboy import Carboy, abort
from carboy.ext.api import (
    Api,
    Body,
    Cookie,
    Header,
    Query,
    ValidationProblem,
    doc,
    problem,
)


class NoteIn(BaseModel):
    title: str


class Note(NoteIn):
    id: int


app = Carboy(__name__)
api = Api(
    app, title="Notes", security_schemes={"t": {"type": "http", "scheme": "bearer"}}
)


@app.get("/notes")
@api.doc(tags=["notes"], responses={404: "Missing."})
def list_notes(page: Query[int] = 1, q: Query[str | None] = None) -> list[Note]:
    n: int = page + 1
    return [Note(id=n, title=q or "")]


@app.post("/notes")
@doc(status=201, security=["t"])
async def create(
    body: NoteIn, x_id: Header[str | None] = None, theme: Cookie[str] = "x"
) -> Note:
    if not body.title:
        abort(400)
    return Note(id=1, title=body.title.upper())


@app.post("/sum")
def total(numbers: Body[list[int]]) -> dict[str, int]:
    return {"total": sum(numbers)}


@app.errorhandler(ValidationProblem)
def invalid(e: ValidationProblem) -> object:
    return problem(400, "Bad.", errors=e.errors)
