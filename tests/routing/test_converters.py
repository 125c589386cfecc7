"""Built-in and custom converters: bounds, hostile input, to_url."""

from __future__ import annotations

import sys
import uuid
from typing import Any

import pytest

from carboy.exceptions import NotFound
from carboy.routing import (
    BaseConverter,
    FloatConverter,
    IntegerConverter,
    Map,
    Rule,
    UnicodeConverter,
    ValidationError,
)
from carboy.routing.converters import NO_MATCH, AnyConverter, PathConverter
from carboy.routing.matcher import _is_isolating


def values_for(rule: str, path: str, **map_args: Any) -> dict[str, Any] | None:
    """The matched values of ``path`` against the single ``rule``, None for 404."""
    url_map = Map([Rule(rule, endpoint="e")], **map_args)
    try:
        return url_map.match(path, "GET")[1]
    except NotFound:
        return None


@pytest.mark.parametrize(
    ("rule", "path", "expected"),
    [
        ("/<int:x>", "/42", 42),
        ("/<int:x>", "/007", 7),
        ("/<int:x>", "/-1", None),
        ("/<int:x>", "/+1", None),
        ("/<int:x>", "/1_000", None),
        ("/<int:x>", "/ 1", None),
        ("/<int:x>", "/\u0663", None),  # ARABIC-INDIC DIGIT THREE
        ("/<int:x>", "/\u00b2", None),  # SUPERSCRIPT TWO
        ("/<int:x>", "/", None),
        ("/<int:x>", "/1.5", None),
        ("/<int:x>", "/" + "9" * 4300, int("9" * 4300)),
        ("/<int:x>", "/" + "9" * 5000, None),
        ("/<int(signed=True):x>", "/-5", -5),
        ("/<int(signed=True):x>", "/5", 5),
        ("/<int(signed=True):x>", "/-", None),
        ("/<int(signed=True):x>", "/--5", None),
        ("/<int(signed=True):x>", "/-" + "1" * 5000, None),
        ("/<int(min=1, max=99):x>", "/1", 1),
        ("/<int(min=1, max=99):x>", "/99", 99),
        ("/<int(min=1, max=99):x>", "/0", None),
        ("/<int(min=1, max=99):x>", "/100", None),
        ("/<int(fixed_digits=4):x>", "/0042", 42),
        ("/<int(fixed_digits=4):x>", "/42", None),
        ("/<int(fixed_digits=4):x>", "/00042", None),
        ("/<int(fixed_digits=2, signed=True):x>", "/-04", -4),
        ("/<float:x>", "/1.5", 1.5),
        ("/<float:x>", "/1", None),
        ("/<float:x>", "/1.", None),
        ("/<float:x>", "/.5", None),
        ("/<float:x>", "/1e5", None),
        ("/<float:x>", "/nan", None),
        ("/<float:x>", "/inf", None),
        ("/<float:x>", "/-1.5", None),
        ("/<float:x>", "/\u0663.5", None),
        ("/<float:x>", "/" + "9" * 400 + ".0", None),  # overflows to inf
        ("/<float(signed=True):x>", "/-1.5", -1.5),
        ("/<float(min=0.5, max=2.0):x>", "/2.5", None),
        ("/<float(min=0.5, max=2.0):x>", "/0.5", 0.5),
        ("/<string(length=2):x>", "/ab", "ab"),
        ("/<string(length=2):x>", "/abc", None),
        ("/<string(minlength=2, maxlength=3):x>", "/a", None),
        ("/<string(minlength=2, maxlength=3):x>", "/abc", "abc"),
        ("/<string(minlength=2, maxlength=3):x>", "/abcd", None),
        ("/<x>", "/caf\u00e9 %41", "caf\u00e9 %41"),
        ("/<x>", "/", None),
        ("/<any(about, help):x>", "/help", "help"),
        ("/<any(about, help):x>", "/abou", None),
        ("/<path:x>", "/a/b/c.txt", "a/b/c.txt"),
        ("/<path:x>", "/a//b/", "a//b/"),
        ("/<path:x>", "/a\nb/c", "a\nb/c"),
        ("/<path:x>", "/", None),
        ("/<path:x>", "//a", None),
    ],
)
def test_converter_matching(rule: str, path: str, expected: Any) -> None:
    found = values_for(rule, path)
    if expected is None:
        assert found is None
    else:
        assert found == {"x": expected}
        assert type(found["x"]) is type(expected)


def test_int_digit_limit_lowered_by_the_user() -> None:
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        assert values_for("/<int:x>", "/" + "1" * 700) is None
    finally:
        sys.set_int_max_str_digits(old)


def test_uuid() -> None:
    value = uuid.uuid4()
    assert values_for("/<uuid:x>", f"/{value}") == {"x": value}
    assert values_for("/<uuid:x>", f"/{str(value).upper()}") == {"x": value}
    assert values_for("/<uuid:x>", f"/{value.hex}") is None
    assert values_for("/<uuid:x>", "/not-a-uuid") is None


@pytest.mark.parametrize(
    ("converter", "value", "url"),
    [
        ("int", 42, "42"),
        ("int(fixed_digits=4)", 42, "0042"),
        ("float", 1.5, "1.5"),
        ("float", 3, "3.0"),
        ("float", 1e20, "100000000000000000000.0"),
        ("float", 1e-7, "0.0000001"),
        ("string", "a b/c?d#é", "a%20b%2Fc%3Fd%23%C3%A9"),
        ("string", "!$&'()*+,;=:@-._~", "!$&'()*+,;=:@-._~"),
        ("path", "a b/c", "a%20b/c"),
        ("any(x, y)", "y", "y"),
        ("uuid", uuid.UUID(int=1), "00000000-0000-0000-0000-000000000001"),
    ],
)
def test_to_url(converter: str, value: Any, url: str) -> None:
    url_map = Map([Rule(f"/<{converter}:v>", endpoint="e")])
    assert url_map.build("e", {"v": value}) == ("", "/" + url)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_float_to_url_refuses_non_finite(value: float) -> None:
    url_map = Map([Rule("/<float:v>", endpoint="e")])
    with pytest.raises(ValueError, match="cannot build a URL part from the float"):
        url_map.build("e", {"v": value})


def test_any_to_url_refuses_other_values() -> None:
    url_map = Map([Rule("/<any(a, b):v>", endpoint="e")])
    with pytest.raises(ValueError, match="'c' is not one of the allowed values"):
        url_map.build("e", {"v": "c"})


def test_any_needs_items() -> None:
    with pytest.raises(ValueError, match="any\\(\\) needs at least one item"):
        Map([Rule("/<any():v>")])


def test_number_to_python_generic_path() -> None:
    """to_python itself (used by subclasses) validates like the fast path."""
    url_map = Map()
    integer = IntegerConverter(url_map, fixed_digits=2, min=10)
    assert integer.to_python("12") == 12
    for bad in ("123", "09", "1" * 5000):
        with pytest.raises(ValidationError):
            integer.to_python(bad)
    number = FloatConverter(url_map, max=2.0)
    assert number.to_python("1.5") == 1.5
    for bad in ("2.5", "x", "9" * 400 + ".0"):
        with pytest.raises(ValidationError):
            number.to_python(bad)
    assert UnicodeConverter(url_map).to_python("a") == "a"
    with pytest.raises(ValidationError):
        FloatConverter(url_map).to_python("9" * 400 + ".0")


class EvenConverter(IntegerConverter):
    """A subclass changing to_python: must not use the int fast path."""

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        if number % 2:
            raise ValidationError()
        return number


class HexConverter(IntegerConverter):
    regex = "[0-9a-f]+"

    def to_python(self, value: str) -> Any:
        return int(value, 16)


class LowerConverter(UnicodeConverter):
    regex = "[a-z]+"


class OddFloat(FloatConverter):
    regex = r"[0-9]+\.5"


class PickyAny(BaseConverter):
    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        self.regex = "|".join(items)

    def to_python(self, value: str) -> Any:
        return value.upper()


@pytest.mark.parametrize(
    ("name", "cls", "path", "expected"),
    [
        ("even", EvenConverter, "/4", 4),
        ("even", EvenConverter, "/3", None),
        ("even", EvenConverter, "/-4", None),
        ("hex", HexConverter, "/ff", 255),
        ("hex", HexConverter, "/fg", None),
        ("lower", LowerConverter, "/abc", "abc"),
        ("lower", LowerConverter, "/aBc", None),
        ("odd", OddFloat, "/1.5", 1.5),
        ("odd", OddFloat, "/1.25", None),
    ],
)
def test_subclasses_of_builtins_keep_their_rules(
    name: str, cls: type[BaseConverter], path: str, expected: Any
) -> None:
    found = values_for(f"/<{name}:x>", path, converters={name: cls})
    assert found == (None if expected is None else {"x": expected})


def test_part_matcher_default_and_validation_error() -> None:
    url_map = Map()
    matcher = EvenConverter(url_map).part_matcher()
    assert matcher("8") == 8
    assert matcher("7") is NO_MATCH
    assert matcher("x") is NO_MATCH


def test_custom_converter_exceptions_other_than_validation_error_propagate() -> None:
    class Broken(BaseConverter):
        def to_python(self, value: str) -> Any:
            raise RuntimeError("bug in converter")

    url_map = Map([Rule("/<broken:x>")], converters={"broken": Broken})
    with pytest.raises(RuntimeError, match="bug in converter"):
        url_map.match("/a", "GET")


class ListConverter(BaseConverter):
    """Comma-separated items, as in the Flask documentation."""

    def to_python(self, value: str) -> Any:
        return value.split(",")

    def to_url(self, value: Any) -> str:
        return ",".join(super(ListConverter, self).to_url(item) for item in value)


def test_list_converter_from_the_flask_docs() -> None:
    rule = Rule("/<list:items>", endpoint="e")
    url_map = Map([rule], converters={"list": ListConverter})
    assert url_map.match("/a,b", "GET")[1] == {"items": ["a", "b"]}
    assert url_map.build("e", {"items": ["a b", "c"]}) == ("", "/a%20b,c")


def test_converters_added_after_creation_are_used() -> None:
    url_map = Map()
    url_map.converters["list"] = ListConverter
    url_map.add(Rule("/<list:items>", endpoint="e"))
    assert url_map.match("/a,b", "GET")[1] == {"items": ["a", "b"]}


def test_which_converters_span_segments() -> None:
    url_map = Map()

    class Slashy(BaseConverter):
        regex = "[a-z]+/[a-z]+"

    class Flagged(BaseConverter):
        part_isolating = False

    assert _is_isolating(UnicodeConverter(url_map, length=2))
    assert _is_isolating(IntegerConverter(url_map))
    assert not _is_isolating(PathConverter(url_map))
    assert not _is_isolating(Slashy(url_map))
    assert not _is_isolating(Flagged(url_map))


def test_any_subclass_with_own_to_python() -> None:
    class Upper(AnyConverter):
        def to_python(self, value: str) -> Any:
            return value.upper()

    assert values_for("/<up(a, b):x>", "/b", converters={"up": Upper}) == {"x": "B"}
    assert values_for("/<up(a, b):x>", "/c", converters={"up": Upper}) is None
