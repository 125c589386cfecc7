"""JSON that get_json() accepts can always be sent back; carboy.json files."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import carboy.json as cjson
from carboy import Carboy, Request, jsonify, request
from carboy.sansio.request import json_depth_exceeds
from carboy.testing import CarboyClient


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


def nested_objects(depth: int) -> bytes:
    return b'{"a":' * (depth - 1) + b"{}" + b"}" * (depth - 1)


@pytest.fixture(params=["orjson", "stdlib"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "stdlib":
        monkeypatch.setattr(cjson, "_orjson", None)
    else:
        assert cjson._orjson is not None
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def echo(app: Carboy, protocol: str, backend: str) -> CarboyClient:
    app.config["TESTING"] = False  # errors become responses, as in production

    @app.post("/echo")
    def echo_view() -> Any:
        return jsonify(request.get_json())

    @app.post("/pretty")
    def pretty() -> Any:
        app.json.compact = False  # type: ignore[attr-defined]
        try:
            return jsonify(request.get_json())
        finally:
            app.json.compact = None  # type: ignore[attr-defined]

    return app.test_client(protocol=protocol)


@pytest.mark.parametrize("shape", [nested, nested_objects])
@pytest.mark.parametrize("route", ["/echo", "/pretty"])
def test_deepest_accepted_json_is_sent_back(
    echo: CarboyClient, shape: Any, route: str
) -> None:
    depth = Request.max_json_depth
    assert depth == 128
    body = shape(depth)
    rv = echo.post(route, data=body, content_type="application/json")
    assert rv.status_code == 200
    assert rv.get_json() == cjson._json.loads(body)


@pytest.mark.parametrize("depth", [129, 990, 5000])
@pytest.mark.parametrize("shape", [nested, nested_objects])
def test_deeper_json_is_400(echo: CarboyClient, depth: int, shape: Any) -> None:
    rv = echo.post("/echo", data=shape(depth), content_type="application/json")
    assert rv.status_code == 400


def test_many_shallow_brackets_are_fine(echo: CarboyClient) -> None:
    body = b"[" + b",".join([b"[[1]]"] * 5000) + b"]"
    rv = echo.post("/echo", data=body, content_type="application/json")
    assert rv.status_code == 200
    assert len(rv.json) == 5000


def test_brackets_inside_strings_do_not_count(echo: CarboyClient) -> None:
    body = b'["' + b"[" * 1000 + b'"]'
    rv = echo.post("/echo", data=body, content_type="application/json")
    assert rv.json == ["[" * 1000]


def test_depth_limit_is_settable_per_request(app: Carboy, client: CarboyClient) -> None:
    @app.post("/limited")
    def limited() -> Any:
        request.max_json_depth = 2
        return {"value": request.get_json(silent=True)}

    assert client.post("/limited", json=[[1]]).json == {"value": [[1]]}
    assert client.post("/limited", json=[[[1]]]).json == {"value": None}


def test_writing_too_deep_a_value_is_a_clear_error(app: Carboy, backend: str) -> None:
    value: Any = []
    for _ in range(sys.getrecursionlimit() + 100):
        value = [value]
    with app.app_context():
        with pytest.raises(ValueError, match="nested too deeply"):
            jsonify(value)
        with pytest.raises(ValueError, match="nested too deeply"):
            cjson.dumps(value)


def test_too_deep_response_is_a_handled_500(app: Carboy, protocol: str) -> None:
    app.config["TESTING"] = False
    value: Any = []
    for _ in range(sys.getrecursionlimit() + 100):
        value = [value]

    @app.get("/deep")
    def deep() -> Any:
        return jsonify(value)

    @app.errorhandler(ValueError)
    def too_deep(error: ValueError) -> tuple[str, int]:
        return "too deep", 500

    rv = app.test_client(protocol=protocol).get("/deep")
    assert rv.status_code == 500
    assert rv.text == "too deep"


# -- files ------------------------------------------------------------------------


def test_dump_and_load_files_with_the_app_provider(app: Carboy, tmp_path: Path) -> None:
    path = tmp_path / "data.json"
    with app.app_context():
        with path.open("w") as fp:
            cjson.dump({"b": 1, "a": (1, 2)}, fp)
        assert path.read_text() == '{"a": [1, 2], "b": 1}'
        with path.open() as fp:
            assert cjson.load(fp) == {"a": [1, 2], "b": 1}
        with path.open("rb") as fp:
            assert cjson.load(fp) == {"a": [1, 2], "b": 1}
        buffer = io.StringIO()
        app.json.dump([1], buffer)
        assert buffer.getvalue() == "[1]"
        assert app.json.load(io.BytesIO(b"[2]")) == [2]


def test_dump_and_load_files_without_an_app() -> None:
    buffer = io.StringIO()
    cjson.dump({"when": __import__("datetime").date(2024, 1, 2)}, buffer)
    assert buffer.getvalue() == '{"when": "Tue, 02 Jan 2024 00:00:00 GMT"}'
    buffer.seek(0)
    assert cjson.load(buffer) == {"when": "Tue, 02 Jan 2024 00:00:00 GMT"}


# -- the depth check itself -----------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(st.sampled_from('[]{}"\\ax\u00e9')),
    lambda children: (
        st.lists(children)
        | st.dictionaries(st.text(st.sampled_from('[]{}"\\a')), children)
    ),
    max_leaves=40,
)


def real_depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max(map(real_depth, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(real_depth, value.values()), default=0)
    return 0


@settings(max_examples=300)
@given(JSON_VALUES, st.booleans(), st.integers(0, 12), st.booleans())
def test_json_depth_exceeds_is_exact(
    value: Any, ascii_only: bool, limit: int, indent: bool
) -> None:
    text = cjson._json.dumps(
        value, ensure_ascii=ascii_only, indent=2 if indent else None
    )
    data = text.encode()
    assert json_depth_exceeds(data, limit) == (real_depth(value) > limit)


@pytest.mark.parametrize("depth", [8, 9, 127, 128, 129, 1000])
def test_json_depth_exceeds_deep_texts(depth: int) -> None:
    arrays = nested(depth)
    objects = nested_objects(depth)
    mixed = b'{"a": [' * (depth // 2) + b"1" + b"]}" * (depth // 2)
    for data, real in ((arrays, depth), (objects, depth), (mixed, depth // 2 * 2)):
        assert json_depth_exceeds(data, 128) == (real > 128)
        assert json_depth_exceeds(data, real) is False
        assert json_depth_exceeds(data, real - 1) is True


def test_brackets_in_strings_are_ignored() -> None:
    data = b'["\\\\", "\\"[[[[", "]]]", {"k[": "{{"}]'
    assert json_depth_exceeds(data, 2) is False
    assert json_depth_exceeds(data, 1) is True
