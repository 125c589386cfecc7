"""One typed view, planned once: which parameters come from where, how they are
validated, and how the return value is serialised.

:func:`plan_operation` reads a function's signature and annotations when the API is
planned (at the first request), so a request pays only for reading and validating its
own inputs; a view with no typed parameter, no response model and no :func:`doc` gets no
plan at all and stays untouched.
"""

from __future__ import annotations

import dataclasses
import inspect
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)

from ...globals import current_app
from ...sansio.response import Response as _SansioResponse
from .markers import Doc, Location, Source, doc_of
from .problems import ValidationProblem, error_entries

if TYPE_CHECKING:  # pragma: no cover
    from ...wrappers import Request, Response

__all__ = ["BodyInput", "InputGroup", "Operation", "plan_operation"]

_SEQUENCES = (list, set, frozenset, tuple, Sequence, AbstractSet)
_CONTAINERS = (list, set, frozenset, dict, Sequence, Mapping, AbstractSet)
_UNIONS = (Union, types.UnionType)
_TEXT = (str, bytes, bytearray)


@dataclass(frozen=True)
class InputGroup:
    """Values of one location validated together by one model: a parameter annotated
    ``Query[SomeModel]`` (``param`` names it), or the parameters marked one by one
    (``param`` is ``None``; the model is generated and ``fields`` are the parameters)."""

    location: Location
    model: type[BaseModel]
    param: str | None
    #: (name in the request, key in the model's input, read as a list), per field.
    keys: tuple[tuple[str, str, bool], ...]
    #: The view parameters filled from a generated model's fields.
    fields: tuple[str, ...] = ()

    def read(self, request: Request) -> dict[str, Any]:
        """The present values of this group's keys (absent ones take their defaults)."""
        data: dict[str, Any] = {}
        if self.location == "query":
            args = request.args
            for name, key, many in self.keys:
                if name in args:
                    data[key] = args.getlist(name) if many else args.get(name)
        elif self.location == "header":
            headers = request.headers
            for name, key, many in self.keys:
                value = headers.get(name)
                if value is not None:
                    data[key] = [v.strip() for v in value.split(",")] if many else value
        else:
            cookies = request.cookies
            for name, key, _many in self.keys:
                if name in cookies:
                    data[key] = cookies[name]
        return data

    def request_name(self, key: Any) -> Any:
        """The request's name for the model's input ``key`` (for error messages)."""
        for name, data_key, _many in self.keys:
            if data_key == key:
                return name
        return key


@dataclass(frozen=True)
class BodyInput:
    """The JSON body: the parameter it fills, its type, and whether it may be absent."""

    param: str
    annotation: Any
    adapter: TypeAdapter[Any]
    required: bool
    default: Any = None


@dataclass
class Operation:
    """The plan of one typed handler; see :func:`plan_operation`."""

    func: Callable[..., Any]
    endpoint: str
    groups: tuple[InputGroup, ...]
    body: BodyInput | None
    response_type: Any
    response: TypeAdapter[Any] | None
    status: int
    doc: Doc
    summary: str | None
    description: str | None
    #: Types of the documented responses: status -> (model or None, description).
    responses: dict[int, tuple[Any, str]] = field(default_factory=dict)
    #: The serialisers of the documented responses that have a model.
    adapters: dict[int, TypeAdapter[Any]] = field(default_factory=dict)

    @property
    def has_inputs(self) -> bool:
        return bool(self.groups) or self.body is not None

    def bind(self, request: Request) -> dict[str, Any]:
        """The validated keyword arguments for the view; :class:`ValidationProblem`
        (a 422) listing every error when any input is invalid."""
        kwargs: dict[str, Any] = {}
        errors: list[dict[str, Any]] = []
        for group in self.groups:
            try:
                value = group.model.model_validate(group.read(request))
            except ValidationError as e:
                errors.extend(error_entries(e, group.location, group.request_name))
                continue
            if group.param is not None:
                kwargs[group.param] = value
            else:
                for name in group.fields:
                    kwargs[name] = getattr(value, name)
        body = self.body
        if body is not None:
            if not request.get_data(cache=True):
                if body.required:
                    errors.append(
                        {
                            "location": "body",
                            "field": "",
                            "pointer": "#",
                            "message": "A JSON request body is required.",
                            "type": "missing",
                        }
                    )
                else:
                    kwargs[body.param] = body.default
            else:
                # NOTE: request.get_json() applies the core's limits first: the body
                # size (413), the content type (415), malformed or too deeply
                # nested JSON (400).
                data = request.get_json()
                try:
                    kwargs[body.param] = body.adapter.validate_python(data)
                except ValidationError as e:
                    errors.extend(error_entries(e, "body"))
        if errors:
            raise ValidationProblem(errors)
        return kwargs

    def render(self, rv: Any) -> Any:
        """The view's return value with its body serialised through the response
        model (a ``Response`` passes untouched, and so does a ``str`` or ``bytes``
        body: it is a body of its own, as in Flask); the declared status by default.
        """
        if isinstance(rv, _SansioResponse):
            return rv
        status = headers = None
        if type(rv) is tuple:
            rv, status, headers = _unpack(rv)
            if isinstance(rv, _SansioResponse):
                return rv if status is None and not headers else (rv, status, headers)
        if status is None:
            status = self.status
        adapter = self._adapter(status)
        if adapter is None or isinstance(rv, _TEXT):
            if rv is None and status == 204:
                return _no_content(headers)
            return (rv, status, headers) if headers else (rv, status)
        # NOTE: validated first, so a dict or an ORM object with more attributes than
        # the model has is cut down to the model's fields: extra fields never leak.
        value = adapter.validate_python(rv, from_attributes=True)
        app = current_app
        response: Response = app.response_class(
            adapter.dump_json(value, by_alias=True),
            status,
            headers,
            mimetype="application/json",
        )
        return response

    def _adapter(self, status: int | str) -> TypeAdapter[Any] | None:
        """The serialiser for a response with ``status``: the response model for the
        success status (and any other 2xx not declared otherwise), a declared
        response's own model; ``None`` (Flask's return values) for anything else."""
        if status == self.status:
            return self.response
        code = status if isinstance(status, int) else _status_code(status)
        if code == self.status:
            return self.response
        if code in self.responses:
            return self.adapters.get(code)
        return self.response if 200 <= code < 300 else None


def _no_content(headers: Any) -> Response:
    """An empty 204: no body, so no content type either."""
    response: Response = current_app.response_class(None, 204, headers)
    response.headers.pop("Content-Type", None)
    return response


def _status_code(status: str) -> int:
    try:
        return int(status.split(None, 1)[0])
    except (ValueError, IndexError):
        return 0


def _unpack(rv: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    if len(rv) == 3:
        return rv
    if len(rv) == 2:
        if isinstance(rv[1], int | str):
            return rv[0], rv[1], None
        return rv[0], None, rv[1]
    raise TypeError(
        "The view function did not return a valid response tuple. The tuple must have"
        " the form (body, status, headers), (body, status), or (body, headers)."
    )


# -- reading annotations ---------------------------------------------------------------


def _split_source(annotation: Any) -> tuple[Any, Source | None]:
    """``(annotation without the marker, marker)`` for ``Query[int]`` and the like."""
    if get_origin(annotation) is Annotated:
        inner, *meta = get_args(annotation)
        sources = [m for m in meta if isinstance(m, Source)]
        if sources:
            rest = [m for m in meta if not isinstance(m, Source)]
            if rest:
                return Annotated[(inner, *rest)], sources[-1]
            return inner, sources[-1]
    return annotation, None


def _strip_annotated(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _is_model(annotation: Any) -> bool:
    tp = _strip_annotated(annotation)
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _without_none(annotation: Any) -> Any:
    """``T`` for ``T | None``; anything else as it is."""
    tp = _strip_annotated(annotation)
    if get_origin(tp) in _UNIONS:
        args = [a for a in get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _is_response_class(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, _SansioResponse | str | bytes)


def _is_structured(tp: Any) -> bool:
    """A type whose values are JSON objects or arrays: a pydantic model, a dataclass,
    a ``TypedDict``, or a container or union of such values."""
    tp = _strip_annotated(tp)
    if isinstance(tp, type):
        if issubclass(tp, BaseModel) or dataclasses.is_dataclass(tp):
            return True
        return typing.is_typeddict(tp)
    origin = get_origin(tp)
    if origin in _CONTAINERS:
        return True
    if origin in _UNIONS:
        args = [a for a in get_args(tp) if a is not type(None)]
        return any(_is_structured(a) for a in args)
    return False


def response_type_of(annotation: Any) -> Any:
    """The response model a return annotation names, or ``None``.

    ``-> Note``, ``-> list[Note]``, ``-> Note | Response`` (a ``Response`` passes
    through), ``-> tuple[Note, int]`` (``return note, 201``). ``-> str``, ``-> dict``
    or ``-> Response`` name no model: such views keep Flask's return values.
    """
    if annotation is inspect.Signature.empty or annotation is None:
        return None
    tp = _strip_annotated(annotation)
    origin = get_origin(tp)
    if origin is tuple:
        args = get_args(tp)
        return response_type_of(args[0]) if args else None
    if origin in _UNIONS:
        kept = [a for a in get_args(tp) if not _is_response_class(_strip_annotated(a))]
        if len(kept) != len(get_args(tp)):
            if not kept:
                return None
            tp = kept[0] if len(kept) == 1 else Union[tuple(kept)]  # noqa: UP007
            return tp if _is_structured(tp) else None
    if tp is dict or tp is list:
        return None  # a bare dict/list: Flask's JSON return value, nothing to check
    return annotation if _is_structured(tp) else None


def _carboy_names() -> dict[str, Any]:
    from ...wrappers import Request, Response

    return {"Request": Request, "Response": Response}


def _hints(func: Callable[..., Any]) -> dict[str, Any]:
    """The function's resolved annotations; names from enclosing functions count too
    (a model defined in the function that defines the view)."""
    target = inspect.unwrap(func)
    localns: dict[str, Any] = {}
    closure = getattr(target, "__closure__", None)
    code = getattr(target, "__code__", None)
    if closure and code is not None:
        for name, cell in zip(code.co_freevars, closure, strict=False):
            try:
                localns[name] = cell.cell_contents
            except ValueError:  # pragma: no cover - an empty cell
                pass
    try:
        return typing.get_type_hints(func, localns=localns, include_extras=True)
    except NameError:
        # NOTE: ``-> Response`` with ``Response`` imported only under TYPE_CHECKING (as
        # carboy's extensions and many apps do) names no model: resolve carboy's
        # request and response classes for it, so that such a view stays untouched.
        # The module's own names still win.
        globalns = {**_carboy_names(), **getattr(target, "__globals__", {})}
        try:
            return typing.get_type_hints(
                func, globalns=globalns, localns=localns, include_extras=True
            )
        except Exception as e:
            error: Exception = e
    except Exception as e:
        error = e
    raise TypeError(
        f"carboy.ext.api could not read the annotations of {func.__qualname__}: {error}."
        " Define the types it names at module level (or import them there), so"
        " that they can be resolved when the API is planned."
    ) from error


def _header_name(param: str) -> str:
    return "-".join(part.capitalize() for part in param.split("_"))


def _is_sequence(annotation: Any) -> bool:
    tp = _strip_annotated(annotation)
    origin = get_origin(tp)
    if origin in _UNIONS:
        return any(_is_sequence(a) for a in get_args(tp) if a is not type(None))
    return origin in _SEQUENCES or tp in (list, set, frozenset, tuple)


def _model_keys(
    model: type[BaseModel], location: Location
) -> tuple[tuple[str, str, bool], ...]:
    keys = []
    for name, info in model.model_fields.items():
        alias = (
            info.validation_alias if isinstance(info.validation_alias, str) else None
        )
        key = alias or info.alias or name
        # NOTE: a header field without an alias is named like a header parameter:
        # user_agent reads User-Agent.
        request_name = key
        if location == "header" and key == name:
            request_name = _header_name(name)
        many = location != "cookie" and _is_sequence(info.annotation)
        keys.append((request_name, key, many))
    return tuple(keys)


def _generated_group(
    name: str, location: Location, params: list[tuple[str, Any, Any]]
) -> InputGroup:
    fields: dict[str, Any] = {}
    for pname, annotation, default in params:
        required = default is inspect.Parameter.empty
        if location == "header":
            fields[pname] = (
                annotation,
                Field(... if required else default, alias=_header_name(pname)),
            )
        else:
            fields[pname] = (annotation, ... if required else default)
    model = create_model(name, __config__=ConfigDict(populate_by_name=False), **fields)
    keys = _model_keys(model, location)
    return InputGroup(location, model, None, keys, tuple(fields))


def _model_name(endpoint: str, suffix: str) -> str:
    words = endpoint.replace(".", "_").split("_")
    return "".join(w[:1].upper() + w[1:] for w in words if w) + suffix


def plan_operation(
    func: Callable[..., Any],
    endpoint: str,
    path_args: set[str],
    *,
    method: bool = False,
    class_doc: Doc | None = None,
    docstring_owner: Any = None,
) -> Operation | None:
    """The plan of ``func`` as the view of ``endpoint``, or ``None`` when it declares
    nothing typed (no marked or model parameter, no response model, no ``doc``).

    ``method``: ``func`` is a class's handler (its first parameter is ``self``).
    """
    recorded = doc_of(func) or class_doc
    hints = _hints(func) if func.__annotations__ or recorded is not None else {}
    groups, body = _plan_inputs(func, endpoint, path_args, hints, method)
    return_annotation = hints.get("return", inspect.Signature.empty)
    if recorded is not None and recorded.has_response:
        response_type = recorded.response
    else:
        response_type = response_type_of(return_annotation)
    if recorded is None and not groups and body is None and response_type is None:
        return None
    recorded = recorded or Doc()
    # NOTE: the docstring of this very function or class: inspect.getdoc() would
    # inherit MethodView's own docstring for a class that has none.
    text = _own_doc(func) or (
        _own_doc(docstring_owner) if docstring_owner is not None else None
    )
    summary = recorded.summary
    description = recorded.description
    if text:
        first, _, rest = text.partition("\n")
        summary = summary or first.strip() or None
        description = description or rest.strip() or None
    responses: dict[int, tuple[Any, str]] = {}
    adapters: dict[int, TypeAdapter[Any]] = {}
    for code, spec in recorded.responses.items():
        responses[code] = model, _text = _response_spec(code, spec)
        if model is not None:
            adapters[code] = TypeAdapter(model)
    return Operation(
        func=func,
        endpoint=endpoint,
        groups=groups,
        body=body,
        response_type=response_type,
        response=TypeAdapter(response_type) if response_type is not None else None,
        status=recorded.status or 200,
        doc=recorded,
        summary=summary,
        description=description,
        responses=responses,
        adapters=adapters,
    )


def _plan_inputs(
    func: Callable[..., Any],
    endpoint: str,
    path_args: set[str],
    hints: dict[str, Any],
    method: bool,
) -> tuple[tuple[InputGroup, ...], BodyInput | None]:
    """The input groups and the body of ``func``, from its parameters."""
    params = list(inspect.signature(func).parameters.values())
    if method and params:
        params = params[1:]
    singles: dict[Location, list[tuple[str, Any, Any]]] = {}
    groups: list[InputGroup] = []
    body: BodyInput | None = None
    for param in params:
        if param.name in path_args or param.kind in (
            param.VAR_KEYWORD,
            param.VAR_POSITIONAL,
        ):
            continue
        annotation = hints.get(param.name, inspect.Parameter.empty)
        inner, source = _split_source(annotation)
        location: Location | None = source.location if source is not None else None
        if location is None and _is_model(_without_none(annotation)):
            location = "body"  # a model, or an optional one (``NoteIn | None = None``)
        if location is None:
            continue
        if location == "body":
            if body is not None:
                raise TypeError(
                    f"{func.__qualname__} takes two request bodies ({body.param!r} and"
                    f" {param.name!r}); a request has one JSON body: put both in one"
                    " model."
                )
            required = param.default is inspect.Parameter.empty
            body = BodyInput(
                param.name,
                inner,
                TypeAdapter(inner),
                required,
                None if required else param.default,
            )
        elif _is_model(inner):
            model = _strip_annotated(inner)
            groups.append(
                InputGroup(location, model, param.name, _model_keys(model, location))
            )
        else:
            singles.setdefault(location, []).append((param.name, inner, param.default))
    for location, items in singles.items():
        suffix = location.capitalize()
        groups.append(_generated_group(_model_name(endpoint, suffix), location, items))
    return tuple(groups), body


def _own_doc(obj: Any) -> str | None:
    text = obj.__dict__.get("__doc__") if isinstance(obj, type) else obj.__doc__
    return inspect.cleandoc(text) if isinstance(text, str) and text.strip() else None


def _response_spec(code: int, spec: Any) -> tuple[Any, str]:
    from ...sansio.http import HTTP_STATUS_CODES

    default = HTTP_STATUS_CODES.get(code, "Response")
    if isinstance(spec, str):
        return None, spec
    if isinstance(spec, tuple):
        model, text = spec
        return model, text
    return spec, default
