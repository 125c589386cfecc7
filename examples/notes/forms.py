"""Every form of the app; each carries a CSRF token (carboy.ext.wtf)."""

from __future__ import annotations

from wtforms import BooleanField, PasswordField, StringField, TextAreaField
from wtforms.validators import EqualTo, InputRequired, Length, Regexp

from carboy.ext.wtf import FileField, FileRequired, Form


class RegisterForm(Form):
    username = StringField(
        "Username",
        validators=[
            InputRequired(),
            Length(min=3, max=40),
            Regexp(r"^[A-Za-z0-9_.-]+$", message="Letters, digits, '.', '_', '-'."),
        ],
    )
    password = PasswordField("Password", validators=[InputRequired(), Length(min=8)])
    confirm = PasswordField(
        "Repeat password",
        validators=[InputRequired(), EqualTo("password", "The passwords differ.")],
    )


class LoginForm(Form):
    username = StringField("Username", validators=[InputRequired()])
    password = PasswordField("Password", validators=[InputRequired()])
    remember = BooleanField("Remember me")


def _newlines(text: str | None) -> str | None:
    # Browsers send a textarea's line breaks as CRLF; store them as the API does.
    return text.replace("\r\n", "\n") if text else text


class NoteForm(Form):
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    body = TextAreaField("Text", validators=[Length(max=20_000)], filters=[_newlines])


class AttachmentForm(Form):
    # MAX_CONTENT_LENGTH refuses larger bodies (413) before any of them is read.
    file = FileField("File", validators=[FileRequired()])


class ConfirmForm(Form):
    """A form with nothing but its CSRF token: delete and log-out buttons."""
