"""The notes blueprint: list, add, show and delete notes; a JSON view of them."""

from __future__ import annotations

import sqlite3
from typing import Any

from carboy import Blueprint, abort, flash, redirect, render_template, request, url_for

from .db import get_db

bp = Blueprint("notes", __name__)


def get_note(note_id: int) -> sqlite3.Row:
    note: sqlite3.Row | None = (
        get_db().execute("SELECT * FROM note WHERE id = ?", (note_id,)).fetchone()
    )
    if note is None:
        abort(404, f"There is no note {note_id}.")
    return note


@bp.get("/")
def index() -> str:
    notes = get_db().execute("SELECT * FROM note ORDER BY id DESC").fetchall()
    return render_template("index.html", notes=notes)


@bp.post("/")
def add() -> Any:
    title = request.form.get("title", "").strip()
    if not title:
        flash("A note needs a title.")
        return render_template("index.html", notes=[]), 400
    db = get_db()
    cursor = db.execute(
        "INSERT INTO note (title, body) VALUES (?, ?)",
        (title, request.form.get("body", "")),
    )
    db.commit()
    flash(f"Added “{title}”.")
    return redirect(url_for("notes.show", note_id=cursor.lastrowid))


@bp.get("/<int:note_id>")
def show(note_id: int) -> str:
    return render_template("note.html", note=get_note(note_id))


@bp.post("/<int:note_id>/delete")
def delete(note_id: int) -> Any:
    get_note(note_id)
    db = get_db()
    db.execute("DELETE FROM note WHERE id = ?", (note_id,))
    db.commit()
    flash("Deleted.")
    return redirect(url_for("notes.index"))


@bp.get("/api/notes")
def api_notes() -> list[dict[str, Any]]:
    rows = get_db().execute("SELECT id, title, body FROM note ORDER BY id").fetchall()
    return [dict(row) for row in rows]
