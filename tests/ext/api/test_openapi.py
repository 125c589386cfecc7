"""The OpenAPI 3.1 document at /openapi.json: valid (openapi-spec-validator), built
from the routes (converters, methods, models, declared errors, blueprint tags,
security, docstrings), and the same bytes in every run."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate
from pydantic import BaseModel

from carboy import Carboy
from carboy.ext.api import Api, Query, doc
from carboy.testing import CarboyClient

from .shop import make_app

HERE = Path(__file__).parent


class Thing(BaseModel):
    name: str


def document(client: CarboyClient) -> dict[str, Any]:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    data: dict[str, Any] = json.loads(r.get_data())
    return data


def test_the_document_is_valid_openapi_3_1(client: CarboyClient) -> None:
    doc_ = document(client)
    assert doc_["openapi"] == "3.1.0"
    validate(doc_)
    assert doc_["info"] == {
        "title": "Shop",
        "version": "2.1",
        "description": "Items and orders.",
    }


def test_routes_and_methods(client: CarboyClient) -> None:
    paths = document(client)["paths"]
    assert {path: sorted(ops) for path, ops in paths.items()} == {
        "/items": ["get", "post"],
        "/items/prices/sum": ["post"],
        "/items/{item_id}": ["delete", "get", "patch"],
        "/orders": ["post"],
        "/orders/{order_id}": ["get"],
        "/reports/{year}/{section}": ["get"],
    }


def test_converters_become_path_parameter_schemas(client: CarboyClient) -> None:
    paths = document(client)["paths"]
    report = paths["/reports/{year}/{section}"]["get"]["parameters"]
    assert report[:2] == [
        {"name": "year", "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 0}},
        {"name": "section", "in": "path", "required": True,
         "schema": {"type": "string", "enum": ["sales", "stock"]}},
    ]  # fmt: skip
    order = paths["/orders/{order_id}"]["get"]["parameters"][0]
    assert order["schema"] == {"type": "string", "format": "uuid"}
    item = paths["/items/{item_id}"]["get"]["parameters"][0]
    assert item["schema"] == {"type": "integer", "minimum": 0}


def test_more_converters(protocol: str) -> None:
    app = Carboy("converters")
    Api(app)

    @app.get("/a/<int(min=1, max=9, signed=True):n>/<float(signed=True):f>")
    def a(n: int, f: float) -> list[float]:
        return [n, f]

    @app.get("/b/<string(maxlength=8):s>/<path:rest>")
    def b(s: str, rest: str) -> list[str]:
        return [s, rest]

    @app.get("/c/<string(length=2):lang>/<int(fixed_digits=4):y>")
    def c(lang: str, y: int) -> list[str]:
        return [lang]

    doc_ = document(app.test_client(protocol=protocol))
    validate(doc_)
    schemas = {
        p["name"]: p["schema"]
        for ops in doc_["paths"].values()
        for p in ops["get"]["parameters"]
    }
    assert schemas == {
        "n": {"type": "integer", "minimum": 1, "maximum": 9},
        "f": {"type": "number"},
        "s": {"type": "string", "minLength": 1, "maxLength": 8},
        "rest": {"type": "string"},
        "lang": {"type": "string", "minLength": 2, "maxLength": 2},
        "y": {"type": "integer", "minimum": 0},
    }


def test_query_header_and_cookie_parameters(client: CarboyClient) -> None:
    paths = document(client)["paths"]
    listing = paths["/items"]["get"]["parameters"]
    assert listing == [
        {"name": "page", "in": "query", "required": False,
         "schema": {"type": "integer", "default": 1, "minimum": 1, "maximum": 10000}},
        {"name": "per_page", "in": "query", "required": False,
         "schema": {"type": "integer", "default": 20, "minimum": 1, "maximum": 100}},
        {"name": "color", "in": "query", "required": False, "style": "form",
         "explode": True,
         "schema": {"type": "array", "default": [],
                    "items": {"$ref": "#/components/schemas/Color"}}},
        {"name": "q", "in": "query", "required": False,
         "schema": {"anyOf": [{"type": "string"}, {"type": "null"}],
                    "default": None}},
    ]  # fmt: skip
    order = paths["/orders"]["post"]["parameters"]
    assert [(p["name"], p["in"], p["required"]) for p in order] == [
        ("User-Agent", "header", False),
        ("X-Api-Version", "header", False),
        ("X-Api-Key", "header", True),
        ("Idempotency-Key", "header", False),
    ]
    report = paths["/reports/{year}/{section}"]["get"]["parameters"][2:]
    assert [(p["name"], p["in"], p["schema"]) for p in report] == [
        ("lang", "cookie", {"type": "string", "default": "en"}),
        (
            "max",
            "query",
            {"type": "integer", "default": 10, "minimum": 1, "maximum": 50},
        ),
    ]


def test_bodies_responses_and_components(client: CarboyClient) -> None:
    doc_ = document(client)
    create = doc_["paths"]["/items"]["post"]
    assert create["requestBody"] == {
        "required": True,
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/ItemIn"}}
        },
    }
    assert create["responses"] == {
        "201": {
            "description": "Created",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Item"}}
            },
            "headers": {
                "Location": {
                    "description": "The new item's URL.",
                    "schema": {"type": "string"},
                }
            },
        },
        "409": {
            "description": "An item with this name exists.",
            "content": {
                "application/json": {
                    "schema": {"$ref": "#/components/schemas/Conflict"}
                }
            },
        },
        "422": {
            "description": "The request has invalid values.",
            "content": {
                "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/ValidationProblem"}
                }
            },
        },
    }
    delete = doc_["paths"]["/items/{item_id}"]["delete"]
    assert delete["responses"] == {
        "204": {"description": "No Content"},
        "404": {
            "description": "No such item.",
            "content": {
                "application/problem+json": {
                    "schema": {"$ref": "#/components/schemas/Problem"}
                }
            },
        },
    }
    schemas = doc_["components"]["schemas"]
    assert sorted(schemas) == [
        "Color", "Conflict", "Item", "ItemIn", "ItemPatch", "Order", "OrderIn",
        "Page", "Problem", "ValidationProblem",
    ]  # fmt: skip
    assert schemas["ItemIn"]["properties"]["price"] == {
        "description": "In cents.",
        "maximum": 1000000,
        "minimum": 0,
        "title": "Price",
        "type": "integer",
    }
    summed = doc_["paths"]["/items/prices/sum"]["post"]["requestBody"]
    assert summed["content"]["application/json"]["schema"] == {
        "type": "array",
        "items": {"type": "integer", "minimum": 0},
    }


def test_tags_summaries_and_descriptions(client: CarboyClient) -> None:
    doc_ = document(client)
    listing = doc_["paths"]["/items"]["get"]
    assert listing["tags"] == ["items"]
    assert listing["summary"] == "List items."
    assert listing["description"] == (
        "Filtered by name (``q``) and colour, one page at a time."
    )
    assert listing["operationId"] == "items.list_items"
    assert "description" not in doc_["paths"]["/items"]["post"]
    assert doc_["paths"]["/items/prices/sum"]["post"]["tags"] == ["items", "bulk"]
    assert "tags" not in doc_["paths"]["/orders"]["post"]
    item = doc_["paths"]["/items/{item_id}"]
    assert {m: (op["summary"], op["operationId"]) for m, op in item.items()} == {
        "get": ("Read an item.", "items.item_get"),
        "patch": ("Change an item's name or price.", "items.item_patch"),
        "delete": ("Remove an item.", "items.item_delete"),
    }
    assert doc_["tags"] == [
        {"name": "bulk"},
        {"name": "items", "description": "What the shop sells."},
    ]


def test_security(client: CarboyClient) -> None:
    doc_ = document(client)
    assert doc_["components"]["securitySchemes"] == {
        "token": {"type": "http", "scheme": "bearer"},
        "key": {"type": "apiKey", "in": "header", "name": "X-Api-Key"},
    }
    assert "security" not in doc_
    assert doc_["paths"]["/orders"]["post"]["security"] == [{"key": []}]
    assert doc_["paths"]["/items/{item_id}"]["patch"]["security"] == [{"token": []}]
    assert "security" not in doc_["paths"]["/items/{item_id}"]["get"]


def test_default_security_and_public_views(protocol: str) -> None:
    app = Carboy("secure")
    Api(
        app,
        security_schemes={"token": {"type": "http", "scheme": "bearer"}},
        security=["token"],
        servers=[{"url": "https://api.example"}],
        info={"license": {"name": "MIT", "identifier": "MIT"}},
    )

    @app.get("/private")
    def private() -> list[int]:
        return [1]

    @app.get("/public")
    @doc(security=[], deprecated=True, operation_id="openData", summary="Open.")
    def public() -> list[int]:
        """Ignored summary."""
        return [2]

    doc_ = document(app.test_client(protocol=protocol))
    validate(doc_)
    assert doc_["security"] == [{"token": []}]
    assert doc_["servers"] == [{"url": "https://api.example"}]
    assert doc_["info"]["license"] == {"name": "MIT", "identifier": "MIT"}
    assert "security" not in doc_["paths"]["/private"]["get"]
    public_op = doc_["paths"]["/public"]["get"]
    assert public_op["security"] == []
    assert public_op["deprecated"] is True
    assert public_op["operationId"] == "openData"
    assert public_op["summary"] == "Open."


def test_unknown_security_schemes_are_refused() -> None:
    with pytest.raises(ValueError, match="not in security_schemes"):
        Api(Carboy("x"), security=["token"])
    app = Carboy("y")
    api = Api(app)

    @app.get("/x")
    @doc(security=["nope"])
    def x() -> list[int]:
        return []

    with pytest.raises(ValueError, match="does not define"):
        api.openapi(app)


def test_hidden_untyped_and_own_routes_are_left_out(client: CarboyClient) -> None:
    paths = document(client)["paths"]
    for path in ("/", "/raw", "/internal", "/openapi.json", "/docs"):
        assert path not in paths
    assert not any(p.startswith("/static") or p.startswith("/docs") for p in paths)


def test_methods_of_one_function_view(protocol: str) -> None:
    app = Carboy("methods")
    Api(app)

    @app.route("/things", methods=["GET", "POST"])
    def things(limit: Query[int] = 5) -> list[Thing]:
        return []

    doc_ = document(app.test_client(protocol=protocol))
    ops = doc_["paths"]["/things"]
    assert sorted(ops) == ["get", "post"]
    assert [ops["get"]["operationId"], ops["post"]["operationId"]] == [
        "things_get",
        "things_post",
    ]


def test_one_view_under_two_rules(protocol: str) -> None:
    app = Carboy("rules")
    Api(app)

    def view(name: str = "all") -> list[str]:
        return [name]

    app.add_url_rule("/names", view_func=view, defaults={"name": "all"})
    app.add_url_rule("/names/<name>", view_func=view)
    client = app.test_client(protocol=protocol)
    assert client.get("/names").json == ["all"]
    assert client.get("/names/x").json == ["x"]
    doc_ = document(client)
    validate(doc_)
    ids = [ops["get"]["operationId"] for ops in doc_["paths"].values()]
    assert ids == ["view", "view_2"]


def test_no_document_or_docs_when_asked(protocol: str) -> None:
    app = Carboy("quiet")
    api = Api(app, openapi_url=None, docs_url=None)

    @app.get("/x")
    def x() -> list[int]:
        return [1]

    client = app.test_client(protocol=protocol)
    assert client.get("/x").json == [1]
    assert client.get("/openapi.json").status_code == 404
    assert client.get("/docs").status_code == 404
    assert api.openapi(app)["paths"]["/x"]["get"]["operationId"] == "x"


def test_keys_are_sorted_and_the_bytes_stable(kind: str) -> None:
    first = make_app(kind).test_client().get("/openapi.json").get_data()
    second = make_app(kind).test_client().get("/openapi.json").get_data()
    assert first == second
    assert json.dumps(json.loads(first), sort_keys=True, indent=2).encode() == first


def test_the_same_document_in_every_run() -> None:
    """Fresh interpreters with different hash seeds write the same bytes."""
    script = (
        "import hashlib, sys\n"
        "sys.path.insert(0, sys.argv[1])\n"
        "from ext.api.shop import make_app\n"
        "data = make_app().test_client().get('/openapi.json').get_data()\n"
        "print(hashlib.sha256(data).hexdigest())\n"
    )
    digests = set()
    for seed in ("0", "1", "12345"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        out = subprocess.run(
            [sys.executable, "-c", script, str(HERE.parent.parent)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        digests.add(out.stdout.strip())
    here = make_app().test_client().get("/openapi.json").get_data()
    assert digests == {hashlib.sha256(here).hexdigest()}


def test_document_before_the_first_request() -> None:
    app = make_app()
    api: Api = app.extensions["api"]
    before = api.openapi(app)
    validate(before)
    with app.app_context():
        assert api.openapi() == before
    assert json.loads(app.test_client().get("/openapi.json").get_data()) == before
