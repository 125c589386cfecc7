"""What a typed view declares: where each parameter comes from (:data:`Query`,
:data:`Header`, :data:`Cookie`, :data:`Body`) and what the document says about it
(:func:`doc`).

The markers are ``typing.Annotated`` aliases, so ``page: Query[int] = 1`` is an ``int``
to a type checker and carries its source to :mod:`carboy.ext.api` at run time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal, TypeVar

__all__ = ["Body", "Cookie", "Doc", "Header", "Query", "Source", "doc"]

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

Location = Literal["query", "header", "cookie", "body"]


@dataclass(frozen=True)
class Source:
    """Where a parameter's value comes from; the metadata behind the aliases below."""

    location: Location


#: A value from the query string (``?page=2``); a pydantic model collects several.
Query = Annotated[T, Source("query")]
#: A request header; ``x_request_id`` reads ``X-Request-Id``.
Header = Annotated[T, Source("header")]
#: A cookie, by the parameter's name.
Cookie = Annotated[T, Source("cookie")]
#: The JSON body, for types that are not a pydantic model (``Body[list[Item]]``); a
#: parameter annotated with a model is the body without it.
Body = Annotated[T, Source("body")]

#: A declared response: a description, a model (a type such as ``Conflict`` or
#: ``list[Item]``), or ``(model, description)``.
ResponseSpec = Any

_UNSET: Any = object()


@dataclass(frozen=True)
class Doc:
    """What :func:`doc` recorded on a view; read when the API is planned."""

    summary: str | None = None
    description: str | None = None
    tags: tuple[str, ...] | None = None
    status: int | None = None
    response: Any = _UNSET
    responses: Mapping[int, ResponseSpec] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    security: tuple[Mapping[str, list[str]], ...] | None = None
    deprecated: bool = False
    operation_id: str | None = None
    hidden: bool = False

    @property
    def has_response(self) -> bool:
        return self.response is not _UNSET


DOC_ATTRIBUTE = "__carboy_api_doc__"


def doc(
    *,
    summary: str | None = None,
    description: str | None = None,
    tags: Iterable[str] | None = None,
    status: int | None = None,
    response: Any = _UNSET,
    responses: Mapping[int, ResponseSpec] | None = None,
    headers: Mapping[str, str] | None = None,
    security: str | Iterable[str | Mapping[str, list[str]]] | None = None,
    deprecated: bool = False,
    operation_id: str | None = None,
    hidden: bool = False,
) -> Callable[[F], F]:
    """Declare what the OpenAPI document says about a view (or a ``MethodView`` class
    or one of its handlers), and its success status::

        @app.post("/notes")
        @api.doc(status=201, tags=["notes"], responses={409: "Title taken"})
        def create_note(body: NoteIn) -> Note: ...

    ``summary``/``description`` default to the docstring's first line and the rest.
    ``status``: the success status (200; 201 for a creation). ``response``: the
    response model when the return annotation is not it (``None``: no body).
    ``responses``: the errors (and other statuses) the view may answer with, each a
    description, a model, or ``(model, description)``; an error without a model is
    documented as ``application/problem+json``. ``headers``: response headers of the
    success response, name to description. ``security``: names of the schemes given to
    :class:`~carboy.ext.api.Api` (``[]`` makes the view public when the API has a
    default). ``hidden``: validated, but left out of the document.
    """
    if status is not None and not 100 <= status <= 599:
        raise ValueError(f"api.doc(status={status!r}): not an HTTP status code.")
    for code in responses or {}:
        if not isinstance(code, int) or not 100 <= code <= 599:
            raise ValueError(
                f"api.doc(responses=...): {code!r} is not an HTTP status code; write"
                " the code as an int, as in responses={404: 'No such note.'}."
            )
    requirements: tuple[Mapping[str, list[str]], ...] | None = None
    if security is not None:
        items = [security] if isinstance(security, str) else list(security)
        requirements = tuple(
            {item: []} if isinstance(item, str) else dict(item) for item in items
        )
    recorded = Doc(
        summary=summary,
        description=description,
        tags=tuple(tags) if tags is not None else None,
        status=status,
        response=response,
        responses=dict(responses or {}),
        headers=dict(headers or {}),
        security=requirements,
        deprecated=deprecated,
        operation_id=operation_id,
        hidden=hidden,
    )

    def decorator(f: F) -> F:
        setattr(f, DOC_ATTRIBUTE, recorded)
        return f

    return decorator


def doc_of(obj: Any) -> Doc | None:
    """The :class:`Doc` recorded on ``obj`` itself (not inherited through wrappers)."""
    found = getattr(obj, DOC_ATTRIBUTE, None)
    return found if isinstance(found, Doc) else None
