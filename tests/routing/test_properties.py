"""Property tests: priority is independent of registration order; build/match agree."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import unquote

from hypothesis import given, settings
from hypothesis import strategies as st

from carboy.exceptions import HTTPException
from carboy.routing import Map, Rule

# Rules of different specificity at each position: the winner never depends on order.
RULE_STRINGS = [
    "/",
    "/users",
    "/users/",
    "/users/me",
    "/users/<int:id>",
    "/users/<float:f>",
    "/users/<uuid:u>",
    "/users/<any(admin, root):role>",
    "/users/<string(length=2):code>",
    "/users/<name>",
    "/users/<name>.json",
    "/users/<int:id>/posts",
    "/users/<name>/posts",
    "/users/<path:rest>",
    "/<section>/<int:id>",
    "/<section>/edit",
    "/files/<path:p>/raw",
    "/files/<path:p>",
    "/files/<p>",
]
SEGMENTS = st.sampled_from(
    ["users", "me", "42", "1.5", "admin", "ab", "bob", "bob.json", "posts", "edit",
     "files", "raw", "", str(uuid.UUID(int=7)), "x"]
)  # fmt: skip
PATHS = st.lists(SEGMENTS, min_size=1, max_size=4).map(lambda s: "/" + "/".join(s))


def outcome(url_map: Map, path: str) -> Any:
    try:
        rule, values = url_map.match(path, "GET")
    except HTTPException as error:
        return type(error).__name__, getattr(error, "new_url", None)
    return rule.rule, values


@settings(max_examples=60)
@given(order=st.permutations(range(len(RULE_STRINGS))), paths=st.lists(PATHS))
def test_priority_does_not_depend_on_registration_order(
    order: list[int], paths: list[str]
) -> None:
    reference = Map([Rule(string, endpoint=string) for string in RULE_STRINGS])
    shuffled = Map([Rule(RULE_STRINGS[i], endpoint=RULE_STRINGS[i]) for i in order])
    for path in paths + ["/users/42", "/users/bob", "/files/a/b/raw", "/x/edit"]:
        assert outcome(shuffled, path) == outcome(reference, path), path


TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="/"), min_size=1
)
PATH_TEXT = st.lists(TEXT, min_size=1, max_size=4).map("/".join)

ROUND_TRIP_MAP = Map(
    [
        Rule("/i/<int:n>", endpoint="int"),
        Rule("/s/<int(signed=True):n>", endpoint="signed"),
        Rule("/f/<float(signed=True):x>", endpoint="float"),
        Rule("/t/<name>", endpoint="text"),
        Rule("/t/<name>/<path:rest>", endpoint="path"),
        Rule("/u/<uuid:u>", endpoint="uuid"),
        Rule("/m/<name>.<int:n>", endpoint="mixed"),
    ]
)


def round_trip(endpoint: str, values: dict[str, Any]) -> None:
    domain, url = ROUND_TRIP_MAP.build(endpoint, values)
    assert domain == ""
    rule, matched = ROUND_TRIP_MAP.match(unquote(url), "GET")
    assert rule.endpoint == endpoint
    assert matched == values


@given(st.integers(min_value=0, max_value=10**100))
def test_round_trip_int(n: int) -> None:
    round_trip("int", {"n": n})


@given(st.integers(min_value=-(10**30), max_value=10**30))
def test_round_trip_signed(n: int) -> None:
    round_trip("signed", {"n": n})


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_round_trip_float(x: float) -> None:
    round_trip("float", {"x": x})


@given(TEXT)
def test_round_trip_text(name: str) -> None:
    round_trip("text", {"name": name})


@given(TEXT, PATH_TEXT)
def test_round_trip_path(name: str, rest: str) -> None:
    round_trip("path", {"name": name, "rest": rest})


@given(st.uuids())
def test_round_trip_uuid(u: uuid.UUID) -> None:
    round_trip("uuid", {"u": u})


@given(st.from_regex(r"[a-z]{1,8}", fullmatch=True), st.integers(0, 10**6))
def test_round_trip_mixed(name: str, n: int) -> None:
    round_trip("mixed", {"name": name, "n": n})


@given(st.text(st.characters(blacklist_categories=("Cs",)), max_size=30))
def test_hostile_paths_never_crash(path: str) -> None:
    for candidate in (path, "/" + path, "/t/" + path, "/i/" + path, "/f/" + path):
        outcome(ROUND_TRIP_MAP, candidate)


# -- strict slashes against converters ---------------------------------------------

SLASH_RULES = [*RULE_STRINGS, "/<section>/", "/users/<name>/", "/files/<p>/"]


def slow_outcome(url_map: Map, path: str) -> Any:
    try:
        rule, values = url_map._matcher._match_slowly(  # type: ignore[attr-defined]
            path, "GET", "", False
        )
    except HTTPException as error:
        return type(error).__name__, getattr(error, "new_url", None)
    return rule.rule, values


@settings(max_examples=150)
@given(
    rules=st.lists(st.sampled_from(SLASH_RULES), min_size=1, unique=True),
    paths=st.lists(PATHS, max_size=8),
)
def test_fast_path_agrees_with_full_search(rules: list[str], paths: list[str]) -> None:
    url_map = Map([Rule(string, endpoint=string) for string in rules])
    for path in paths:
        assert outcome(url_map, path) == slow_outcome(url_map, path), path


@settings(max_examples=150)
@given(
    name=st.from_regex(r"[a-z0-9.]{1,10}", fullmatch=True),
    others=st.lists(st.sampled_from(SLASH_RULES), unique=True),
)
def test_static_slash_rule_redirects_whatever_converters_exist(
    name: str, others: list[str]
) -> None:
    rules = [Rule(string, endpoint=string) for string in others]
    # A static rule at "/<name>" itself would be an exact match, which wins.
    rules = [rule for rule in rules if rule.rule != f"/{name}"]
    url_map = Map([*rules, Rule(f"/{name}/", endpoint="slashed")])
    assert outcome(url_map, f"/{name}") == ("RequestRedirect", f"/{name}/")
    assert outcome(url_map, f"/{name}/") == (f"/{name}/", {})
