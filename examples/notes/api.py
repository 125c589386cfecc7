"""The JSON API at /api/notes, built with carboy.ext.api: typed views validated before
they run, answers serialised through their models, errors as problem+json, and the
OpenAPI document at /openapi.json with Swagger UI at /docs.

It serves the same notes as the pages, to the same logged-in user: the browser's
session cookie is the credential (so Swagger UI's "Try it out" works once you are
logged in).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select

from carboy import Blueprint, url_for
from carboy.exceptions import HTTPException
from carboy.ext.api import Api, Query, ValidationProblem, doc, problem
from carboy.ext.login import current_user, login_required

from .live import publish
from .models import Note, db
from .notes import delete_note_and_files
from .stats import stats

api = Api(
    title="notes",
    version="1.0",
    description="Your notes, as JSON. Log in on the site first: the API uses the"
    " session cookie.",
    security_schemes={
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "session",
            "description": "The site's session cookie, set when you log in.",
        }
    },
    security=["session"],
)

bp = Blueprint("api", __name__, url_prefix="/api")


class NoteIn(BaseModel):
    """A new note, or every field of one (PUT)."""

    title: str = Field(min_length=1, max_length=200, examples=["Groceries"])
    body: str = Field(default="", max_length=20_000, examples=["milk, eggs"])


class NotePatch(BaseModel):
    """The fields to change (PATCH); the others stay."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=20_000)


class NoteOut(BaseModel):
    """A note as the API sends it."""

    id: int
    title: str
    body: str
    created: datetime
    updated: datetime
    url: str = Field(description="The note's page on the site.")


class Paging(BaseModel):
    page: int = Field(default=1, ge=1)
    per_page: int = Field(default=20, ge=1, le=100)


class NotePage(BaseModel):
    """One page of notes, newest first."""

    items: list[NoteOut]
    page: int
    per_page: int
    total: int
    pages: int
    next: int | None
    prev: int | None


@bp.errorhandler(HTTPException)
def as_problem(error: HTTPException) -> Any:
    """The API's errors as problem+json (the app's HTML error pages are for the
    pages): a 401 for anonymous callers, the 404 of another user's note, ..."""
    if isinstance(error, ValidationProblem):
        return error
    return problem(error.code or 500, error.description)


def _note(note_id: int) -> Note:
    return db.one_or_404(  # type: ignore[no-any-return]
        select(Note).where(Note.id == note_id, Note.owner_id == current_user.id),
        description=f"You have no note {note_id}.",
    )


@bp.get("/notes")
@login_required
def list_notes(paging: Query[Paging]) -> NotePage:
    """List your notes, newest first, a page at a time."""
    query = (
        select(Note).where(Note.owner_id == current_user.id).order_by(Note.id.desc())
    )
    page = db.paginate(query, page=paging.page, per_page=paging.per_page)
    return NotePage(
        items=[NoteOut(**n.to_dict()) for n in page.items],
        page=page.page,
        per_page=page.per_page,
        total=page.total or 0,
        pages=page.pages,
        next=page.next_num,
        prev=page.prev_num,
    )


@bp.post("/notes")
@doc(status=201, headers={"Location": "The new note's URL in the API."})
@login_required
def create_note(note: NoteIn) -> NoteOut:
    """Write a note."""
    row = Note(owner_id=current_user.id, title=note.title, body=note.body)
    db.session.add(row)
    db.session.commit()
    publish(current_user.id, "created", note=row.to_dict())
    stats().notes_written.labels("api").inc()
    location = url_for("api.read_note", note_id=row.id)
    return NoteOut(**row.to_dict()), 201, {"Location": location}


@bp.get("/notes/<int:note_id>")
@doc(responses={404: "You have no note with this id."})
@login_required
def read_note(note_id: int) -> NoteOut:
    """Read one of your notes."""
    return NoteOut(**_note(note_id).to_dict())


@bp.put("/notes/<int:note_id>")
@doc(responses={404: "You have no note with this id."})
@login_required
def replace_note(note_id: int, note: NoteIn) -> NoteOut:
    """Replace a note's title and text."""
    row = _note(note_id)
    row.title, row.body = note.title, note.body
    db.session.commit()
    publish(current_user.id, "updated", note=row.to_dict())
    return NoteOut(**row.to_dict())


@bp.patch("/notes/<int:note_id>")
@doc(responses={404: "You have no note with this id."})
@login_required
def update_note(note_id: int, changes: NotePatch) -> NoteOut:
    """Change some of a note's fields."""
    row = _note(note_id)
    for name, value in changes.model_dump(exclude_none=True).items():
        setattr(row, name, value)
    db.session.commit()
    publish(current_user.id, "updated", note=row.to_dict())
    return NoteOut(**row.to_dict())


@bp.delete("/notes/<int:note_id>")
@doc(status=204, response=None, responses={404: "You have no note with this id."})
@login_required
def delete_note(note_id: int) -> Any:
    """Delete a note and its attachments."""
    delete_note_and_files(_note(note_id))
    return "", 204
