"""The tables: users, their notes, and the notes' attachments."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from carboy import url_for
from carboy.ext.login import UserMixin, new_remember_token
from carboy.ext.sqlalchemy import SQLAlchemy

db = SQLAlchemy()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class User(UserMixin, db.Model):  # type: ignore[misc,name-defined]
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    # "Remember me" cookies name this token; logging out replaces it, so every copy
    # of the cookie stops working.
    remember_token: Mapped[str] = mapped_column(String(64), default=new_remember_token)
    created: Mapped[datetime] = mapped_column(default=_now)

    def revoke_remember_token(self) -> None:
        self.remember_token = new_remember_token()
        db.session.commit()


class Note(db.Model):  # type: ignore[misc,name-defined]
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = mapped_column(default=_now)
    updated: Mapped[datetime] = mapped_column(default=_now, onupdate=_now)
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="note", cascade="all, delete-orphan", order_by="Attachment.id"
    )

    def to_dict(self) -> dict[str, Any]:
        """The note as the API and the live view send it."""
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "created": self.created.isoformat(timespec="seconds") + "Z",
            "updated": self.updated.isoformat(timespec="seconds") + "Z",
            "url": url_for("notes.show", note_id=self.id),
        }


class Attachment(db.Model):  # type: ignore[misc,name-defined]
    id: Mapped[int] = mapped_column(primary_key=True)
    note_id: Mapped[int] = mapped_column(ForeignKey("note.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    # The file's name in the upload folder: random, never the client's name.
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int]
    created: Mapped[datetime] = mapped_column(default=_now)
    note: Mapped[Note] = relationship(back_populates="attachments")
