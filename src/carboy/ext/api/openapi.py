"""The OpenAPI 3.1 document, built from the app's routes and their typed views.

Each rule of a typed view is a path (``/notes/<int:note_id>`` is
``/notes/{note_id}``, the converter giving the parameter's schema); each of its
methods (``HEAD`` and ``OPTIONS`` aside) an operation with the view's inputs, its
success response and the errors it declares. Models become
``#/components/schemas/...`` entries, all generated in one pass, so one model has one
name across the document. Encoded with sorted keys, the document is the same bytes for
the same app in every run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaMode

from ...routing.converters import (
    AnyConverter,
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    PathConverter,
    UnicodeConverter,
    UUIDConverter,
)
from ...routing.rules import Variable
from ...sansio.http import HTTP_STATUS_CODES
from .operation import Operation
from .problems import PROBLEM_JSON
from .views import plan_view

if TYPE_CHECKING:  # pragma: no cover
    from ...app import Carboy
    from ...routing import Rule
    from .extension import Api

__all__ = ["build_document", "converter_schema", "openapi_path"]

REF = "#/components/schemas/{model}"
_DOCUMENTED_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "TRACE")

PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "Problem Details for HTTP APIs (RFC 9457).",
    "properties": {
        "type": {"type": "string", "default": "about:blank"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
    },
    "required": ["type", "title", "status"],
}
VALIDATION_PROBLEM_SCHEMA: dict[str, Any] = {
    "allOf": [
        {"$ref": "#/components/schemas/Problem"},
        {
            "type": "object",
            "properties": {
                "errors": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "location": {
                                "type": "string",
                                "enum": ["body", "cookie", "header", "query"],
                            },
                            "field": {"type": "string"},
                            "pointer": {"type": "string"},
                            "message": {"type": "string"},
                            "type": {"type": "string"},
                        },
                        "required": ["location", "field", "message", "type"],
                    },
                }
            },
            "required": ["errors"],
        },
    ],
    "description": "The request's invalid values, each with where and why.",
}


def openapi_path(rule: Rule) -> str:
    """``/notes/{note_id}`` for ``/notes/<int:note_id>``."""
    parts = []
    for token in rule.path_tokens:
        if isinstance(token, Variable):
            parts.append("{" + token.name + "}")
        else:
            parts.append(token)
    return "".join(parts)


def converter_schema(converter: BaseConverter) -> dict[str, Any]:
    """The JSON schema of the values a URL converter matches."""
    if isinstance(converter, IntegerConverter | FloatConverter):
        schema: dict[str, Any] = {
            "type": "integer" if isinstance(converter, IntegerConverter) else "number"
        }
        low = converter.min
        if low is None and not converter.signed:
            low = 0
        if low is not None:
            schema["minimum"] = low
        if converter.max is not None:
            schema["maximum"] = converter.max
        return schema
    if isinstance(converter, UUIDConverter):
        return {"type": "string", "format": "uuid"}
    if isinstance(converter, AnyConverter):
        return {"type": "string", "enum": list(converter.items)}
    if isinstance(converter, PathConverter):
        return {"type": "string"}
    if isinstance(converter, UnicodeConverter) and type(converter).regex == (
        BaseConverter.regex
    ):
        schema = {"type": "string", "minLength": converter.minlength}
        if converter.maxlength is not None:
            schema["maxLength"] = converter.maxlength
        return schema
    return {"type": "string", "pattern": f"^{converter.regex}$"}


class _Schemas:
    """Every type the document needs, generated together into one set of components."""

    def __init__(self) -> None:
        self._inputs: list[tuple[tuple[int, JsonSchemaMode], JsonSchemaMode, Any]] = []
        self._keys: dict[tuple[int, JsonSchemaMode], Any] = {}
        self.result: dict[tuple[int, JsonSchemaMode], dict[str, Any]] = {}
        self.definitions: dict[str, Any] = {}

    def add(self, tp: Any, mode: JsonSchemaMode) -> tuple[int, JsonSchemaMode]:
        key = (id(tp), mode)
        if key not in self._keys:
            self._keys[key] = tp  # NOTE: kept alive, so that id() stays unique
            adapter = tp if isinstance(tp, TypeAdapter) else TypeAdapter(tp)
            self._inputs.append((key, mode, adapter.core_schema))
        return key

    def generate(self) -> None:
        generator = GenerateJsonSchema(ref_template=REF)
        mapping, definitions = generator.generate_definitions(self._inputs)
        self.result = {key: dict(value) for (key, _mode), value in mapping.items()}
        self.definitions = {str(k): v for k, v in definitions.items()}

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        """The definition a ``{"$ref": ...}`` schema points to (others as they are)."""
        ref = schema.get("$ref")
        prefix = REF.format(model="")
        if isinstance(ref, str) and ref.startswith(prefix):
            found: dict[str, Any] = self.definitions[ref[len(prefix) :]]
            return found
        return schema


def _walk_refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _walk_refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _walk_refs(item)


def _used_definitions(document: Any, definitions: Mapping[str, Any]) -> set[str]:
    prefix = REF.format(model="")
    used: set[str] = set()
    todo = [r[len(prefix) :] for r in _walk_refs(document) if r.startswith(prefix)]
    while todo:
        name = todo.pop()
        if name in used or name not in definitions:
            continue
        used.add(name)
        todo.extend(
            r[len(prefix) :]
            for r in _walk_refs(definitions[name])
            if r.startswith(prefix)
        )
    return used


class _Builder:
    def __init__(self, app: Carboy, api: Api) -> None:
        self.app = app
        self.api = api
        self.schemas = _Schemas()
        # (path, method, rule, operation or None, endpoint)
        self.entries: list[tuple[str, str, Rule, Operation | None]] = []

    def collect(self) -> None:
        own = self.api.own_endpoints
        rules = sorted(
            self.app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint or "")
        )
        for rule in rules:
            endpoint = rule.endpoint
            if rule.websocket or endpoint is None or endpoint in own:
                continue
            view = self.app.view_functions.get(endpoint)
            if view is None or endpoint == "static" or endpoint.endswith(".static"):
                continue
            planned = plan_view(view, endpoint, rule.arguments)
            if planned is None:
                continue
            methods = rule.methods if rule.methods is not None else {"GET"}
            for method in _DOCUMENTED_METHODS:
                if method not in methods:
                    continue
                op = planned.operation(method)
                if op is not None and op.doc.hidden:
                    continue
                self.entries.append((openapi_path(rule), method, rule, op))
                if op is not None:
                    self._add_types(op)

    def _add_types(self, op: Operation) -> None:
        for group in op.groups:
            self.schemas.add(group.model, "validation")
        if op.body is not None:
            self.schemas.add(op.body.adapter, "validation")
        if op.response is not None:
            self.schemas.add(op.response, "serialization")
        for model, _text in op.responses.values():
            if model is not None:
                self.schemas.add(model, "serialization")

    def _schema(self, tp: Any, mode: JsonSchemaMode) -> dict[str, Any]:
        return self.schemas.result[self.schemas.add(tp, mode)]

    def build(self) -> dict[str, Any]:
        self.collect()
        self.schemas.generate()
        paths: dict[str, dict[str, Any]] = {}
        used_ids: dict[str, int] = {}
        tags: set[str] = set()
        for path, method, rule, op in self.entries:
            operation = self._operation(rule, method, op)
            operation_id = operation["operationId"]
            count = used_ids.get(operation_id, 0)
            used_ids[operation_id] = count + 1
            if count:
                operation["operationId"] = f"{operation_id}_{count + 1}"
            tags.update(operation.get("tags", ()))
            paths.setdefault(path, {})[method.lower()] = operation
        document: dict[str, Any] = {
            "openapi": "3.1.0",
            "info": self.api.info(),
            "paths": paths,
        }
        if self.api.servers:
            document["servers"] = [dict(s) for s in self.api.servers]
        if self.api.security is not None:
            document["security"] = [dict(s) for s in self.api.security]
        descriptions = self.api.tags
        tags.update(descriptions)
        if tags:
            document["tags"] = [
                {"name": t, "description": descriptions[t]}
                if descriptions.get(t)
                else {"name": t}
                for t in sorted(tags)
            ]
        definitions = self.schemas.definitions
        components: dict[str, Any] = {}
        used = _used_definitions(paths, definitions)
        schemas = {name: definitions[name] for name in sorted(used)}
        if _uses(paths, "Problem"):
            schemas["Problem"] = PROBLEM_SCHEMA
        if _uses(paths, "ValidationProblem"):
            schemas["ValidationProblem"] = VALIDATION_PROBLEM_SCHEMA
            schemas["Problem"] = PROBLEM_SCHEMA
        if schemas:
            components["schemas"] = schemas
        if self.api.security_schemes:
            components["securitySchemes"] = {
                name: dict(scheme) for name, scheme in self.api.security_schemes.items()
            }
        if components:
            document["components"] = components
        return document

    def _operation(
        self, rule: Rule, method: str, op: Operation | None
    ) -> dict[str, Any]:
        endpoint = rule.endpoint or ""
        methods = [m for m in _DOCUMENTED_METHODS if m in (rule.methods or {"GET"})]
        operation_id = endpoint if len(methods) == 1 else f"{endpoint}_{method.lower()}"
        operation: dict[str, Any] = {"operationId": operation_id}
        parameters = [
            {
                "name": name,
                "in": "path",
                "required": True,
                "schema": converter_schema(rule.converters[name]),
            }
            for name in _path_names(rule)
        ]
        blueprint = endpoint.rpartition(".")[0]
        if op is None:
            if blueprint:
                operation["tags"] = [blueprint]
            if parameters:
                operation["parameters"] = parameters
            operation["responses"] = {"200": {"description": "OK"}}
            return operation
        if op.doc.operation_id:
            operation["operationId"] = op.doc.operation_id
        if op.summary:
            operation["summary"] = op.summary
        if op.description:
            operation["description"] = op.description
        if op.doc.tags is not None:
            if op.doc.tags:
                operation["tags"] = list(op.doc.tags)
        elif blueprint:
            operation["tags"] = [blueprint]
        if op.doc.deprecated:
            operation["deprecated"] = True
        if op.doc.security is not None:
            self._check_security(op)
            operation["security"] = [dict(s) for s in op.doc.security]
        parameters.extend(self._parameters(op))
        if parameters:
            operation["parameters"] = parameters
        if op.body is not None:
            operation["requestBody"] = {
                "required": op.body.required,
                "content": {
                    "application/json": {
                        "schema": self._schema(op.body.adapter, "validation")
                    }
                },
            }
        operation["responses"] = self._responses(op)
        return operation

    def _check_security(self, op: Operation) -> None:
        assert op.doc.security is not None
        for requirement in op.doc.security:
            for name in requirement:
                if name not in self.api.security_schemes:
                    known = ", ".join(sorted(self.api.security_schemes)) or "none"
                    raise ValueError(
                        f"The view of {op.endpoint!r} names the security scheme"
                        f" {name!r}, which the Api does not define (defined: {known})."
                        " Pass it as Api(security_schemes={...})."
                    )

    def _parameters(self, op: Operation) -> list[dict[str, Any]]:
        out = []
        for group in op.groups:
            schema = self.schemas.resolve(self._schema(group.model, "validation"))
            properties = schema.get("properties", {})
            required = set(schema.get("required", ()))
            for name, key, many in group.keys:
                prop = dict(properties.get(key, {}))
                param: dict[str, Any] = {
                    "name": name,
                    "in": group.location,
                    "required": key in required,
                }
                description = prop.pop("description", None)
                prop.pop("title", None)
                if description:
                    param["description"] = description
                param["schema"] = prop
                if many and group.location == "query":
                    param["style"] = "form"
                    param["explode"] = True
                out.append(param)
        return out

    def _responses(self, op: Operation) -> dict[str, Any]:
        responses: dict[str, Any] = {}
        success: dict[str, Any] = {
            "description": HTTP_STATUS_CODES.get(op.status, "Success")
        }
        if op.response is not None:
            success["content"] = {
                "application/json": {
                    "schema": self._schema(op.response, "serialization")
                }
            }
        if op.doc.headers:
            success["headers"] = {
                name: {"description": text, "schema": {"type": "string"}}
                for name, text in op.doc.headers.items()
            }
        responses[str(op.status)] = success
        if op.has_inputs:
            responses["422"] = {
                "description": "The request has invalid values.",
                "content": {
                    PROBLEM_JSON: {
                        "schema": {"$ref": REF.format(model="ValidationProblem")}
                    }
                },
            }
        for code, (model, text) in sorted(op.responses.items()):
            entry: dict[str, Any] = {"description": text}
            if model is not None:
                entry["content"] = {
                    "application/json": {"schema": self._schema(model, "serialization")}
                }
            elif code >= 400:
                entry["content"] = {
                    PROBLEM_JSON: {"schema": {"$ref": REF.format(model="Problem")}}
                }
            responses[str(code)] = entry
        return responses


def _path_names(rule: Rule) -> list[str]:
    return [t.name for t in rule.path_tokens if isinstance(t, Variable)]


def _uses(paths: Any, name: str) -> bool:
    target = REF.format(model=name)
    return any(ref == target for ref in _walk_refs(paths))


def build_document(app: Carboy, api: Api) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``'s typed views."""
    return _Builder(app, api).build()
