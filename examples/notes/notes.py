"""The notes pages: list, create, show, edit, delete; attachments; the live socket.

Every query is filtered by the logged-in owner, so another user's note is a 404 (not
a 403, which would confirm that the note exists).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from carboy import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
    websocket,
)
from carboy.datastructures import FileStorage
from carboy.ext.login import current_user, login_required
from carboy.websockets import WebSocketDisconnect

from .forms import AttachmentForm, ConfirmForm, NoteForm
from .live import hub, publish
from .models import Attachment, Note, db
from .stats import stats

bp = Blueprint("notes", __name__)


def upload_folder() -> str:
    return os.path.join(
        current_app.instance_path, current_app.config["NOTES_UPLOAD_FOLDER"]
    )


def get_note(note_id: int) -> Note:
    """The current user's note ``note_id``, or 404."""
    return db.one_or_404(  # type: ignore[no-any-return]
        select(Note).where(Note.id == note_id, Note.owner_id == current_user.id),
        description=f"You have no note {note_id}.",
    )


def get_attachment(attachment_id: int) -> Attachment:
    return db.one_or_404(  # type: ignore[no-any-return]
        select(Attachment)
        .join(Note)
        .where(Attachment.id == attachment_id, Note.owner_id == current_user.id),
        description=f"You have no attachment {attachment_id}.",
    )


@bp.get("/")
@login_required
def index() -> Any:
    query = (
        select(Note).where(Note.owner_id == current_user.id).order_by(Note.id.desc())
    )
    page = db.paginate(query, per_page=current_app.config["NOTES_PER_PAGE"])
    return render_template("notes/index.html", page=page, form=NoteForm(formdata=None))


@bp.post("/")
@login_required
def create() -> Any:
    form = NoteForm()
    if not form.validate():
        query = select(Note).where(Note.owner_id == current_user.id)
        page = db.paginate(query.order_by(Note.id.desc()), page=1, per_page=20)
        return render_template("notes/index.html", page=page, form=form), 400
    note = Note(owner_id=current_user.id, title=form.title.data, body=form.body.data)
    db.session.add(note)
    db.session.commit()
    publish(current_user.id, "created", note=note.to_dict())
    stats().notes_written.labels("page").inc()
    flash(f"Created “{note.title}”.", "success")
    return redirect(url_for("notes.show", note_id=note.id))


@bp.get("/notes/<int:note_id>")
@login_required
def show(note_id: int) -> Any:
    return render_template(
        "notes/show.html",
        note=get_note(note_id),
        upload=AttachmentForm(formdata=None),
        confirm=ConfirmForm(formdata=None),
    )


@bp.route("/notes/<int:note_id>/edit", methods=["GET", "POST"])
@login_required
def edit(note_id: int) -> Any:
    note = get_note(note_id)
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        form.populate_obj(note)
        db.session.commit()
        publish(current_user.id, "updated", note=note.to_dict())
        flash("Saved.", "success")
        return redirect(url_for("notes.show", note_id=note.id))
    status = 400 if form.errors else 200
    return render_template("notes/edit.html", note=note, form=form), status


@bp.post("/notes/<int:note_id>/delete")
@login_required
def delete(note_id: int) -> Any:
    note = get_note(note_id)
    delete_note_and_files(note)
    flash(f"Deleted “{note.title}”.", "success")
    return redirect(url_for("notes.index"))


def delete_note_and_files(note: Note) -> None:
    """Delete ``note``, its attachments' rows and files, and tell the owner's pages."""
    stored = [a.stored_name for a in note.attachments]
    db.session.delete(note)
    db.session.commit()
    for name in stored:
        _remove(name)
    publish(note.owner_id, "deleted", id=note.id)


# -- attachments ------------------------------------------------------------------------


@bp.post("/notes/<int:note_id>/attachments")
@login_required
def upload(note_id: int) -> Any:
    note = get_note(note_id)
    form = AttachmentForm()
    if not form.validate():
        return (
            render_template(
                "notes/show.html",
                note=note,
                upload=form,
                confirm=ConfirmForm(formdata=None),
            ),
            400,
        )
    file: FileStorage | None = form.file.data
    if file is None:  # FileRequired has refused that already
        abort(400)
    # The client's filename is only shown and offered as the download name; the file
    # is stored under a random name, so no path from the client reaches the disk.
    stored_name = secrets.token_hex(16)
    os.makedirs(upload_folder(), exist_ok=True)
    path = os.path.join(upload_folder(), stored_name)
    file.save(path)
    filename = os.path.basename((file.filename or "file").replace("\\", "/"))
    attachment = Attachment(
        note=note,
        filename=filename[:255] or "file",
        stored_name=stored_name,
        size=os.path.getsize(path),
    )
    db.session.add(attachment)
    db.session.commit()
    stats().attachment_bytes.inc(attachment.size)
    flash(f"Attached “{attachment.filename}”.", "success")
    return redirect(url_for("notes.show", note_id=note.id))


@bp.get("/attachments/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Any:
    attachment = get_attachment(attachment_id)
    response = send_file(
        os.path.join(upload_folder(), attachment.stored_name),
        as_attachment=True,  # never rendered inline: an uploaded page cannot run here
        download_name=attachment.filename,
        conditional=True,  # ETag, Last-Modified, If-None-Match, Range
        max_age=0,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.post("/attachments/<int:attachment_id>/delete")
@login_required
def delete_attachment(attachment_id: int) -> Any:
    attachment = get_attachment(attachment_id)
    note_id = attachment.note_id
    db.session.delete(attachment)
    db.session.commit()
    _remove(attachment.stored_name)
    flash(f"Removed “{attachment.filename}”.", "success")
    return redirect(url_for("notes.show", note_id=note_id))


def _remove(stored_name: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.remove(os.path.join(upload_folder(), stored_name))


# -- the live view ----------------------------------------------------------------------


@bp.websocket("/live")
async def live() -> Any:
    """Send the user's note events as JSON text frames while the page is open."""
    user_id = websocket.session.get("_user_id")  # carboy.ext.login's session key
    if user_id is None:
        abort(401)
    # NOTE: browsers send cookies with cross-origin WebSocket handshakes too; only
    # this site's pages may listen (cross-site WebSocket hijacking).
    origin = websocket.headers.get("Origin")
    if origin is not None and urlsplit(origin).netloc != websocket.host:
        abort(403)
    await websocket.accept()
    live_sockets = stats().live_sockets
    live_sockets.inc()
    try:
        async with hub().subscribe(int(user_id)) as queue:
            await _forward(queue)
    finally:
        live_sockets.dec()


async def _forward(queue: asyncio.Queue[Any]) -> None:
    """Send the queue's events until the client leaves (it sends nothing; receive()
    returns when it closes)."""
    left = asyncio.ensure_future(_wait_for_close())
    try:
        while True:
            event = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait(
                {event, left}, return_when=asyncio.FIRST_COMPLETED
            )
            if left in done:
                event.cancel()
                return
            await websocket.send_json(event.result())
    finally:
        left.cancel()


async def _wait_for_close() -> None:
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            await websocket.receive()
