"""Map.build: rule choice, encoding, query strings, BuildError messages."""

from __future__ import annotations

import pytest

from carboy.routing import BuildError, Map, RoutingException, Rule


def make_map(**kw: bool) -> Map:
    return Map(
        [
            Rule("/", endpoint="index"),
            Rule("/users/", endpoint="users", defaults={"page": 1}),
            Rule("/users/page/<int:page>", endpoint="users"),
            Rule("/users/<int:id>", endpoint="user", methods=["GET"]),
            Rule("/users/<int:id>", endpoint="user_edit", methods=["POST", "PUT"]),
            Rule("/files/<path:p>", endpoint="files"),
            Rule("/ws", endpoint="live", websocket=True),
            Rule("/poll", endpoint="live"),
            Rule("/caf\u00e9 bar/<name>", endpoint="cafe"),
            Rule("/a/<x>", endpoint="pair"),
            Rule("/a/<x>/<y>", endpoint="pair"),
        ],
        **kw,
    )


@pytest.mark.parametrize(
    ("endpoint", "values", "url"),
    [
        ("index", {}, "/"),
        ("users", {}, "/users/"),
        ("users", {"page": 1}, "/users/"),
        ("users", {"page": 2}, "/users/page/2"),
        ("user", {"id": 5}, "/users/5"),
        ("user", {"id": 5, "tab": "a b", "q": "x&y"}, "/users/5?tab=a+b&q=x%26y"),
        ("user", {"id": 5, "tag": ["a", None, "b"], "n": None}, "/users/5?tag=a&tag=b"),
        ("user", {"id": 5, "t": ("x",), "z": 1}, "/users/5?t=x&z=1"),
        ("user", {"id": 5, "next": "/a:b@c?d"}, "/users/5?next=/a:b@c?d"),
        ("user", {"id": None, "x": 1}, None),
        ("files", {"p": "a/b c/d.txt"}, "/files/a/b%20c/d.txt"),
        ("cafe", {"name": "x/y"}, "/caf%C3%A9%20bar/x%2Fy"),
        ("pair", {"x": 1}, "/a/1"),
        ("pair", {"x": 1, "y": 2}, "/a/1/2"),
        ("users", {"page": 1, "sort": "name"}, "/users/?sort=name"),
    ],
)
def test_build(endpoint: str, values: dict[str, object], url: str | None) -> None:
    url_map = make_map()
    if url is None:
        with pytest.raises(BuildError):
            url_map.build(endpoint, values)
    else:
        assert url_map.build(endpoint, values) == ("", url)


def test_append_unknown_false() -> None:
    assert make_map().build("user", {"id": 1, "x": 2}, append_unknown=False) == (
        "",
        "/users/1",
    )


def test_build_by_method_and_websocket() -> None:
    url_map = make_map()
    assert url_map.build("user", {"id": 1}, "GET") == ("", "/users/1")
    assert url_map.build("user_edit", {"id": 1}, "PUT") == ("", "/users/1")
    assert url_map.build("live", {}) == ("", "/ws")
    assert url_map.build("live", {}, websocket=False) == ("", "/poll")
    assert url_map.build("live", {}, websocket=True) == ("", "/ws")
    assert url_map.build("files", {"p": "x"}, "DELETE") == ("", "/files/x")


def test_build_error_unknown_endpoint_suggests() -> None:
    with pytest.raises(BuildError) as info:
        make_map().build("usr", {"id": 1})
    error = info.value
    assert isinstance(error, LookupError) and isinstance(error, RoutingException)
    assert (error.endpoint, error.values, error.method) == ("usr", {"id": 1}, None)
    assert str(error) == (
        "Could not build a URL for endpoint 'usr'. Did you mean 'user' or 'users'?"
    )
    with pytest.raises(BuildError, match="No rule has this endpoint"):
        make_map().build("zzzzzz", {})


def test_build_error_missing_arguments() -> None:
    with pytest.raises(BuildError) as info:
        make_map().build("user", {"name": "x"})
    assert str(info.value) == (
        "Could not build a URL for endpoint 'user'. Missing values for 'id'."
    )
    url_map = Map([Rule("/<a>/<b>/<c>", endpoint="e"), Rule("/<a>/<d>", endpoint="e")])
    with pytest.raises(BuildError, match="Missing values for 'd'.$"):
        url_map.build("e", {"a": 1})


def test_build_error_method() -> None:
    with pytest.raises(BuildError) as info:
        make_map().build("user", {"id": 1}, "DELETE")
    assert str(info.value) == (
        "Could not build a URL for endpoint 'user' with method 'DELETE'. "
        "The endpoint allows only GET, HEAD."
    )


def test_build_error_websocket() -> None:
    url_map = Map(
        [Rule("/ws", endpoint="ws", websocket=True), Rule("/h", endpoint="h")]
    )
    with pytest.raises(BuildError, match="only has websocket rules"):
        url_map.build("ws", {}, websocket=False)
    with pytest.raises(BuildError, match="only has HTTP rules"):
        url_map.build("h", {}, websocket=True)


def test_build_error_contradicted_defaults() -> None:
    url_map = Map([Rule("/x/", endpoint="x", defaults={"lang": "en"})])
    assert url_map.build("x", {"lang": "en"}) == ("", "/x/")
    with pytest.raises(BuildError, match="values for 'lang' differ from the defaults"):
        url_map.build("x", {"lang": "fr"})


def test_build_domain_part() -> None:
    url_map = Map(
        [
            Rule("/", endpoint="user", subdomain="<user>"),
            Rule("/api", endpoint="api", subdomain="api"),
        ]
    )
    assert url_map.build("user", {"user": "bob"}) == ("bob", "/")
    assert url_map.build("api", {}) == ("api", "/api")
    hosts = Map(
        [
            Rule("/n/<int:id>", endpoint="n", host="<int:shard>.db.example.com"),
            Rule("/", endpoint="plain"),
        ],
        host_matching=True,
    )
    assert hosts.build("n", {"shard": 3, "id": 4}) == ("3.db.example.com", "/n/4")
    assert hosts.build("plain", {}) == ("", "/")


def test_build_uses_argument_defaults() -> None:
    url_map = Map([Rule("/p/<int:n>", endpoint="p", defaults={"n": 1})])
    assert url_map.build("p", {}) == ("", "/p/1")
    assert url_map.build("p", {"n": 3}) == ("", "/p/3")


def test_build_error_without_reason() -> None:
    error = BuildError("e", {}, "GET")
    assert str(error) == "Could not build a URL for endpoint 'e' with method 'GET'."


def test_is_endpoint_expecting() -> None:
    url_map = Map(
        [Rule("/<lang>/page", endpoint="page"), Rule("/other", endpoint="other")]
    )
    assert url_map.is_endpoint_expecting("page", "lang")
    assert not url_map.is_endpoint_expecting("page", "lang", "id")
    assert not url_map.is_endpoint_expecting("other", "lang")
    assert not url_map.is_endpoint_expecting("missing", "lang")
