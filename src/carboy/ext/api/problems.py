"""Errors as ``application/problem+json`` (RFC 9457, "Problem Details for HTTP APIs").

An API client reads one shape for every error::

    {"type": "about:blank", "title": "Unprocessable Content", "status": 422,
     "detail": "The request has 1 invalid value.",
     "errors": [{"location": "body", "field": "title", "pointer": "#/title",
                 "message": "Field required", "type": "missing"}]}

NOTE: RFC 9457 section 3.1: ``type`` is ``"about:blank"`` when the status says it all,
and ``title`` is then the status's reason phrase; extension members (``errors``) may
be added. The response's media type is ``application/problem+json``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ...exceptions import HTTPException
from ...globals import current_app
from ...sansio.http import HTTP_STATUS_CODES

if TYPE_CHECKING:  # pragma: no cover
    from ...wrappers import Response

__all__ = ["PROBLEM_JSON", "ValidationProblem", "problem", "problem_body"]

PROBLEM_JSON = "application/problem+json"


def problem_body(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    type: str = "about:blank",
    **extra: Any,
) -> dict[str, Any]:
    """The members of a problem document (before it is encoded)."""
    body: dict[str, Any] = {
        "type": type,
        "title": title or HTTP_STATUS_CODES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    body.update(extra)
    return body


def problem(
    status: int,
    detail: str | None = None,
    *,
    title: str | None = None,
    type: str = "about:blank",
    headers: Any = None,
    **extra: Any,
) -> Response:
    """A problem+json response, to return from a view or an error handler::

    return problem(409, "A note with this title exists.", title_taken=title)
    """
    body = problem_body(status, detail, title=title, type=type, **extra)
    data = json.dumps(body, ensure_ascii=False, sort_keys=True)
    response: Response = current_app.response_class(
        data, status, headers, mimetype=PROBLEM_JSON
    )
    return response


def _pointer(loc: Sequence[int | str]) -> str:
    # NOTE: RFC 6901: "~" is written "~0" and "/" is written "~1" in a JSON pointer.
    parts = [str(p).replace("~", "~0").replace("/", "~1") for p in loc]
    return "#/" + "/".join(parts) if parts else "#"


def error_entries(
    error: ValidationError,
    location: str,
    rename: Callable[[Any], Any] | None = None,
) -> list[dict[str, Any]]:
    """One entry per pydantic error: where (``location``, ``field``, and a JSON
    ``pointer`` into a body), what (``message``) and its machine-readable ``type``.
    The rejected value itself is not echoed back. ``rename`` gives the request's name
    of a field (``X-Request-Id`` for ``x_request_id``)."""
    entries = []
    for item in error.errors(include_url=False, include_context=False):
        loc = item["loc"]
        if rename is not None and loc:
            loc = (rename(loc[0]), *loc[1:])
        entry: dict[str, Any] = {
            "location": location,
            "field": ".".join(str(p) for p in loc),
            "message": item["msg"],
            "type": item["type"],
        }
        if location == "body":
            entry["pointer"] = _pointer(loc)
        entries.append(entry)
    return entries


class ValidationProblem(HTTPException):
    """422: the request is well-formed, but its values are not what the view takes.

    Raised before the view runs; ``errors`` lists every invalid value. Register an
    error handler for it (or for 422) to answer in another shape.
    """

    code = 422
    description = "The request has invalid values."

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        count = len(errors)
        plural = "value" if count == 1 else "values"
        super().__init__(f"The request has {count} invalid {plural}.")
        self.errors = errors

    def get_body(self) -> str:
        body = problem_body(422, self.description, errors=self.errors)
        return json.dumps(body, ensure_ascii=False, sort_keys=True)

    def get_headers(self) -> list[tuple[str, str]]:
        return [("Content-Type", PROBLEM_JSON)]


def problem_for(e: HTTPException) -> Response | None:
    """HTTP error ``e`` (an ``abort(404)`` in an API view, a 415 for a body that is
    not JSON, a 500) as a problem+json response; ``None`` when it has a response or a
    page of its own (an ``HTTPException`` subclass with its own ``get_body``)."""
    if e.response is not None or e.code is None or e.page() is None:
        return None
    headers = [(k, v) for k, v in e.get_headers() if k.lower() != "content-type"]
    return problem(e.code, e.description, headers=headers or None)
