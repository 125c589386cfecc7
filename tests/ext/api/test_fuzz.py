"""Property-based: whatever JSON body, query string or header a client sends to the
typed views, the answer is a success or a clear 4xx (problem+json), never a 500, and
a success carries only the response model's fields."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .shop import make_app

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
ITEMISH = st.fixed_dictionaries(
    {},
    optional={
        "name": JSON,
        "price": JSON,
        "color": st.sampled_from(["red", "green", "blue"]) | JSON,
        "tags": JSON,
        "extra": JSON,
    },
)
APPS = {kind: make_app(kind) for kind in ("def", "async")}
FIELDS = {"name", "price", "color", "tags", "id"}
SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def check(response: Any) -> None:
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"
        body = json.loads(response.get_data())
        assert body["status"] == response.status_code
        for error in body.get("errors", ()):
            assert set(error) >= {"location", "field", "message", "type"}


@SETTINGS
@given(
    body=ITEMISH | JSON,
    kind=st.sampled_from(["def", "async"]),
    protocol=st.sampled_from(["wsgi", "asgi"]),
)
def test_any_json_body(body: Any, kind: str, protocol: str) -> None:
    r = APPS[kind].test_client(protocol=protocol).post("/items", json=body)
    check(r)
    if r.status_code in (201, 409):
        assert set(json.loads(r.get_data())) <= FIELDS | {"message", "existing_id"}


@SETTINGS
@given(data=st.binary(max_size=200), protocol=st.sampled_from(["wsgi", "asgi"]))
def test_any_bytes_as_json(data: bytes, protocol: str) -> None:
    client = APPS["def"].test_client(protocol=protocol)
    check(client.post("/items", data=data, content_type="application/json"))


@SETTINGS
@given(
    query=st.lists(
        st.tuples(
            st.sampled_from(["page", "per_page", "color", "q", "x"])
            | st.text(max_size=5),
            st.text(max_size=12),
        ),
        max_size=6,
    ),
    headers=st.dictionaries(
        st.sampled_from(
            ["X-Api-Key", "X-Api-Version", "User-Agent", "Idempotency-Key"]
        ),
        st.text(
            alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=12
        ),
    ),
    kind=st.sampled_from(["def", "async"]),
)
def test_any_query_and_headers(
    query: list[tuple[str, str]], headers: dict[str, str], kind: str
) -> None:
    client = APPS[kind].test_client()
    check(client.get("/items", query_string=query))
    check(client.get("/reports/2024/sales", query_string=query))
    check(client.post("/orders", json={"item_id": 1, "quantity": 1}, headers=headers))
