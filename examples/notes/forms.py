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


class NoteForm(Form):
    title = StringField("Title", validators=[InputRequired(), Length(max=200)])
    body = TextAreaField("Text", validators=[Length(max=20_000)])


class AttachmentForm(Form):
    # MAX_CONTENT_LENGTH refuses larger bodies (413) before any of them is read.
    file = FileField("File", validators=[FileRequired()])


class ConfirmForm(Form):
    """A form with nothing but its CSRF token: delete and log-out buttons."""
