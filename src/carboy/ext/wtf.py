"""WTForms forms bound to the current request, with CSRF protection built in.

``Form`` is WTForms' ``Form`` (fields, validators and rendering are WTForms'), plus
what a web framework adds: it reads ``request.form`` and ``request.files`` (or a JSON
object) by itself on a submitting request, carries a ``csrf_token`` field checked against
the session (see :mod:`carboy.ext.csrf`), and knows whether it was submitted::

    from wtforms import StringField
    from wtforms.validators import DataRequired
    from carboy.ext.wtf import Form

    class NameForm(Form):
        name = StringField("Name", validators=[DataRequired()])

    @app.route("/name", methods=["GET", "POST"])
    def name():
        form = NameForm()
        if form.validate_on_submit():
            return f"Hello, {form.name.data}"
        return render_template("name.html", form=form)

Needs the ``forms`` extra: ``pip install 'carboy[forms]'``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from markupsafe import Markup
from wtforms import Form as _WTForm
from wtforms import fields as _fields
from wtforms.csrf.core import CSRF
from wtforms.meta import DefaultMeta
from wtforms.validators import StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from ..ctx import has_request_context
from ..datastructures import CombinedMultiDict, FileStorage, MultiDict
from ..globals import current_app, g, request
from .csrf import CSRFError, generate_csrf, validate_csrf

__all__ = [
    "FileAllowed",
    "FileField",
    "FileRequired",
    "FileSize",
    "Form",
    "MultipleFileField",
    "SUBMIT_METHODS",
]

#: Methods for which a form reads the request's data and counts as submitted.
SUBMIT_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_AUTO: Any = object()


class _SessionCSRF(CSRF):  # type: ignore[misc]
    """WTForms' CSRF hook, backed by :mod:`carboy.ext.csrf`'s session token."""

    def setup_form(self, form: Any) -> Any:
        self.meta = form.meta
        return super().setup_form(form)

    def generate_csrf_token(self, field: Any) -> str:
        return generate_csrf(
            secret_key=self.meta.csrf_secret, token_key=self.meta.csrf_field_name
        )

    def validate_csrf_token(self, form: Any, field: Any) -> None:
        if g.get("csrf_valid", False):
            return  # CSRFProtect checked this request already
        try:
            validate_csrf(
                field.data,
                secret_key=self.meta.csrf_secret,
                time_limit=self.meta.csrf_time_limit,
                token_key=self.meta.csrf_field_name,
            )
        except CSRFError as e:
            raise ValidationError(e.description) from e


def _is_submitted() -> bool:
    return has_request_context() and request.method in SUBMIT_METHODS


class Form(_WTForm):  # type: ignore[misc]
    """A WTForms form that binds the current request's data by itself.

    Pass ``formdata=None`` to bind nothing (an edit form filled from ``obj=``), or a
    multidict of your own. ``class Meta: csrf = False`` turns the token off for one
    form; ``WTF_CSRF_ENABLED = False`` for all (tests, say).
    """

    class Meta(DefaultMeta):  # type: ignore[misc]
        csrf_class = _SessionCSRF
        csrf_field_name = "csrf_token"

        @property
        def csrf(self) -> bool:
            return bool(current_app.config.get("WTF_CSRF_ENABLED", True))

        @property
        def csrf_secret(self) -> Any:
            return (
                current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
            )

        @property
        def csrf_time_limit(self) -> int | None:
            return current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)  # type: ignore[no-any-return]

        def wrap_formdata(self, form: Any, formdata: Any) -> Any:
            if formdata is _AUTO:
                if not _is_submitted():
                    return None
                if request.files:
                    return CombinedMultiDict([request.files, request.form])
                if request.form:
                    return request.form
                if request.is_json:
                    data = request.get_json(silent=True)
                    return MultiDict(data) if isinstance(data, dict) else None
                return None
            return super().wrap_formdata(form, formdata)

    def __init__(self, formdata: Any = _AUTO, **kwargs: Any) -> None:
        super().__init__(formdata=formdata, **kwargs)

    def is_submitted(self) -> bool:
        """Whether the current request submits data (``POST``, ``PUT``, ``PATCH``,
        ``DELETE``)."""
        return _is_submitted()

    def validate_on_submit(self, extra_validators: Any = None) -> bool:
        """``is_submitted() and validate()``: true when a valid form was posted."""
        return self.is_submitted() and bool(
            self.validate(extra_validators=extra_validators)
        )

    def hidden_tag(self, *fields: Any) -> Markup:
        """Every hidden field (the CSRF token included) rendered, for the top of a
        ``<form>``; or only ``fields`` (fields or their names)."""
        chosen: Iterable[Any] = (
            (getattr(self, f) if isinstance(f, str) else f for f in fields)
            if fields
            else self
        )
        return Markup("\n").join(
            Markup(f()) for f in chosen if isinstance(f.widget, HiddenInput)
        )


# -- file fields and validators -------------------------------------------------------


class FileField(_fields.FileField):  # type: ignore[misc]
    """A file input whose ``data`` is the uploaded :class:`~carboy.datastructures.
    FileStorage`, or ``None`` when no file was chosen."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        files = [v for v in valuelist if isinstance(v, FileStorage) and v]
        self.data = files[0] if files else None


class MultipleFileField(_fields.MultipleFileField):  # type: ignore[misc]
    """A multiple file input whose ``data`` is a list of uploaded files."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        self.data = [v for v in valuelist if isinstance(v, FileStorage) and v]


def _uploads(field: Any) -> list[FileStorage]:
    data = field.data
    items = data if isinstance(data, list) else [data]
    return [f for f in items if isinstance(f, FileStorage) and f]


class FileRequired:
    """The field must hold an uploaded file (a bare filename, as some clients send,
    does not count)."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message
        self.field_flags = {"required": True}

    def __call__(self, form: Any, field: Any) -> None:
        if not _uploads(field):
            raise StopValidation(
                self.message or field.gettext("This field is required.")
            )


class FileAllowed:
    """Uploaded files must have one of ``extensions`` (``["png", "jpg"]``; compared
    without case). The extension is the client's claim, not a check of the content."""

    def __init__(self, extensions: Iterable[str], message: str | None = None) -> None:
        self.extensions = frozenset(e.lower().lstrip(".") for e in extensions)
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        for upload in _uploads(field):
            ext = os.path.splitext(upload.filename or "")[1].lower().lstrip(".")
            if ext not in self.extensions:
                raise StopValidation(
                    self.message
                    or field.gettext(
                        "File does not have an approved extension: {extensions}"
                    ).format(extensions=", ".join(sorted(self.extensions)))
                )


class FileSize:
    """Uploaded files must be between ``min_size`` and ``max_size`` bytes."""

    def __init__(
        self, max_size: int, min_size: int = 0, message: str | None = None
    ) -> None:
        self.min_size = min_size
        self.max_size = max_size
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        for upload in _uploads(field):
            stream = upload.stream
            start = stream.tell()
            size = stream.seek(0, os.SEEK_END)
            stream.seek(start)
            if not self.min_size <= size <= self.max_size:
                raise StopValidation(
                    self.message
                    or field.gettext(
                        "File must be between {min_size} and {max_size} bytes."
                    ).format(min_size=self.min_size, max_size=self.max_size)
                )
