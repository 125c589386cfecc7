"""Inputs: a JSON body, query, header and cookie values are validated before the view
runs; every invalid value is listed in one 422 application/problem+json response.
Under WSGI and ASGI, with def and async def views (the ``client`` and ``kind``
fixtures)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from carboy.testing import CarboyClient

PROBLEM = "application/problem+json"


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == PROBLEM
    body: dict[str, Any] = json.loads(response.get_data())
    assert body["status"] == status
    assert body["type"] == "about:blank"
    return body


def errors(response: Any) -> list[dict[str, Any]]:
    body = problem(response, 422)
    assert body["title"] == "Unprocessable Content"
    found: list[dict[str, Any]] = body["errors"]
    assert body["detail"] == (
        f"The request has {len(found)} invalid value{'s' if len(found) > 1 else ''}."
    )
    return found


def test_valid_body_reaches_the_view(client: CarboyClient) -> None:
    r = client.post("/items", json={"name": "pen", "price": 120, "tags": ["a"]})
    assert r.status_code == 201
    assert r.headers["Location"] == "/items/1"
    assert r.json == {
        "id": 1,
        "name": "pen",
        "price": 120,
        "color": "red",
        "tags": ["a"],
    }


def test_every_body_error_is_listed(client: CarboyClient) -> None:
    r = client.post("/items", json={"name": "", "price": -1, "color": "blue"})
    assert errors(r) == [
        {
            "location": "body",
            "field": "name",
            "pointer": "#/name",
            "message": "String should have at least 1 character",
            "type": "string_too_short",
        },
        {
            "location": "body",
            "field": "price",
            "pointer": "#/price",
            "message": "Input should be greater than or equal to 0",
            "type": "greater_than_equal",
        },
        {
            "location": "body",
            "field": "color",
            "pointer": "#/color",
            "message": "Input should be 'red' or 'green'",
            "type": "enum",
        },
    ]


def test_missing_fields(client: CarboyClient) -> None:
    r = client.post("/items", json={})
    assert [(e["field"], e["type"]) for e in errors(r)] == [
        ("name", "missing"),
        ("price", "missing"),
    ]


@pytest.mark.parametrize(
    ("payload", "field", "error_type"),
    [
        ({"name": "pen", "price": "12x"}, "price", "int_parsing"),
        ({"name": "pen", "price": 1.5}, "price", "int_from_float"),
        ({"name": 5, "price": 1}, "name", "string_type"),
        ({"name": "pen", "price": None}, "price", "int_type"),
        ({"name": "pen", "price": 10**7}, "price", "less_than_equal"),
        ({"name": "pen", "price": 1, "tags": "a"}, "tags", "list_type"),
        ({"name": "pen", "price": 1, "tags": [1]}, "tags.0", "string_type"),
        ({"name": "pen", "price": 1, "tags": ["t"] * 11}, "tags", "too_long"),
        ({"name": "x" * 51, "price": 1}, "name", "string_too_long"),
    ],
)
def test_wrong_types(
    client: CarboyClient, payload: dict[str, Any], field: str, error_type: str
) -> None:
    [error] = errors(client.post("/items", json=payload))
    assert (error["field"], error["type"]) == (field, error_type)
    assert error["pointer"] == "#/" + field.replace(".", "/")


@pytest.mark.parametrize("payload", [b"[]", b'"pen"', b"1", b"null", b"true"])
def test_body_of_the_wrong_shape(client: CarboyClient, payload: bytes) -> None:
    r = client.post("/items", data=payload, content_type="application/json")
    [error] = errors(r)
    assert error["location"] == "body"
    assert error["field"] == ""
    assert error["pointer"] == "#"
    assert error["type"] == "model_type"


def test_missing_body(client: CarboyClient) -> None:
    [error] = errors(client.post("/items"))
    assert error == {
        "location": "body",
        "field": "",
        "pointer": "#",
        "message": "A JSON request body is required.",
        "type": "missing",
    }


def test_malformed_json_is_a_400_problem(client: CarboyClient) -> None:
    r = client.post("/items", data=b'{"name": ', content_type="application/json")
    body = problem(r, 400)
    assert body["title"] == "Bad Request"


def test_bad_utf8_is_a_400_problem(client: CarboyClient) -> None:
    r = client.post("/items", data=b'{"name": "\xff"}', content_type="application/json")
    problem(r, 400)


def test_wrong_content_type_is_a_415_problem(client: CarboyClient) -> None:
    r = client.post("/items", data="name=pen&price=1")
    assert problem(r, 415)["title"] == "Unsupported Media Type"
    r = client.post(
        "/items", data='{"name": "pen", "price": 1}', content_type="text/plain"
    )
    problem(r, 415)


@pytest.mark.parametrize("number", [10**30, -(10**300), 10**4000])
def test_huge_integers_are_a_422(client: CarboyClient, number: int) -> None:
    [error] = errors(client.post("/items", json={"name": "pen", "price": number}))
    assert error["field"] == "price"


@pytest.mark.parametrize("number", [b"1e400", b"-1e400", b"NaN", b"Infinity"])
def test_non_finite_numbers_are_refused(client: CarboyClient, number: bytes) -> None:
    data = b'{"name": "pen", "price": ' + number + b"}"
    r = client.post("/items", data=data, content_type="application/json")
    [error] = errors(r)
    assert (error["field"], error["type"]) == ("price", "finite_number")


def test_huge_integer_literal_is_refused(client: CarboyClient) -> None:
    # NOTE: more digits than Python converts (4,300): the parser refuses it, a 400.
    data = b'{"name": "pen", "price": ' + b"9" * 5000 + b"}"
    problem(client.post("/items", data=data, content_type="application/json"), 400)


@pytest.mark.parametrize("depth", [200, 100_000])
def test_deeply_nested_json_is_refused_by_the_core_first(
    client: CarboyClient, depth: int
) -> None:
    # NOTE: past Request.max_json_depth (128) the core refuses the body (400) before
    # the model sees it; within it, the model's own error (a 422).
    data = b'{"name": "pen", "price": 1, "tags": ' + b"[" * depth + b"]" * depth + b"}"
    r = client.post("/items", data=data, content_type="application/json")
    assert problem(r, 400)["detail"] == (
        "The browser (or proxy) sent a request with invalid JSON."
    )
    data = b'{"name": "pen", "price": 1, "tags": ' + b"[" * 100 + b"]" * 100 + b"}"
    r = client.post("/items", data=data, content_type="application/json")
    [error] = errors(r)
    assert (error["field"], error["type"]) == ("tags.0", "string_type")


def test_oversized_body_is_refused_by_the_core_first(
    client: CarboyClient, app: Any
) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1000
    data = json.dumps({"name": "pen", "price": 1, "tags": ["x" * 2000]})
    r = client.post("/items", data=data, content_type="application/json")
    assert problem(r, 413)["title"] == "Content Too Large"


def test_extra_fields_are_refused_when_the_model_forbids_them(
    client: CarboyClient,
) -> None:
    client.post("/items", json={"name": "pen", "price": 1})
    [error] = errors(client.patch("/items/1", json={"price": 2, "owner": "me"}))
    assert (error["field"], error["type"]) == ("owner", "extra_forbidden")
    assert client.patch("/items/1", json={"price": 2}).json["price"] == 2


def test_a_body_that_is_not_a_model(client: CarboyClient) -> None:
    assert client.post("/items/prices/sum", json=[1, 2, 3]).json == {
        "total": 6,
        "count": 3,
    }
    [error] = errors(client.post("/items/prices/sum", json=[1, -2]))
    assert (error["field"], error["pointer"]) == ("1", "#/1")
    [error] = errors(client.post("/items/prices/sum", json={"a": 1}))
    assert error["type"] == "list_type"


def test_query_model(client: CarboyClient) -> None:
    for name, color in [("a", "red"), ("b", "green"), ("c", "red")]:
        client.post("/items", json={"name": name, "price": 1, "color": color})
    r = client.get("/items?color=red&per_page=1&page=2")
    assert r.json == {
        "items": [{"id": 3, "name": "c", "price": 1, "color": "red", "tags": []}],
        "total": 2,
        "page": 2,
    }
    r = client.get("/items?color=red&color=green&q=b")
    assert [i["name"] for i in r.json["items"]] == ["b"]


def test_query_errors(client: CarboyClient) -> None:
    r = client.get("/items?page=0&per_page=x&color=blue&color=red")
    assert [(e["location"], e["field"], e["type"]) for e in errors(r)] == [
        ("query", "page", "greater_than_equal"),
        ("query", "per_page", "int_parsing"),
        ("query", "color.0", "enum"),
    ]
    assert all("pointer" not in e for e in errors(r))


def test_query_huge_number(client: CarboyClient) -> None:
    [error] = errors(client.get("/items?page=" + "9" * 5000))
    assert (error["field"], error["type"]) == ("page", "int_parsing_size")


def test_query_alias_and_path_values(client: CarboyClient) -> None:
    assert client.get("/reports/2024/stock?max=3").json == ["2024-stock-en-3"]
    assert client.get("/reports/2024/stock").json == ["2024-stock-en-10"]
    [error] = errors(client.get("/reports/2024/stock?max=51"))
    assert error["field"] == "max"
    assert client.get("/reports/2024/other").status_code == 404


def test_cookie(client: CarboyClient) -> None:
    client.set_cookie("lang", "fr")
    assert client.get("/reports/2024/sales").json == ["2024-sales-fr-10"]


def test_headers(client: CarboyClient) -> None:
    client.post("/items", json={"name": "pen", "price": 3})
    order = {"item_id": 1, "quantity": 2}
    r = client.post("/orders", json=order, headers={"X-Api-Key": "secret"})
    assert r.status_code == 201
    assert r.json["total"] == 6
    r = client.post(
        "/orders", json=order, headers={"x-api-key": "secret", "X-API-Version": "4"}
    )
    assert [(e["location"], e["field"]) for e in errors(r)] == [
        ("header", "X-Api-Version")
    ]
    r = client.post("/orders", json={"item_id": 1, "quantity": 0})
    assert [(e["location"], e["field"], e["type"]) for e in errors(r)] == [
        ("header", "X-Api-Key", "missing"),
        ("body", "quantity", "greater_than_equal"),
    ]


def test_the_view_runs_only_with_valid_input(app: Any, protocol: str) -> None:
    calls: list[int] = []
    app.before_request(lambda: calls.append(1) and None)
    client = app.test_client(protocol=protocol)
    assert client.post("/items", json={"price": 1}).status_code == 422
    assert client.get("/items").json["total"] == 0
    assert calls == [1, 1]
