"""The JSON API: /api/notes, the same notes as the pages, for the logged-in user.

Errors are ``application/problem+json`` (RFC 9457).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select

from carboy import Blueprint, jsonify, request, url_for
from carboy.exceptions import HTTPException
from carboy.ext.login import current_user, login_required

from .live import publish
from .models import Note, db

bp = Blueprint("api", __name__, url_prefix="/api")

PROBLEM_JSON = "application/problem+json"


class NoteIn(BaseModel):
    """A new note, or all of a note's fields (PUT)."""

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(default="", max_length=20_000)


class NotePatch(BaseModel):
    """Some of a note's fields (PATCH)."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    body: str | None = Field(default=None, max_length=20_000)


def problem(status: int, detail: str, **extra: Any) -> Any:
    from carboy.sansio.http import HTTP_STATUS_CODES

    body = {
        "type": "about:blank",
        "title": HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
        "detail": detail,
        **extra,
    }
    response = jsonify(body)
    response.status_code = status
    response.mimetype = PROBLEM_JSON
    return response


@bp.errorhandler(HTTPException)
def http_problem(error: HTTPException) -> Any:
    return problem(error.code or 500, error.description or "")


def _parse(model: type[BaseModel]) -> Any:
    data = request.get_json()  # 415 when not JSON, 400 when malformed
    try:
        return model.model_validate(data)
    except ValidationError as e:
        errors = [
            {
                "location": "body",
                "field": ".".join(str(p) for p in err["loc"]),
                "message": err["msg"],
                "type": err["type"],
            }
            for err in e.errors(include_url=False)
        ]
        return problem(
            422, f"The request has {len(errors)} invalid value(s).", errors=errors
        )


def _note(note_id: int) -> Note:
    return db.one_or_404(  # type: ignore[no-any-return]
        select(Note).where(Note.id == note_id, Note.owner_id == current_user.id),
        description=f"You have no note {note_id}.",
    )


@bp.get("/notes")
@login_required
def list_notes() -> Any:
    """The user's notes, newest first, a page at a time (?page=1&per_page=20)."""
    query = (
        select(Note).where(Note.owner_id == current_user.id).order_by(Note.id.desc())
    )
    page = db.paginate(query, max_per_page=100)
    return {
        "items": [n.to_dict() for n in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": page.pages,
        "next": page.next_num,
        "prev": page.prev_num,
    }


@bp.post("/notes")
@login_required
def create_note() -> Any:
    data = _parse(NoteIn)
    if not isinstance(data, NoteIn):
        return data
    note = Note(owner_id=current_user.id, title=data.title, body=data.body)
    db.session.add(note)
    db.session.commit()
    publish(current_user.id, "created", note=note.to_dict())
    return note.to_dict(), 201, {"Location": url_for("api.get_note", note_id=note.id)}


@bp.get("/notes/<int:note_id>")
@login_required
def get_note(note_id: int) -> Any:
    return _note(note_id).to_dict()


@bp.route("/notes/<int:note_id>", methods=["PUT", "PATCH"])
@login_required
def update_note(note_id: int) -> Any:
    note = _note(note_id)
    data = _parse(NoteIn if request.method == "PUT" else NotePatch)
    if not isinstance(data, BaseModel):
        return data
    for name, value in data.model_dump(exclude_unset=request.method == "PATCH").items():
        if value is not None:
            setattr(note, name, value)
    db.session.commit()
    publish(current_user.id, "updated", note=note.to_dict())
    return note.to_dict()


@bp.delete("/notes/<int:note_id>")
@login_required
def delete_note(note_id: int) -> Any:
    note = _note(note_id)
    db.session.delete(note)
    db.session.commit()
    publish(current_user.id, "deleted", id=note_id)
    return "", 204
