"""``url_for``: parameters, query values, external URLs, hooks and build errors."""

from __future__ import annotations

from typing import Any

import pytest

from carboy import Carboy, g, url_for
from carboy.routing import BuildError
from carboy.testing import CarboyClient


@pytest.fixture
def routed(app: Carboy) -> Carboy:
    @app.get("/")
    def index() -> str:
        return "index"

    @app.get("/users/<int:id>")
    def user(id: int) -> str:
        return url_for("user", id=id + 1)

    @app.route("/items/<path:name>", methods=["GET", "POST"])
    def item(name: str) -> str:
        return ""

    @app.post("/submit")
    def submit() -> str:
        return ""

    return app


def test_params_and_query(routed: Carboy) -> None:
    with routed.test_request_context():
        assert url_for("index") == "/"
        assert url_for("user", id=5) == "/users/5"
        assert url_for("user", id=5, tab="posts") == "/users/5?tab=posts"
        assert url_for("user", id=5, q=["a", "b"]) == "/users/5?q=a&q=b"
        assert url_for("item", name="a/b c") == "/items/a/b%20c"
        assert url_for("index", q="a&b=c d") == "/?q=a%26b%3Dc+d"
        assert url_for("index", skip=None) == "/"


def test_anchor(routed: Carboy) -> None:
    with routed.test_request_context():
        assert url_for("index", _anchor="top") == "/#top"
        assert url_for("index", _anchor="a b") == "/#a%20b"
        assert url_for("user", id=1, x=1, _anchor="s") == "/users/1?x=1#s"


def test_external_and_scheme(routed: Carboy) -> None:
    with routed.test_request_context(base_url="http://example.test:8080/"):
        assert (
            url_for("user", id=1, _external=True) == "http://example.test:8080/users/1"
        )
        assert url_for("index", _scheme="https", _external=True) == (
            "https://example.test:8080/"
        )
        with pytest.raises(ValueError, match="_external"):
            url_for("index", _scheme="https", _external=False)


def test_method(routed: Carboy) -> None:
    with routed.test_request_context():
        assert url_for("item", name="x", _method="POST") == "/items/x"
        with pytest.raises(BuildError) as info:
            url_for("submit", _method="GET")
        assert "GET" in str(info.value)


def test_build_error_messages(routed: Carboy) -> None:
    with routed.test_request_context():
        with pytest.raises(BuildError) as info:
            url_for("usr", id=1)
        message = str(info.value)
        assert "usr" in message
        assert "user" in message  # a close name is suggested
        with pytest.raises(BuildError) as info:
            url_for("user")
        assert "id" in str(info.value)
    assert issubclass(BuildError, LookupError)


def test_build_error_in_view_is_500(routed: Carboy, protocol: str) -> None:
    routed.config["PROPAGATE_EXCEPTIONS"] = False

    @routed.get("/broken")
    def broken() -> str:
        return url_for("nowhere")

    assert routed.test_client(protocol=protocol).get("/broken").status_code == 500


def test_url_for_in_view(routed: Carboy, client: CarboyClient) -> None:
    assert client.get("/users/1").data == b"/users/2"


def test_url_for_under_script_root(routed: Carboy) -> None:
    with routed.test_request_context(base_url="http://example.test/app/"):
        assert url_for("user", id=1) == "/app/users/1"
        assert url_for("user", id=1, _external=True) == (
            "http://example.test/app/users/1"
        )


def test_outside_request_with_server_name(routed: Carboy) -> None:
    routed.config.update(
        SERVER_NAME="example.test",
        APPLICATION_ROOT="/root",
        PREFERRED_URL_SCHEME="https",
    )
    with routed.app_context():
        assert url_for("user", id=1) == "https://example.test/root/users/1"
        assert url_for("user", id=1, _external=False) == "/root/users/1"


def test_outside_request_without_server_name(routed: Carboy) -> None:
    with routed.app_context():
        with pytest.raises(RuntimeError, match="SERVER_NAME"):
            url_for("index")
        assert url_for("index", _external=False) == "/"


def test_outside_any_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        url_for("index")


def test_url_defaults_and_value_preprocessor(app: Carboy, client: CarboyClient) -> None:
    @app.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        if "lang" in values or not g.get("lang"):
            return
        if app.url_map.is_endpoint_expecting(endpoint, "lang"):
            values["lang"] = g.lang

    @app.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        g.lang = values.pop("lang", None) if values else None

    @app.get("/<lang>/about")
    def about() -> str:
        return url_for("about")

    @app.get("/<lang>/")
    def home() -> str:
        return url_for("about")

    assert client.get("/de/").data == b"/de/about"
    assert client.get("/fr/about").data == b"/fr/about"
    assert not app.url_map.is_endpoint_expecting("about", "lang", "other")
    assert not app.url_map.is_endpoint_expecting("unknown", "lang")


def test_url_defaults_simple(app: Carboy) -> None:
    @app.get("/p/<int:page>")
    def page(page: int) -> str:
        return ""

    @app.url_defaults
    def default_page(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("page", 1)

    with app.test_request_context():
        assert url_for("page") == "/p/1"
        assert url_for("page", page=3) == "/p/3"


def test_url_build_error_handler(routed: Carboy) -> None:
    def handler(error: Exception, endpoint: str, values: dict[str, Any]) -> str:
        return f"/fallback/{endpoint}"

    routed.url_build_error_handlers.append(handler)
    with routed.test_request_context():
        assert url_for("missing") == "/fallback/missing"


def test_defaults_are_used_to_pick_rule(app: Carboy) -> None:
    @app.get("/page/", defaults={"n": 1})
    @app.get("/page/<int:n>")
    def page(n: int) -> str:
        return ""

    with app.test_request_context():
        assert url_for("page", n=1) == "/page/"
        assert url_for("page", n=2) == "/page/2"


@pytest.mark.parametrize("name", ["self", "endpoint", "values"])
def test_any_keyword_is_a_url_value(
    app: Carboy, client: CarboyClient, name: str
) -> None:
    # The endpoint is positional-only, so no keyword name is taken by the signature.
    @app.get(f"/by/<{name}>")
    def by(**kwargs: str) -> str:
        return (
            url_for("by", **{name: kwargs[name] + "x"})
            + " "
            + url_for("by", **{name: "q"}, other="1")
        )

    assert client.get("/by/a").data == b"/by/ax /by/q?other=1"
    with app.test_request_context():
        assert app.url_for("by", **{name: "v"}) == "/by/v"
        assert url_for("by", **{name: "v"}) == "/by/v"


def test_self_as_a_query_value(routed: Carboy) -> None:
    with routed.test_request_context():
        assert url_for("index", self="me") == "/?self=me"
        assert routed.url_for("index", self="me", endpoint="e") == (
            "/?self=me&endpoint=e"
        )
