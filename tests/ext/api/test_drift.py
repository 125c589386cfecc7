"""The document cannot drift from the code: walk every route of the shop API, derive
what its entry must say straight from the rule and the view (its signature, its
annotations, its ``doc``), and compare rule, methods, parameters, body and response
schemas and declared status codes with /openapi.json. Any route missing from the
document, any extra entry, or any difference fails."""

from __future__ import annotations

import inspect
import json
import typing
from typing import Annotated, Any, get_args, get_origin

import pytest
from pydantic import BaseModel, TypeAdapter

from carboy import Carboy
from carboy.ext.api.markers import Doc, Source
from carboy.views import MethodView

from .shop import make_app

#: Routes that are not part of the API: untyped pages, the static files, a view
#: marked hidden, and the API's own document and docs.
NOT_DOCUMENTED = {
    "home",
    "raw_json",
    "static",
    "internal",
    "carboy_api_openapi",
    "carboy_api_docs",
    "carboy_api_docs_asset",
}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def inline(schema: Any, components: dict[str, Any]) -> Any:
    """``schema`` with every ``#/components/schemas/...`` or ``#/$defs/...`` reference
    replaced by what it names (the shop's models are not recursive)."""
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return inline(components[ref.rsplit("/", 1)[1]], components)
        return {k: inline(v, components) for k, v in schema.items() if k != "$defs"}
    if isinstance(schema, list):
        return [inline(item, components) for item in schema]
    return schema


def expected_schema(tp: Any, mode: str) -> Any:
    schema = TypeAdapter(tp).json_schema(mode=mode)  # type: ignore[arg-type]
    return inline(schema, schema.get("$defs", {}))


def handlers(view: Any, methods: set[str]) -> dict[str, Any]:
    cls = getattr(view, "view_class", None)
    if cls is None:
        return {m: inspect.unwrap(view) for m in methods}
    if issubclass(cls, MethodView):
        return {m: getattr(cls, m.lower()) for m in methods if hasattr(cls, m.lower())}
    return {m: cls.dispatch_request for m in methods}


def header_name(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("_"))


def parameters(
    func: Any, rule_args: set[str]
) -> tuple[list[tuple[str, str, bool]], Any]:
    """``[(name, in, required)]`` for the query/header/cookie inputs, and the body."""
    hints = typing.get_type_hints(func, include_extras=True)
    out: list[tuple[str, str, bool]] = []
    body = None
    for param in list(inspect.signature(func).parameters.values()):
        if param.name in rule_args or param.name == "self":
            continue
        tp = hints.get(param.name)
        source = None
        meta: tuple[Any, ...] = ()
        if get_origin(tp) is Annotated:
            # NOTE: nested Annotated types are flattened: Query[Annotated[int, Field()]]
            # is Annotated[int, Field(), Source("query")].
            meta = get_args(tp)[1:]
            found = [m for m in meta if isinstance(m, Source)]
            if found:
                source = found[0].location
                tp = get_args(tp)[0]
        if source is None:
            if isinstance(tp, type) and issubclass(tp, BaseModel):
                body = (tp, param.default is inspect.Parameter.empty)
            continue
        if source == "body":
            body = (tp, param.default is inspect.Parameter.empty)
        elif isinstance(tp, type) and issubclass(tp, BaseModel):
            for name, field in tp.model_fields.items():
                key = field.alias or name
                if source == "header" and key == name:
                    key = header_name(name)
                out.append((key, source, field.is_required()))
        else:
            key = param.name
            for item in meta:
                key = getattr(item, "alias", None) or key
            if source == "header":
                key = header_name(key)
            out.append((key, source, param.default is inspect.Parameter.empty))
    return out, body


def response_type(func: Any, recorded: Doc | None) -> Any:
    if recorded is not None and recorded.has_response:
        return recorded.response
    tp = typing.get_type_hints(func, include_extras=True).get("return")
    if tp is None or tp is type(None):
        return None
    if get_origin(tp) is tuple:
        return get_args(tp)[0]
    return tp


@pytest.mark.parametrize("kind", ["def", "async"])
def test_the_document_matches_every_route(kind: str) -> None:
    app: Carboy = make_app(kind)
    check(app, json.loads(app.test_client().get("/openapi.json").get_data()))


def _drop_route(doc: dict[str, Any]) -> None:
    del doc["paths"]["/orders"]


def _drop_method(doc: dict[str, Any]) -> None:
    del doc["paths"]["/items/{item_id}"]["patch"]


def _extra_route(doc: dict[str, Any]) -> None:
    doc["paths"]["/ghost"] = {"get": {"responses": {"200": {"description": "OK"}}}}


def _status(doc: dict[str, Any]) -> None:
    op = doc["paths"]["/items"]["post"]
    op["responses"]["200"] = op["responses"].pop("201")


def _declared_error(doc: dict[str, Any]) -> None:
    del doc["paths"]["/items/{item_id}"]["delete"]["responses"]["404"]


def _body_schema(doc: dict[str, Any]) -> None:
    doc["components"]["schemas"]["ItemIn"]["properties"]["price"]["minimum"] = 1


def _response_schema(doc: dict[str, Any]) -> None:
    del doc["components"]["schemas"]["Order"]["properties"]["total"]


def _parameter(doc: dict[str, Any]) -> None:
    doc["paths"]["/items"]["get"]["parameters"].pop()


def _required(doc: dict[str, Any]) -> None:
    doc["paths"]["/orders"]["post"]["parameters"][2]["required"] = False


def _path_parameter(doc: dict[str, Any]) -> None:
    doc["paths"]["/orders/{order_id}"]["get"]["parameters"][0]["name"] = "id"


@pytest.mark.parametrize(
    "corrupt",
    [
        _drop_route,
        _drop_method,
        _extra_route,
        _status,
        _declared_error,
        _body_schema,
        _response_schema,
        _parameter,
        _required,
        _path_parameter,
    ],
)
def test_the_walk_notices_every_kind_of_drift(corrupt: Any) -> None:
    app = make_app()
    document = json.loads(app.test_client().get("/openapi.json").get_data())
    corrupt(document)
    with pytest.raises(AssertionError):
        check(app, document)


def check(app: Carboy, document: dict[str, Any]) -> None:
    """Fail unless every documented route matches its code, and nothing else is."""
    components = document["components"]["schemas"]
    seen: set[tuple[str, str]] = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_DOCUMENTED:
            continue
        path = _openapi_path(rule.rule)
        entry = document["paths"].get(path)
        assert entry is not None, f"{rule.rule} ({rule.endpoint}) is not documented"
        view = app.view_functions[rule.endpoint]
        methods = {m for m in rule.methods or () if m in METHODS}
        # (each method is checked here; no extra one is checked at the end)
        assert methods <= {m.upper() for m in entry}, rule.rule
        for method, func in handlers(view, methods).items():
            seen.add((path, method.lower()))
            op = entry[method.lower()]
            recorded = getattr(func, "__carboy_api_doc__", None)
            cls = getattr(view, "view_class", None)
            if recorded is None and cls is not None:
                recorded = getattr(cls, "__carboy_api_doc__", None)
            # parameters: the path's, then the view's inputs
            names = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            assert set(names) == rule.arguments, rule.rule
            inputs, body = parameters(func, set(rule.arguments))
            documented = [
                (p["name"], p["in"], p["required"])
                for p in op.get("parameters", [])
                if p["in"] != "path"
            ]
            assert sorted(documented) == sorted(inputs), (rule.rule, method)
            # the body
            if body is None:
                assert "requestBody" not in op, (rule.rule, method)
            else:
                tp, required = body
                request_body = op["requestBody"]
                assert request_body["required"] is required
                schema = request_body["content"]["application/json"]["schema"]
                assert inline(schema, components) == expected_schema(tp, "validation")
            # the status codes
            status = (recorded.status if recorded else None) or 200
            declared = set(recorded.responses) if recorded else set()
            codes = {status} | declared
            if inputs or body is not None:
                codes.add(422)
            assert {int(code) for code in op["responses"]} == codes, (rule.rule, method)
            # the success response's schema
            tp = response_type(func, recorded)
            success = op["responses"][str(status)]
            if tp is None:
                assert "content" not in success
            else:
                schema = success["content"]["application/json"]["schema"]
                assert inline(schema, components) == expected_schema(
                    tp, "serialization"
                ), (rule.rule, method)
    documented = {(p, m) for p, ops in document["paths"].items() for m in ops}
    assert documented == seen, "the document has entries no route has"


def _openapi_path(rule: str) -> str:
    """``/r/{year}`` for ``/r/<int(fixed_digits=4):year>``, written independently of
    carboy.ext.api's own conversion."""
    out = []
    depth = 0
    for char in rule:
        if char == "<":
            depth, name = 1, ""
            continue
        if depth:
            if char == ">":
                out.append("{" + name.rsplit(":", 1)[-1] + "}")
                depth = 0
            else:
                name += char
            continue
        out.append(char)
    return "".join(out)


def test_a_change_in_the_code_is_a_change_in_the_document() -> None:
    """The walk above would notice: a route added after the document was first
    served is in the next app's document, not in a stale copy."""
    app = make_app()

    @app.get("/late")
    def late() -> list[int]:
        return [1]

    paths = json.loads(app.test_client().get("/openapi.json").get_data())["paths"]
    assert "/late" in paths
