"""The application object: constructor, attributes, routing and return values."""

from __future__ import annotations

import logging
import os

import pytest

from carboy import Carboy, Response, make_response
from carboy.routing.converters import BaseConverter
from carboy.testing import CarboyClient

# -- constructor and attributes ---------------------------------------------------------


def test_name_and_import_name() -> None:
    app = Carboy("my.pkg")
    assert app.name == "my.pkg"
    assert app.import_name == "my.pkg"
    assert repr(app) == "<Carboy 'my.pkg'>"


def test_name_for_main_uses_script_name(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    monkeypatch.setattr(sys.modules["__main__"], "__file__", "/x/y/serve.py")
    assert Carboy("__main__").name == "serve"


def test_constructor_paths(tmp_path: os.PathLike[str]) -> None:
    app = Carboy(
        "x",
        root_path=str(tmp_path),
        instance_path=os.path.join(str(tmp_path), "inst"),
        static_folder="assets",
        static_url_path="/s",
        template_folder="tmpl",
    )
    assert app.root_path == str(tmp_path)
    assert app.instance_path == os.path.join(str(tmp_path), "inst")
    assert app.static_folder == os.path.join(str(tmp_path), "assets")
    assert app.static_url_path == "/s"
    assert app.template_folder == "tmpl"
    assert [r.rule for r in app.url_map.iter_rules("static")] == ["/s/<path:filename>"]


def test_instance_path_must_be_absolute() -> None:
    with pytest.raises(ValueError, match="absolute"):
        Carboy("x", instance_path="relative")


def test_instance_relative_config(tmp_path: os.PathLike[str]) -> None:
    inst = os.path.join(str(tmp_path), "instance")
    app = Carboy("x", instance_path=inst, instance_relative_config=True)
    assert app.config.root_path == inst


def test_no_static_folder() -> None:
    app = Carboy("x", static_folder=None)
    assert app.static_folder is None
    assert list(app.url_map.iter_rules()) == []


def test_static_default_route() -> None:
    app = Carboy("x")
    (rule,) = app.url_map.iter_rules("static")
    assert rule.rule == "/static/<path:filename>"


def test_config_defaults_and_attributes() -> None:
    app = Carboy("x")
    assert app.config["TESTING"] is False
    assert app.testing is False
    app.testing = True
    assert app.config["TESTING"] is True
    assert app.secret_key is None
    app.secret_key = "s3"
    assert app.config["SECRET_KEY"] == "s3"
    app.debug = True
    assert app.config["DEBUG"] is True and app.debug is True
    app.config["DEBUG"] = False
    assert app.debug is False


def test_debug_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CARBOY_DEBUG", "1")
    assert Carboy("x").debug is True
    monkeypatch.setenv("CARBOY_DEBUG", "0")
    assert Carboy("x").debug is False


def test_logger_named_after_app() -> None:
    app = Carboy("carboy_test_logger_app")
    assert isinstance(app.logger, logging.Logger)
    assert app.logger.name == "carboy_test_logger_app"
    assert app.logger is app.logger


def test_propagate_exceptions_follows_testing_and_debug() -> None:
    app = Carboy("x")
    assert app.propagate_exceptions is False
    app.testing = True
    assert app.propagate_exceptions is True
    app.config["PROPAGATE_EXCEPTIONS"] = False
    assert app.propagate_exceptions is False


# -- routes -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_method_decorators(app: Carboy, protocol: str, method: str) -> None:
    @getattr(app, method)("/r")
    def r() -> str:
        return method

    client = app.test_client(protocol=protocol)
    rv = getattr(client, method)("/r")
    assert rv.status_code == 200
    assert rv.data == method.encode()
    other = "post" if method == "get" else "get"
    assert getattr(client, other)("/r").status_code == 405


def test_method_decorator_rejects_methods(app: Carboy) -> None:
    with pytest.raises(TypeError, match="route"):
        app.get("/", methods=["POST"])


def test_methods_must_not_be_a_string(app: Carboy) -> None:
    with pytest.raises(TypeError, match="list of strings"):
        app.route("/", methods="POST")(lambda: "x")


def test_route_methods(app: Carboy, client: CarboyClient) -> None:
    @app.route("/", methods=["get", "POST"])
    def index() -> str:
        from carboy import request

        return request.method

    assert client.get("/").data == b"GET"
    assert client.post("/").data == b"POST"
    rv = client.put("/")
    assert rv.status_code == 405
    allow = {m.strip() for m in rv.headers["Allow"].split(",")}
    assert allow == {"GET", "HEAD", "POST", "OPTIONS"}


def test_add_url_rule_and_view_functions(app: Carboy, client: CarboyClient) -> None:
    def hello() -> str:
        return "hi"

    app.add_url_rule("/hello", "greet", hello, methods=["GET"])
    assert app.view_functions["greet"] is hello
    assert client.get("/hello").data == b"hi"


def test_add_url_rule_endpoint_defaults_to_function_name(app: Carboy) -> None:
    def hello() -> str:
        return "hi"

    app.add_url_rule("/hello", view_func=hello)
    assert app.view_functions["hello"] is hello


def test_endpoint_decorator(app: Carboy, client: CarboyClient) -> None:
    app.add_url_rule("/e", "named")

    @app.endpoint("named")
    def named() -> str:
        return "from endpoint"

    assert client.get("/e").data == b"from endpoint"


def test_duplicate_endpoint_different_function(app: Carboy) -> None:
    @app.get("/a")
    def view() -> str:
        return "a"

    def other() -> str:
        return "b"

    with pytest.raises(AssertionError, match="overwriting an existing endpoint"):
        app.add_url_rule("/b", "view", other)


def test_same_function_two_rules(app: Carboy, client: CarboyClient) -> None:
    def view() -> str:
        return "v"

    app.add_url_rule("/a", view_func=view)
    app.add_url_rule("/b", view_func=view)
    assert client.get("/a").data == client.get("/b").data == b"v"


def test_iter_rules_attributes(app: Carboy) -> None:
    @app.route("/u/<int:id>/<name>", methods=["POST"])
    def user(id: int, name: str) -> str:
        return ""

    (rule,) = app.url_map.iter_rules("user")
    assert rule.rule == "/u/<int:id>/<name>"
    assert rule.endpoint == "user"
    assert rule.methods == {"POST", "OPTIONS"}
    assert rule.arguments == {"id", "name"}
    rules = {r.endpoint for r in app.url_map.iter_rules()}
    assert rules == {"static", "user"}


def test_defaults(app: Carboy, client: CarboyClient) -> None:
    @app.get("/page/", defaults={"n": 1})
    @app.get("/page/<int:n>")
    def page(n: int) -> str:
        return f"page {n}"

    assert client.get("/page/").data == b"page 1"
    assert client.get("/page/7").data == b"page 7"


def test_converters(app: Carboy, client: CarboyClient) -> None:
    import uuid

    @app.get("/i/<int:v>")
    def i(v: int) -> str:
        return repr(v)

    @app.get("/f/<float:v>")
    def f(v: float) -> str:
        return repr(v)

    @app.get("/p/<path:v>")
    def p(v: str) -> str:
        return v

    @app.get("/u/<uuid:v>")
    def u(v: uuid.UUID) -> str:
        return type(v).__name__

    @app.get("/a/<any(x, y):v>")
    def a(v: str) -> str:
        return v

    assert client.get("/i/42").data == b"42"
    assert client.get("/i/x").status_code == 404
    assert client.get("/f/1.5").data == b"1.5"
    assert client.get("/p/a/b/c").data == b"a/b/c"
    assert client.get(f"/u/{uuid.uuid4()}").data == b"UUID"
    assert client.get("/u/nope").status_code == 404
    assert client.get("/a/y").data == b"y"
    assert client.get("/a/z").status_code == 404


def test_custom_converter(app: Carboy, client: CarboyClient) -> None:
    class ListConverter(BaseConverter):
        def to_python(self, value: str) -> list[str]:
            return value.split(",")

        def to_url(self, value: list[str]) -> str:
            return ",".join(value)

    app.url_map.converters["list"] = ListConverter

    @app.get("/l/<list:items>")
    def items(items: list[str]) -> dict[str, list[str]]:
        from carboy import url_for

        return {"items": items, "url": url_for("items", items=["p", "q"])}  # type: ignore[dict-item]

    rv = client.get("/l/a,b,c")
    assert rv.json == {"items": ["a", "b", "c"], "url": "/l/p,q"}


def test_static_beats_dynamic(app: Carboy, client: CarboyClient) -> None:
    @app.get("/users/<name>")
    def user(name: str) -> str:
        return f"user {name}"

    @app.get("/users/me")
    def me() -> str:
        return "me"

    assert client.get("/users/me").data == b"me"
    assert client.get("/users/bob").data == b"user bob"


def test_trailing_slash_redirect(app: Carboy, client: CarboyClient) -> None:
    @app.get("/dir/")
    def d() -> str:
        return "dir"

    rv = client.get("/dir?x=1")
    assert rv.status_code == 308
    location = rv.headers["Location"]
    assert not location.startswith(("http:", "https:", "//"))
    assert location in {"./dir/?x=1", "/dir/?x=1", "dir/?x=1"}
    followed = client.get("/dir?x=1", follow_redirects=True)
    assert followed.data == b"dir"
    assert followed.request is not None
    assert followed.request.path == "/dir/"
    assert followed.request.args["x"] == "1"


def test_strict_slashes_false(app: Carboy, client: CarboyClient) -> None:
    @app.get("/loose/", strict_slashes=False)
    def loose() -> str:
        return "loose"

    assert client.get("/loose").data == b"loose"
    assert client.get("/loose/").data == b"loose"


def test_no_slash_rule_with_slash_is_404(app: Carboy, client: CarboyClient) -> None:
    @app.get("/file")
    def file() -> str:
        return "file"

    assert client.get("/file/").status_code == 404


def test_redirect_to(app: Carboy, client: CarboyClient) -> None:
    @app.get("/new/<int:id>")
    def new(id: int) -> str:
        return f"new {id}"

    app.add_url_rule("/old/<int:id>", "old", redirect_to="/new/<id>")
    rv = client.get("/old/3")
    assert rv.status_code == 308
    assert client.get("/old/3", follow_redirects=True).data == b"new 3"


def test_404_and_405(app: Carboy, client: CarboyClient) -> None:
    @app.post("/only-post")
    def only_post() -> str:
        return "ok"

    rv = client.get("/missing")
    assert rv.status_code == 404
    assert b"Not Found" in rv.data
    rv = client.get("/only-post")
    assert rv.status_code == 405
    assert {m.strip() for m in rv.headers["Allow"].split(",")} == {"POST", "OPTIONS"}


def test_automatic_head(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> Response:
        rv = make_response("hello body")
        rv.headers["X-Custom"] = "yes"
        return rv

    get = client.get("/")
    head = client.head("/")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["X-Custom"] == "yes"
    assert head.headers["Content-Length"] == get.headers["Content-Length"] == "10"
    assert head.headers["Content-Type"] == get.headers["Content-Type"]


def test_automatic_options(app: Carboy, client: CarboyClient) -> None:
    called = []

    @app.route("/", methods=["GET", "POST"])
    def index() -> str:
        called.append(1)
        return "x"

    rv = client.options("/")
    assert rv.status_code == 200
    assert {m.strip() for m in rv.headers["Allow"].split(",")} == {
        "GET",
        "HEAD",
        "OPTIONS",
        "POST",
    }
    assert rv.data == b""
    assert called == []


def test_provide_automatic_options_false(app: Carboy, client: CarboyClient) -> None:
    @app.route("/", methods=["GET"], provide_automatic_options=False)
    def index() -> str:
        return "x"

    assert client.options("/").status_code == 405


def test_explicit_options_view(app: Carboy, client: CarboyClient) -> None:
    @app.route("/", methods=["OPTIONS"])
    def index() -> str:
        return "mine"

    assert client.options("/").data == b"mine"


def test_subdomain_routing(protocol: str) -> None:
    app = Carboy("x", subdomain_matching=True, static_folder=None)
    app.config.update(TESTING=True, SERVER_NAME="example.test")

    @app.get("/", subdomain="<user>")
    def user_home(user: str) -> str:
        return f"home of {user}"

    @app.get("/")
    def index() -> str:
        return "root"

    client = app.test_client(protocol=protocol)
    assert client.get("/", base_url="http://alice.example.test/").data == (
        b"home of alice"
    )
    assert client.get("/", base_url="http://example.test/").data == b"root"
    with app.test_request_context("/", base_url="http://example.test/"):
        from carboy import url_for

        assert url_for("user_home", user="bob") == "http://bob.example.test/"


def test_host_matching(protocol: str) -> None:
    app = Carboy("x", host_matching=True, static_folder=None)
    app.testing = True

    @app.get("/", host="a.test")
    def a() -> str:
        return "a"

    @app.get("/", host="<name>.b.test")
    def b(name: str) -> str:
        return f"b {name}"

    client = app.test_client(protocol=protocol)
    assert client.get("/", base_url="http://a.test/").data == b"a"
    assert client.get("/", base_url="http://x.b.test/").data == b"b x"
    assert client.get("/", base_url="http://c.test/").status_code == 404


def test_static_host_requires_host_matching() -> None:
    with pytest.raises(AssertionError):
        Carboy("x", static_host="static.test")


def test_setup_after_first_request_fails(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return "x"

    client.get("/")
    with pytest.raises(AssertionError, match="first request"):
        app.add_url_rule("/late", "late", index)


# -- return values ------------------------------------------------------------------------


def test_return_str_and_bytes(app: Carboy, client: CarboyClient) -> None:
    @app.get("/s")
    def s() -> str:
        return "Grüße"

    @app.get("/b")
    def b() -> bytes:
        return b"\x00\xff"

    rv = client.get("/s")
    assert rv.data == "Grüße".encode()
    assert rv.headers["Content-Type"] == "text/html; charset=utf-8"
    assert rv.headers["Content-Length"] == str(len("Grüße".encode()))
    assert client.get("/b").data == b"\x00\xff"


def test_return_dict_and_list(app: Carboy, client: CarboyClient) -> None:
    @app.get("/d")
    def d() -> dict[str, int]:
        return {"b": 1, "a": 2}

    @app.get("/l")
    def lst() -> list[int]:
        return [1, 2]

    rv = client.get("/d")
    assert rv.mimetype == "application/json"
    assert rv.json == {"a": 2, "b": 1}
    assert client.get("/l").json == [1, 2]


def test_return_response(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> Response:
        return Response("made", 201, mimetype="text/plain")

    rv = client.get("/")
    assert rv.status_code == 201
    assert rv.data == b"made"
    assert rv.mimetype == "text/plain"


def test_return_generator(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> object:
        def gen() -> object:
            yield "a"
            yield b"b"
            yield "c"

        return gen()

    assert client.get("/").data == b"abc"


@pytest.mark.parametrize(
    ("rv", "status", "header"),
    [
        (("body", 201), 201, None),
        (("body", "202 Accepted"), 202, None),
        (("body", {"X-A": "1"}), 200, "1"),
        (("body", [("X-A", "1")]), 200, "1"),
        (("body", 203, {"X-A": "1"}), 203, "1"),
        (({"k": "v"}, 201), 201, None),
        ((Response("body"), 204, {"X-A": "1"}), 204, "1"),
    ],
)
def test_return_tuples(
    app: Carboy, client: CarboyClient, rv: tuple[object, ...], status: int, header: str
) -> None:
    app.add_url_rule("/", "index", lambda: rv)
    result = client.get("/")
    assert result.status_code == status
    assert result.headers.get("X-A") == header


def test_tuple_headers_are_added_to_response(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> object:
        return "x", 200, {"X-Multi": "1"}

    assert client.get("/").headers["Content-Type"] == "text/html; charset=utf-8"


def test_bad_tuple_length(app: Carboy, client: CarboyClient) -> None:
    app.add_url_rule("/", "index", lambda: ("a", 200, {}, 4))
    with pytest.raises(TypeError, match="valid response tuple"):
        client.get("/")


def test_none_return_names_the_view(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def forgetful_view() -> None:
        return None

    with pytest.raises(TypeError, match="forgetful_view") as info:
        client.get("/")
    assert "None" in str(info.value)


def test_bad_return_type(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def weird() -> object:
        return 42

    with pytest.raises(TypeError, match="int"):
        client.get("/")


def test_none_return_is_500_when_not_testing(protocol: str) -> None:
    app = Carboy("x", static_folder=None)

    @app.get("/")
    def index() -> None:
        return None

    assert app.test_client(protocol=protocol).get("/").status_code == 500


def test_middleware_wraps_the_adapter_itself() -> None:
    """``app.wsgi_app = Middleware(app.wsgi_app)`` keeps the adapter's function, not a
    stub that imports the adapter again on every request."""
    from carboy import app as app_module
    from carboy import asgi, wsgi

    app = Carboy(__name__)
    wrapped_wsgi, wrapped_asgi = app.wsgi_app, app.asgi_app
    assert wrapped_wsgi.__func__ is wsgi.wsgi_app  # type: ignore[attr-defined]
    assert wrapped_asgi.__func__ is asgi.asgi_app  # type: ignore[attr-defined]
    assert app_module.Carboy.__dict__["wsgi_app"] is wsgi.wsgi_app
    assert "wsgi_app" not in app.__dict__
