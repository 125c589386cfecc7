"""Map.match: priority, backtracking, 404/405, slashes, redirects, defaults, domains."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from carboy.exceptions import MethodNotAllowed, NotFound
from carboy.routing import BaseConverter, Map, RequestRedirect, Rule, ValidationError


def endpoint(url_map: Map, path: str, method: str = "GET", **kw: Any) -> str | None:
    return url_map.match(path, method, **kw)[0].endpoint


def test_static_and_dynamic() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="index"),
            Rule("/users/", endpoint="users"),
            Rule("/users/<int:id>", endpoint="user"),
            Rule("/users/<int:id>/posts/<slug>", endpoint="post"),
        ]
    )
    assert url_map.match("/", "GET") == (next(url_map.iter_rules("index")), {})
    assert endpoint(url_map, "/users/") == "users"
    rule, values = url_map.match("/users/42/posts/hello", "GET")
    assert (rule.endpoint, values) == ("post", {"id": 42, "slug": "hello"})


@pytest.mark.parametrize("path", ["", "users", "users/1", "/nope", "/users/1/x"])
def test_not_found(path: str) -> None:
    url_map = Map([Rule("/users/<int:id>"), Rule("/users")])
    with pytest.raises(NotFound):
        url_map.match(path, "GET")


def test_static_wins_over_dynamic_regardless_of_order() -> None:
    for rules in (
        [Rule("/users/<name>", endpoint="dyn"), Rule("/users/me", endpoint="me")],
        [Rule("/users/me", endpoint="me"), Rule("/users/<name>", endpoint="dyn")],
    ):
        url_map = Map(rules)
        assert endpoint(url_map, "/users/me") == "me"
        assert endpoint(url_map, "/users/you") == "dyn"


def test_static_segment_wins_at_each_position() -> None:
    url_map = Map(
        [
            Rule("/<a>/<b>", endpoint="both"),
            Rule("/<a>/edit", endpoint="edit"),
            Rule("/x/<b>", endpoint="x"),
        ]
    )
    assert endpoint(url_map, "/x/edit") == "x"
    assert endpoint(url_map, "/y/edit") == "edit"
    assert endpoint(url_map, "/y/z") == "both"


def test_converter_priority_and_backtracking() -> None:
    rules = [
        Rule("/v/<path:p>", endpoint="path"),
        Rule("/v/<s>", endpoint="string"),
        Rule("/v/<string(maxlength=3):s>", endpoint="max3"),
        Rule("/v/<string(length=2):s>", endpoint="len2"),
        Rule("/v/<int:i>", endpoint="int"),
        Rule("/v/<float:f>", endpoint="float"),
        Rule("/v/<uuid:u>", endpoint="uuid"),
        Rule("/v/<any(aa, help):a>", endpoint="any"),
        Rule("/v/<s>.json", endpoint="json"),
    ]
    url_map = Map(rules)
    expected = {
        "/v/12": "int",
        "/v/1.5": "float",
        f"/v/{uuid.uuid4()}": "uuid",
        "/v/aa": "any",
        "/v/ab": "len2",
        "/v/abc": "max3",
        "/v/abcd": "string",
        "/v/abcd.json": "json",
        "/v/a/b": "path",
        "/v/abcd/": "path",
    }
    for path, name in expected.items():
        assert endpoint(url_map, path) == name, path


def test_backtracking_past_a_failing_subtree() -> None:
    url_map = Map(
        [
            Rule("/<int:id>/edit", endpoint="int_edit"),
            Rule("/<name>/view", endpoint="name_view"),
            Rule("/users/<int:id>", endpoint="user"),
            Rule("/<name>/<int:id>", endpoint="named"),
        ]
    )
    assert endpoint(url_map, "/12/view") == "name_view"
    assert endpoint(url_map, "/12/edit") == "int_edit"
    with pytest.raises(NotFound):
        url_map.match("/users/bob", "GET")
    assert url_map.match("/users/12", "GET")[0].endpoint == "user"
    assert url_map.match("/bob/12", "GET")[1] == {"name": "bob", "id": 12}


def test_validation_error_falls_back() -> None:
    class Even(BaseConverter):
        weight = 10

        def to_python(self, value: str) -> Any:
            if not value.isdigit() or int(value) % 2:
                raise ValidationError()
            return int(value)

    url_map = Map(
        [Rule("/n/<n>", endpoint="any"), Rule("/n/<even:n>", endpoint="even")],
        converters={"even": Even},
    )
    assert url_map.match("/n/4", "GET") == (next(url_map.iter_rules("even")), {"n": 4})
    assert url_map.match("/n/3", "GET")[1] == {"n": "3"}


def test_equal_rules_registration_order() -> None:
    url_map = Map([Rule("/<a>", endpoint="first"), Rule("/<b>", endpoint="second")])
    assert url_map.match("/x", "GET") == (next(url_map.iter_rules("first")), {"a": "x"})


def test_mixed_segments() -> None:
    url_map = Map(
        [
            Rule("/files/<name>.<any(json, xml):ext>", endpoint="typed"),
            Rule("/files/v<int:n>", endpoint="version"),
            Rule("/files/<name>.<int(max=5):n>", endpoint="small"),
            Rule("/files/<name>", endpoint="file"),
        ]
    )
    assert url_map.match("/files/a.json", "GET")[1] == {"name": "a", "ext": "json"}
    assert endpoint(url_map, "/files/a.txt") == "file"
    assert url_map.match("/files/v12", "GET")[1] == {"n": 12}
    assert endpoint(url_map, "/files/vx") == "file"
    assert url_map.match("/files/a.5", "GET")[1] == {"name": "a", "n": 5}
    assert endpoint(url_map, "/files/a.6") == "file"


def test_path_converter_in_the_middle_and_tail_rules() -> None:
    url_map = Map(
        [
            Rule("/repo/<path:name>/edit", endpoint="edit"),
            Rule("/repo/<path:name>", endpoint="view"),
            Rule("/repo/<path:name>/raw/<int:n>", endpoint="raw"),
        ]
    )
    assert url_map.match("/repo/a/b/edit", "GET")[1] == {"name": "a/b"}
    assert endpoint(url_map, "/repo/a/b/edit") == "edit"
    assert endpoint(url_map, "/repo/a/b") == "view"
    assert url_map.match("/repo/a/raw/3", "GET")[1] == {"name": "a", "n": 3}
    assert endpoint(url_map, "/repo/a/raw/x") == "view"


def test_non_isolating_custom_converter() -> None:
    class Pair(BaseConverter):
        regex = r"[^/]+/[^/]+"

        def to_python(self, value: str) -> Any:
            return tuple(value.split("/"))

    url_map = Map(
        [Rule("/p/<pair:p>", endpoint="pair"), Rule("/p/<x>", endpoint="one")],
        converters={"pair": Pair},
    )
    assert url_map.match("/p/a/b", "GET")[1] == {"p": ("a", "b")}
    assert url_map.match("/p/a", "GET")[1] == {"x": "a"}
    with pytest.raises(NotFound):
        url_map.match("/p/a/b/c", "GET")


def test_shared_edges_with_different_names() -> None:
    url_map = Map(
        [
            Rule("/a/<int:x>", endpoint="one"),
            Rule("/a/<int:y>/b", endpoint="two"),
            Rule("/a/<int(min=5):z>/c", endpoint="three"),
        ]
    )
    assert url_map.match("/a/1", "GET")[1] == {"x": 1}
    assert url_map.match("/a/1/b", "GET")[1] == {"y": 1}
    assert url_map.match("/a/7/c", "GET")[1] == {"z": 7}
    with pytest.raises(NotFound):
        url_map.match("/a/1/c", "GET")


@pytest.mark.parametrize("path", ["/users//", "//users/1", "/users/1//", "/users/"])
def test_empty_segments_do_not_match(path: str) -> None:
    url_map = Map([Rule("/users/<int:id>"), Rule("/users/<id>/")])
    with pytest.raises((NotFound, RequestRedirect)):
        url_map.match(path, "GET")


def test_decoded_characters_match_static_text() -> None:
    url_map = Map([Rule("/caf\u00e9/<name>", endpoint="e")])
    assert url_map.match("/caf\u00e9/a b%2F", "GET")[1] == {"name": "a b%2F"}


# -- methods --------------------------------------------------------------------


def test_method_not_allowed_lists_union() -> None:
    url_map = Map(
        [
            Rule("/r", endpoint="get", methods=["GET"]),
            Rule("/r", endpoint="post", methods=["POST", "OPTIONS"]),
            Rule("/<name>", endpoint="put", methods=["PUT"]),
            Rule("/other", endpoint="other", methods=["DELETE"]),
        ]
    )
    with pytest.raises(MethodNotAllowed) as info:
        url_map.match("/r", "PATCH")
    assert info.value.valid_methods == ["GET", "HEAD", "OPTIONS", "POST", "PUT"]
    assert endpoint(url_map, "/r", "HEAD") == "get"
    assert endpoint(url_map, "/r", "PUT") == "put"
    assert url_map.allowed_methods("/r") == {"GET", "HEAD", "OPTIONS", "POST", "PUT"}
    assert url_map.allowed_methods("/nothing/here") == set()
    assert url_map.allowed_methods("r") == set()


def test_method_mismatch_continues_to_lower_priority_rule() -> None:
    url_map = Map(
        [
            Rule("/u/<int:id>", endpoint="get", methods=["GET"]),
            Rule("/u/<name>", endpoint="post", methods=["POST"]),
        ]
    )
    assert url_map.match("/u/1", "POST") == (
        next(url_map.iter_rules("post")),
        {"name": "1"},
    )
    with pytest.raises(MethodNotAllowed) as info:
        url_map.match("/u/1", "DELETE")
    assert info.value.valid_methods == ["GET", "HEAD", "POST"]


def test_rule_without_methods_accepts_any() -> None:
    url_map = Map([Rule("/a", endpoint="a"), Rule("/b/<x>", endpoint="b")])
    assert endpoint(url_map, "/a", "BREW") == "a"
    assert endpoint(url_map, "/b/1", "BREW") == "b"
    assert url_map.allowed_methods("/a") == set()


# -- slashes --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ("/about", "/about/"),
        ("/users/bob", "/users/bob/"),
        ("/caf\u00e9 x", "/caf%C3%A9%20x/"),
        ("/files/a/b", "/files/a/b/"),
    ],
)
def test_strict_slash_redirect(path: str, target: str) -> None:
    url_map = Map(
        [
            Rule("/about/", endpoint="about"),
            Rule("/users/<name>/", endpoint="user"),
            Rule("/caf\u00e9 x/", endpoint="cafe"),
            Rule("/files/<path:p>/", endpoint="files"),
        ]
    )
    with pytest.raises(RequestRedirect) as info:
        url_map.match(path, "GET")
    assert info.value.new_url == target
    assert info.value.code == 308


@pytest.mark.parametrize(
    "other",
    ["/<page>", "/<path:p>", "/<int:n>", "/<page>.<ext>", "/<any(about, x):w>"],
)
def test_static_slash_redirect_wins_over_converters(other: str) -> None:
    # NOTE: as Werkzeug's router: at the point where the path runs out, a strict-slash
    # rule one "/" further on answers before any converter branch is tried.
    for rules in (
        [Rule("/about/", endpoint="slash"), Rule(other, endpoint="other")],
        [Rule(other, endpoint="other"), Rule("/about/", endpoint="slash")],
    ):
        url_map = Map(rules)
        with pytest.raises(RequestRedirect) as info:
            url_map.match("/about", "GET")
        assert info.value.new_url == "/about/"


def test_slash_redirect_of_dynamic_rule_in_priority_order() -> None:
    url_map = Map(
        [
            Rule("/<path:p>", endpoint="catch"),
            Rule("/users/<name>/", endpoint="user"),
            Rule("/users/<int:id>", endpoint="id"),
            Rule("/a/b/", endpoint="ab"),
            Rule("/a/<x>", endpoint="ax"),
        ]
    )
    with pytest.raises(RequestRedirect) as info:
        url_map.match("/users/bob", "GET")
    assert info.value.new_url == "/users/bob/"
    # An int rule weighs less than a string one, so it is tried (and matches) first.
    assert endpoint(url_map, "/users/7") == "id"
    with pytest.raises(RequestRedirect):
        url_map.match("/a/b", "GET")
    assert endpoint(url_map, "/a/c") == "ax"
    assert endpoint(url_map, "/users/bob/x") == "catch"


def test_exact_rule_still_beats_slash_redirect() -> None:
    url_map = Map([Rule("/about/", endpoint="slash"), Rule("/about", endpoint="bare")])
    assert endpoint(url_map, "/about") == "bare"
    url_map = Map(
        [Rule("/u/<name>/", endpoint="slash"), Rule("/u/<name>", endpoint="bare")]
    )
    assert endpoint(url_map, "/u/x") == "bare"


def test_slash_redirect_only_for_the_method_and_domain_it_serves() -> None:
    url_map = Map(
        [
            Rule("/post/", endpoint="post", methods=["POST"]),
            Rule("/<path:p>", endpoint="catch"),
            Rule("/sub/", endpoint="sub", subdomain="api"),
        ]
    )
    assert endpoint(url_map, "/post") == "catch"
    with pytest.raises(RequestRedirect):
        url_map.match("/post", "POST")
    assert endpoint(url_map, "/sub") == "catch"
    with pytest.raises(RequestRedirect):
        url_map.match("/sub", "GET", "api")
    assert url_map.allowed_methods("/post") == set()


def test_no_redirect_for_other_method_or_non_slash_rule() -> None:
    url_map = Map(
        [
            Rule("/post/", endpoint="post", methods=["POST"]),
            Rule("/files/<path:p>", endpoint="files"),
        ]
    )
    with pytest.raises(NotFound):
        url_map.match("/post", "GET")
    with pytest.raises(RequestRedirect):
        url_map.match("/post", "POST")


def test_no_redirect_from_a_path_that_already_ends_in_slash() -> None:
    url_map = Map([Rule("/a//", endpoint="a")])
    with pytest.raises(NotFound):
        url_map.match("/a/", "GET")


def test_trailing_slash_is_not_ignored_for_rules_without_one() -> None:
    url_map = Map([Rule("/about", endpoint="about"), Rule("/u/<int:id>", endpoint="u")])
    for path in ("/about/", "/u/1/"):
        with pytest.raises(NotFound):
            url_map.match(path, "GET")


def test_non_strict_slashes_match_both() -> None:
    url_map = Map(
        [
            Rule("/a/", endpoint="a", strict_slashes=False),
            Rule("/b", endpoint="b", strict_slashes=False),
            Rule("/c/<int:n>/", endpoint="c", strict_slashes=False),
            Rule("/d/<int:n>", endpoint="d", strict_slashes=False),
            Rule("/", endpoint="root", strict_slashes=False),
        ]
    )
    for path in ("/a", "/a/", "/b", "/b/"):
        assert endpoint(url_map, path) == path[1]
    for path in ("/c/1", "/c/1/", "/d/1", "/d/1/"):
        assert url_map.match(path, "GET")[1] == {"n": 1}
    assert endpoint(url_map, "/") == "root"


def test_map_wide_non_strict_slashes() -> None:
    url_map = Map([Rule("/a/", endpoint="a")], strict_slashes=False)
    assert endpoint(url_map, "/a") == "a"


def test_exact_rule_beats_non_strict_alias() -> None:
    url_map = Map(
        [
            Rule("/a", endpoint="loose", strict_slashes=False),
            Rule("/a/", endpoint="exact"),
        ]
    )
    assert endpoint(url_map, "/a/") == "exact"
    assert endpoint(url_map, "/a") == "loose"


# -- redirect_to, defaults --------------------------------------------------------


def test_redirect_to_string_and_callable() -> None:
    def target(**values: Any) -> str:
        return f"/people/{values['name']}?tab={values['tab']}"

    url_map = Map(
        [
            Rule("/old/<int:id>/<name>", redirect_to="/new/<int:id>/<name>"),
            Rule("/u/<name>", redirect_to=target, defaults={"tab": "x"}),
            Rule(
                "/static-old",
                redirect_to="https://example.com/<tab>",
                defaults={"tab": "a b"},
            ),
        ]
    )
    with pytest.raises(RequestRedirect) as info:
        url_map.match("/old/7/a b", "GET")
    assert info.value.new_url == "/new/7/a%20b"
    with pytest.raises(RequestRedirect) as info:
        url_map.match("/u/bob", "GET")
    assert info.value.new_url == "/people/bob?tab=x"
    with pytest.raises(RequestRedirect) as info:
        url_map.match("/static-old", "GET")
    assert info.value.new_url == "https://example.com/a%20b"


def test_redirect_to_found_by_the_full_search() -> None:
    url_map = Map(
        [
            Rule("/o/<int:id>", endpoint="int", methods=["POST"]),
            Rule("/o/<name>", redirect_to="/n/<name>"),
        ]
    )
    with pytest.raises(RequestRedirect) as info:
        url_map.match("/o/1", "GET")
    assert info.value.new_url == "/n/1"


def test_defaults_are_added() -> None:
    url_map = Map(
        [
            Rule("/users/", endpoint="users", defaults={"page": 1}),
            Rule("/users/page/<int:page>", endpoint="users"),
            Rule("/x/<int:page>", endpoint="x", defaults={"page": 5, "k": "v"}),
        ]
    )
    assert url_map.match("/users/", "GET")[1] == {"page": 1}
    assert url_map.match("/users/page/1", "GET")[1] == {"page": 1}
    assert url_map.match("/x/2", "GET")[1] == {"page": 2, "k": "v"}


# -- websocket, domains -------------------------------------------------------------


def test_websocket_rules_only_match_websocket_requests() -> None:
    url_map = Map(
        [
            Rule("/ws", endpoint="ws", websocket=True),
            Rule("/both", endpoint="http"),
            Rule("/both", endpoint="ws2", websocket=True),
        ]
    )
    assert endpoint(url_map, "/ws", websocket=True) == "ws"
    with pytest.raises(NotFound):
        url_map.match("/ws", "GET")
    assert endpoint(url_map, "/both") == "http"
    assert endpoint(url_map, "/both", websocket=True) == "ws2"
    with pytest.raises(NotFound):
        Map([Rule("/h")]).match("/h", "GET", websocket=True)


def test_subdomain_matching() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="main"),
            Rule("/", endpoint="api", subdomain="api"),
            Rule("/", endpoint="user", subdomain="<user>"),
            Rule("/p/<int:id>", endpoint="user_p", subdomain="<user>"),
            Rule("/p/<int:id>", endpoint="p"),
        ]
    )
    assert endpoint(url_map, "/") == "main"
    assert endpoint(url_map, "/", domain="api") == "api"
    assert url_map.match("/", "GET", "bob") == (
        next(url_map.iter_rules("user")),
        {"user": "bob"},
    )
    assert url_map.match("/p/1", "GET", "bob")[1] == {"user": "bob", "id": 1}
    assert url_map.match("/p/1", "GET")[1] == {"id": 1}


def test_host_matching() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="static_host", host="example.com"),
            Rule("/", endpoint="user", host="<user>.example.com"),
            Rule("/n/<int:id>", endpoint="n", host="<int:shard>.db.example.com"),
            Rule("/nohost", endpoint="nohost"),
        ],
        host_matching=True,
    )
    assert endpoint(url_map, "/", domain="example.com") == "static_host"
    assert url_map.match("/", "GET", "bob.example.com")[1] == {"user": "bob"}
    assert url_map.match("/n/3", "GET", "7.db.example.com")[1] == {"shard": 7, "id": 3}
    with pytest.raises(NotFound):
        url_map.match("/n/3", "GET", "x.db.example.com")
    with pytest.raises(NotFound):
        url_map.match("/", "GET", "other.org")
    assert endpoint(url_map, "/nohost", domain="") == "nohost"
    with pytest.raises(NotFound):
        url_map.match("/nohost", "GET", "example.com")


def test_domain_mismatch_is_not_a_405() -> None:
    url_map = Map([Rule("/a", subdomain="api", methods=["POST"])])
    with pytest.raises(NotFound):
        url_map.match("/a", "GET")


def test_iter_rules() -> None:
    rules = [
        Rule("/a", endpoint="a"),
        Rule("/b", endpoint="b"),
        Rule("/c", endpoint="a"),
    ]
    url_map = Map(rules)
    assert list(url_map.iter_rules()) == rules
    assert list(url_map.iter_rules("a")) == [rules[0], rules[2]]
    assert url_map.host_matching is False
