"""Rule strings: parsing, syntax errors at registration, attributes."""

from __future__ import annotations

from typing import Any

import pytest

from carboy.routing import BaseConverter, Map, Rule
from carboy.routing.rules import Variable, parse_args, parse_rule


def test_parse_static_and_variables() -> None:
    assert parse_rule("/users/<int:id>/edit") == [
        "/users/",
        Variable("id", "int", (), ()),
        "/edit",
    ]
    assert parse_rule("/<name>") == ["/", Variable("name", "default", (), ())]


def test_parse_converter_arguments() -> None:
    (_, var) = parse_rule("/<int(min=1, max=99):page>")
    assert isinstance(var, Variable)
    assert var.kwargs == (("min", 1), ("max", 99))
    (_, var) = parse_rule('/< any ( about , \'help me\', "x\\"y" ) : page >')
    assert isinstance(var, Variable)
    assert var.args == ("about", "help me", 'x"y')
    assert var.name == "page"
    (_, var) = parse_rule("/<string():x>")
    assert isinstance(var, Variable) and var.args == () and var.kwargs == ()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("True", True),
        ("False", False),
        ("None", None),
        ("-12", -12),
        ("1.5", 1.5),
        ("2.5e3", 2500.0),
        ("word", "word"),
        ("two words", "two words"),
        ("'a,b'", "a,b"),
        ("'it\\'s'", "it's"),
    ],
)
def test_parse_argument_values(text: str, value: Any) -> None:
    assert parse_args(text, "x") == ((value,), {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a=1, 2", "positional converter argument after a keyword"),
        ("a=1, a=2", "'a' given twice"),
        ("'unclosed", "cannot parse converter arguments"),
        ("a,,b", "cannot parse converter arguments"),
    ],
)
def test_parse_bad_arguments(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_args(text, "x")


@pytest.mark.parametrize(
    ("string", "message"),
    [
        ("users", "must start with a slash"),
        ("", "must start with a slash"),
        ("/users/<id", "without a closing '>' at position 7"),
        ("/users/<int:id", "without a closing '>'"),
        ("/users/id>", "'>' without an opening '<' at position 9"),
        ("/users/<int:id>>", "'>' without an opening '<'"),
        ("/users/<1id>", "invalid variable name '1id'"),
        ("/users/<int:my-id>", "invalid variable name 'my-id'"),
        ("/users/<>", "invalid variable name ''"),
        ("/users/<int(:id>", "malformed variable part"),
        ("/<a>/<int:a>", "uses the variable 'a' twice"),
        ("/<int(min=1, min=2):a>", "'min' given twice"),
    ],
)
def test_syntax_errors_name_the_rule(string: str, message: str) -> None:
    with pytest.raises(ValueError, match=message) as info:
        Rule(string)
    if string:
        assert repr(string) in str(info.value)


def test_unknown_converter_raises_lookup_error_at_add() -> None:
    rule = Rule("/<list:items>", endpoint="x")
    with pytest.raises(LookupError, match=r"'list' of variable 'items'.*known: any"):
        Map([rule])


@pytest.mark.parametrize(
    "string",
    ["/<int(bogus=1):x>", "/<any:x>", "/<int(1, 2, 3, 4, 5, 6):x>"],
)
def test_bad_converter_arguments_raise_value_error_at_add(string: str) -> None:
    with pytest.raises(ValueError, match="bad arguments for converter"):
        Map([Rule(string)])


def test_methods_upper_cased_with_head() -> None:
    rule = Rule("/", methods=["get", "post"])
    assert rule.methods == {"GET", "HEAD", "POST"}
    assert Rule("/", methods=["POST"]).methods == {"POST"}
    assert Rule("/").methods is None


def test_methods_as_string_is_rejected() -> None:
    with pytest.raises(TypeError, match="list of strings"):
        Rule("/", methods="GET")


def test_attributes_and_repr() -> None:
    rule = Rule(
        "/users/<int:id>",
        endpoint="user",
        methods=["GET"],
        defaults={"tab": "a"},
        subdomain="<user>",
        websocket=False,
        provide_automatic_options=True,
    )
    assert repr(rule) == "<Rule '/users/<int:id>' (GET, HEAD) -> user>"
    assert repr(Rule("/x", endpoint="x")) == "<Rule '/x' -> x>"
    assert rule.arguments == {"id"}
    assert rule.strict_slashes is None
    Map([rule])
    assert rule.arguments == {"id", "user"}
    assert rule.strict_slashes is True
    assert rule.defaults == {"tab": "a"}
    assert rule.provide_automatic_options is True


def test_strict_slashes_default_from_map() -> None:
    rule = Rule("/a/")
    Map([rule], strict_slashes=False)
    assert rule.strict_slashes is False
    explicit = Rule("/b/", strict_slashes=True)
    Map([explicit], strict_slashes=False)
    assert explicit.strict_slashes is True


def test_rule_cannot_be_added_twice() -> None:
    rule = Rule("/a")
    Map([rule])
    with pytest.raises(RuntimeError, match="already bound"):
        Map([rule])


def test_domain_and_path_share_a_variable() -> None:
    with pytest.raises(ValueError, match="in both its domain and its path"):
        Map([Rule("/<user>", subdomain="<user>")])


def test_bad_host_pattern() -> None:
    with pytest.raises(ValueError, match="Host of rule '/'"):
        Map([Rule("/", host="<bad")], host_matching=True)


def test_redirect_to_placeholders_checked_at_add() -> None:
    with pytest.raises(ValueError, match="redirect_to '/new/<other>' uses 'other'"):
        Map([Rule("/old/<id>", redirect_to="/new/<other>")])
    Map([Rule("/old/<id>", redirect_to="/new/<id>/<tab>", defaults={"tab": "x"})])


def test_custom_converter_arguments() -> None:
    class Sep(BaseConverter):
        def __init__(self, map: Map, sep: str = ",") -> None:
            super().__init__(map)
            self.sep = sep

    rule = Rule("/<sep(sep=';'):x>")
    Map([rule], converters={"sep": Sep})
    converter = rule.converters["x"]
    assert isinstance(converter, Sep) and converter.sep == ";"
