"""The JSON provider: dumps, loads, responses; orjson and the stdlib agree."""

from __future__ import annotations

import dataclasses
import decimal
import json as stdlib_json
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import carboy.json as cjson
from carboy import Carboy, jsonify, request
from carboy.json import DefaultJSONProvider, JSONProvider
from carboy.testing import CarboyClient


@dataclasses.dataclass
class Point:
    x: int
    y: int


ODD_VALUES: dict[str, Any] = {
    "point": Point(1, 2),
    "date": date(2024, 2, 29),
    "datetime": datetime(2024, 2, 29, 12, 30, 5, tzinfo=UTC),
    "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "decimal": decimal.Decimal("1.10"),
}
EXPECTED: dict[str, Any] = {
    "point": {"x": 1, "y": 2},
    "date": "Thu, 29 Feb 2024 00:00:00 GMT",
    "datetime": "Thu, 29 Feb 2024 12:30:05 GMT",
    "uuid": "12345678-1234-5678-1234-567812345678",
    "decimal": "1.10",
}


def test_dumps_special_types(app: Carboy) -> None:
    assert stdlib_json.loads(app.json.dumps(ODD_VALUES)) == EXPECTED


def test_response_special_types(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> Any:
        return ODD_VALUES

    assert client.get("/").json == EXPECTED


def test_html_objects(app: Carboy) -> None:
    class Markup:
        def __html__(self) -> str:
            return "<b>x</b>"

    assert stdlib_json.loads(app.json.dumps({"m": Markup()})) == {"m": "<b>x</b>"}


def test_unknown_type_raises(app: Carboy) -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        app.json.dumps({"o": object()})
    with app.app_context(), pytest.raises(TypeError):
        jsonify(o=object())


def test_dataclass_class_is_not_serialised(app: Carboy) -> None:
    with pytest.raises(TypeError):
        app.json.dumps(Point)


def test_sorted_keys_and_ascii(app: Carboy) -> None:
    text = app.json.dumps({"b": 1, "a": "é"})
    assert text.index('"a"') < text.index('"b"')
    assert "\\u00e9" in text
    with app.app_context():
        body = jsonify({"b": 1, "a": {"d": 1, "c": 2}}).get_data()
    assert body.index(b'"a"') < body.index(b'"b"')
    assert body.index(b'"c"') < body.index(b'"d"')


def test_compact_output_outside_debug(app: Carboy) -> None:
    app.debug = False
    with app.app_context():
        assert jsonify(a=[1, 2]).get_data() == b'{"a":[1,2]}\n'


def test_pretty_output_in_debug(app: Carboy) -> None:
    app.debug = True
    with app.app_context():
        assert jsonify(a=1).get_data() == b'{\n  "a": 1\n}\n'


def test_loads(app: Carboy) -> None:
    assert app.json.loads('{"a": [1, 2.5, null]}') == {"a": [1, 2.5, None]}
    assert app.json.loads(b"[true]") == [True]
    with pytest.raises(ValueError):
        app.json.loads("{bad")


def test_module_functions_use_app_provider(app: Carboy) -> None:
    class Upper(DefaultJSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return super().dumps(obj, **kwargs).upper()

    app.json = Upper(app)
    with app.app_context():
        assert cjson.dumps({"a": "b"}) == '{"A": "B"}'
        assert cjson.loads('{"a": 1}') == {"a": 1}
    assert cjson.dumps({"a": "b"}) == '{"a": "b"}'
    assert stdlib_json.loads(cjson.dumps(ODD_VALUES)) == EXPECTED


def test_custom_provider_class(protocol: str) -> None:
    class TaggedProvider(JSONProvider):
        def dumps(self, obj: Any, **kwargs: Any) -> str:
            return stdlib_json.dumps({"wrapped": obj})

        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            return {"loaded": stdlib_json.loads(s)}

    class MyApp(Carboy):
        json_provider_class = TaggedProvider

    app = MyApp("x", static_folder=None)
    app.testing = True

    @app.post("/")
    def index() -> Any:
        return request.get_json()

    rv = app.test_client(protocol=protocol).post(
        "/", data=b"[1]", content_type="application/json"
    )
    assert rv.json == {"wrapped": {"loaded": [1]}}


def test_request_json_uses_app_loads(app: Carboy, client: CarboyClient) -> None:
    class Provider(DefaultJSONProvider):
        def loads(self, s: str | bytes, **kwargs: Any) -> Any:
            return {"custom": True}

    app.json = Provider(app)

    @app.post("/")
    def index() -> Any:
        return request.get_json()

    assert client.post("/", json={"x": 1}).json == {"custom": True}


def test_non_str_keys(app: Carboy) -> None:
    with app.app_context():
        assert jsonify({1: "a", 2: "b"}).json == {"1": "a", "2": "b"}


def test_big_int(app: Carboy) -> None:
    with app.app_context():
        assert jsonify(n=2**70).json == {"n": 2**70}


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


_PROPERTY_APP = Carboy("json_property", static_folder=None)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_orjson_and_stdlib_parse_equal(value: Any) -> None:
    """The fast path (orjson when installed) and the stdlib path agree once parsed."""
    provider = _PROPERTY_APP.json
    assert isinstance(provider, DefaultJSONProvider)
    fast = provider._dump_body(value, pretty=False)
    slow = provider.dumps(value, separators=(",", ":")).encode() + b"\n"
    assert (
        stdlib_json.loads(fast)
        == stdlib_json.loads(slow)
        == stdlib_json.loads(stdlib_json.dumps(value))
    )


def test_orjson_and_stdlib_agree_on_special_types() -> None:
    app = Carboy("x", static_folder=None)
    provider = app.json
    assert isinstance(provider, DefaultJSONProvider)
    fast = provider._dump_body(ODD_VALUES, pretty=False)
    slow = provider._dump_body(ODD_VALUES, pretty=True)
    assert stdlib_json.loads(fast) == stdlib_json.loads(slow) == EXPECTED


def test_orjson_fast_path_is_byte_identical_for_simple_values() -> None:
    app = Carboy("x", static_folder=None)
    provider = app.json
    assert isinstance(provider, DefaultJSONProvider)
    value = {"b": [1, 2.5, None, True], "a": "é\u2028", "c": {"z": 1, "y": "q"}}
    fast = provider._dump_body(value, pretty=False)
    slow = provider.dumps(value, separators=(",", ":")).encode() + b"\n"
    assert stdlib_json.loads(fast) == stdlib_json.loads(slow)
