"""Blueprints: prefixes, names, nesting, scoped hooks, app-wide hooks, static files."""

from __future__ import annotations

import os
from typing import Any

import pytest

from carboy import Blueprint, Carboy, abort, g, request, url_for
from carboy.blueprints import BlueprintSetupState
from carboy.testing import CarboyClient

HERE = os.path.dirname(os.path.abspath(__file__))
BP_ROOT = os.path.join(HERE, "blueprintapp")


def text(client: CarboyClient, path: str, **kwargs: Any) -> str:
    rv = client.get(path, **kwargs)
    assert rv.status_code == 200, (path, rv.status_code, rv.get_data(as_text=True))
    return rv.get_data(as_text=True)


def test_routes_prefix_and_endpoints(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("shop", __name__, url_prefix="/shop")

    @bp.route("/")
    def index() -> str:
        return f"{request.endpoint} {request.blueprint} {url_for('.item', id=3)}"

    @bp.route("/item/<int:id>", methods=["GET", "POST"])
    def item(id: int) -> str:
        return f"item {id} {request.method}"

    @bp.get("/m")
    def m_get() -> str:
        return "get"

    @bp.post("/m")
    def m_post() -> str:
        return "post"

    @bp.put("/m")
    def m_put() -> str:
        return "put"

    @bp.patch("/m")
    def m_patch() -> str:
        return "patch"

    @bp.delete("/m")
    def m_delete() -> str:
        return "delete"

    app.register_blueprint(bp)
    assert text(client, "/shop/") == "shop.index shop /shop/item/3"
    assert client.post("/shop/item/4").get_data(as_text=True) == "item 4 POST"
    for method in ("get", "post", "put", "patch", "delete"):
        rv = getattr(client, method)("/shop/m")
        assert rv.get_data(as_text=True) == method
    assert "shop.item" in app.view_functions
    assert app.blueprints == {"shop": bp}
    with app.test_request_context("/"):
        assert url_for("shop.item", id=1) == "/shop/item/1"


def test_register_options_override(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/default", url_defaults={"lang": "en"})

    @bp.get("/<lang>/page")
    def page(lang: str) -> str:
        return f"{lang} {url_for('.page', lang='fr')}"

    @bp.get("/hello")
    def hello(lang: str) -> str:
        return f"hello {lang}"

    app.register_blueprint(bp, url_prefix="/custom", url_defaults={"lang": "de"})
    assert text(client, "/custom/fr/page") == "fr /custom/fr/page"
    assert text(client, "/custom/hello") == "hello de"
    assert client.get("/default/hello").status_code == 404


def test_same_blueprint_twice_under_two_names(
    app: Carboy, client: CarboyClient
) -> None:
    bp = Blueprint("bp", __name__)
    once: list[str] = []

    @bp.get("/")
    def index() -> str:
        return f"{request.blueprint} {url_for('.index')}"

    bp.record_once(lambda state: once.append(state.name))
    app.register_blueprint(bp, url_prefix="/a")
    app.register_blueprint(bp, url_prefix="/b", name="bp2")
    assert text(client, "/a/") == "bp /a/"
    assert text(client, "/b/") == "bp2 /b/"
    assert once == ["bp"]
    assert app.blueprints == {"bp": bp, "bp2": bp}


def test_same_name_twice_raises(app: Carboy) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(
        ValueError, match="'bp' is already registered for this blueprint"
    ):
        app.register_blueprint(bp)
    other = Blueprint("bp", __name__)
    with pytest.raises(
        ValueError, match="already registered for a different blueprint"
    ):
        app.register_blueprint(other)


@pytest.mark.parametrize("name", ["a.b", ""])
def test_bad_names(name: str) -> None:
    with pytest.raises(ValueError, match="name"):
        Blueprint(name, __name__)


def test_dotted_endpoint_and_register_name(app: Carboy) -> None:
    bp = Blueprint("bp", __name__)
    with pytest.raises(ValueError, match="may not contain a dot"):
        bp.add_url_rule("/", "a.b", lambda: "x")
    with pytest.raises(ValueError, match="may not contain a dot"):
        app.register_blueprint(bp, name="x.y")
    with pytest.raises(ValueError, match="on itself"):
        bp.register_blueprint(bp)


def test_nested_blueprints(app: Carboy, client: CarboyClient) -> None:
    parent = Blueprint("parent", __name__, url_prefix="/parent")
    child = Blueprint("child", __name__, url_prefix="/child")
    grandchild = Blueprint("grandchild", __name__)

    @parent.get("/")
    def p_index() -> str:
        return f"{request.blueprint} {url_for('.p_index')} {url_for('.child.c_index')}"

    @child.get("/")
    def c_index() -> str:
        return (
            f"{request.blueprint} {request.blueprints} {url_for('.c_index')}"
            f" {url_for('parent.p_index')} {url_for('parent.child.grandchild.gc_index')}"
        )

    @grandchild.get("/gc")
    def gc_index() -> str:
        return f"{request.endpoint} {url_for('.gc_index')}"

    child.register_blueprint(grandchild, url_prefix="/grand")
    parent.register_blueprint(child)
    app.register_blueprint(parent, url_prefix="/p")
    assert text(client, "/p/") == "parent /p/ /p/child/"
    assert text(client, "/p/child/") == (
        "parent.child ['parent.child', 'parent'] /p/child/ /p/ /p/child/grand/gc"
    )
    assert text(client, "/p/child/grand/gc") == (
        "parent.child.grandchild.gc_index /p/child/grand/gc"
    )
    assert set(app.blueprints) == {"parent", "parent.child", "parent.child.grandchild"}


def test_nested_blueprint_registered_twice_under_parents(
    app: Carboy, client: CarboyClient
) -> None:
    child = Blueprint("child", __name__)

    @child.get("/c")
    def c() -> str:
        return url_for(".c")

    a = Blueprint("a", __name__, url_prefix="/a")
    b = Blueprint("b", __name__, url_prefix="/b")
    a.register_blueprint(child)
    b.register_blueprint(child)
    app.register_blueprint(a)
    app.register_blueprint(b)
    assert text(client, "/a/c") == "/a/c"
    assert text(client, "/b/c") == "/b/c"


def test_scoped_hooks_order(app: Carboy, client: CarboyClient) -> None:
    calls: list[str] = []
    parent = Blueprint("parent", __name__, url_prefix="/p")
    child = Blueprint("child", __name__, url_prefix="/c")

    def hooks(owner: Any, name: str) -> None:
        @owner.before_request
        def before() -> None:
            calls.append(f"before {name}")

        @owner.after_request
        def after(response: Any) -> Any:
            calls.append(f"after {name}")
            return response

        @owner.teardown_request
        def teardown(exc: BaseException | None) -> None:
            calls.append(f"teardown {name}")

    hooks(app, "app")
    hooks(parent, "parent")
    hooks(child, "child")

    @child.get("/")
    def view() -> str:
        calls.append("view")
        return "ok"

    @app.get("/")
    def root() -> str:
        calls.append("root view")
        return "ok"

    parent.register_blueprint(child)
    app.register_blueprint(parent)
    client.get("/p/c/")
    assert calls == [
        "before app",
        "before parent",
        "before child",
        "view",
        "after child",
        "after parent",
        "after app",
        "teardown child",
        "teardown parent",
        "teardown app",
    ]
    calls.clear()
    client.get("/")
    assert calls == ["before app", "root view", "after app", "teardown app"]
    assert dict(app.before_request_funcs).keys() == {None, "parent", "parent.child"}


def test_scoped_error_handlers(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    child = Blueprint("child", __name__, url_prefix="/child")

    @bp.errorhandler(403)
    def bp_forbidden(e: Exception) -> tuple[str, int]:
        return "bp forbidden", 403

    @bp.errorhandler(KeyError)
    def bp_key(e: Exception) -> tuple[str, int]:
        return "bp key", 400

    @app.errorhandler(403)
    def app_forbidden(e: Exception) -> tuple[str, int]:
        return "app forbidden", 403

    @bp.get("/forbidden")
    def bp_view() -> str:
        abort(403)

    @bp.get("/key")
    def key_view() -> str:
        raise KeyError("x")

    @child.get("/forbidden")
    def child_view() -> str:
        abort(403)

    @app.get("/forbidden")
    def app_view() -> str:
        abort(403)

    bp.register_blueprint(child)
    app.register_blueprint(bp)
    assert client.get("/bp/forbidden").get_data(as_text=True) == "bp forbidden"
    assert client.get("/bp/key").get_data(as_text=True) == "bp key"
    # A nested blueprint falls back to its parent's handler, then the app's.
    assert client.get("/bp/child/forbidden").get_data(as_text=True) == "bp forbidden"
    assert client.get("/forbidden").get_data(as_text=True) == "app forbidden"


def test_scoped_url_processors(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("lang", __name__, url_prefix="/<lang_code>")

    @bp.url_defaults
    def add_lang(endpoint: str, values: dict[str, Any]) -> None:
        values.setdefault("lang_code", g.lang_code)

    @bp.url_value_preprocessor
    def pull_lang(endpoint: str | None, values: dict[str, Any] | None) -> None:
        assert values is not None
        g.lang_code = values.pop("lang_code")

    @bp.get("/about")
    def about() -> str:
        return f"{g.lang_code} {url_for('.about')}"

    @app.get("/plain/<x>")
    def plain(x: str) -> str:
        return f"plain {x} {'lang_code' in g}"

    app.register_blueprint(bp)
    assert text(client, "/fr/about") == "fr /fr/about"
    assert text(client, "/plain/1") == "plain 1 False"


def test_app_wide_hooks_from_blueprint(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    calls: list[str] = []

    @bp.before_app_request
    def before() -> None:
        calls.append("before")

    @bp.after_app_request
    def after(response: Any) -> Any:
        response.headers["X-After"] = "1"
        return response

    @bp.teardown_app_request
    def teardown(exc: BaseException | None) -> None:
        calls.append("teardown")

    @bp.app_errorhandler(404)
    def not_found(e: Exception) -> tuple[str, int]:
        return "custom 404", 404

    @bp.app_url_value_preprocessor
    def preprocess(endpoint: str | None, values: dict[str, Any] | None) -> None:
        calls.append(f"preprocess {endpoint}")

    @bp.app_url_defaults
    def defaults(endpoint: str, values: dict[str, Any]) -> None:
        if endpoint == "item":
            values.setdefault("id", 7)

    @app.get("/item/<int:id>")
    def item(id: int) -> str:
        return url_for("item")

    app.register_blueprint(bp)
    rv = client.get("/item/1")
    assert rv.get_data(as_text=True) == "/item/7"
    assert rv.headers["X-After"] == "1"
    assert calls == ["preprocess item", "before", "teardown"]
    rv = client.get("/nowhere")
    assert (rv.status_code, rv.get_data(as_text=True)) == (404, "custom 404")


def test_record_and_setup_state(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("bp", __name__, url_prefix="/bp")
    states: list[BlueprintSetupState] = []

    @bp.record
    def remember(state: BlueprintSetupState) -> None:
        states.append(state)
        state.add_url_rule("/deferred", "deferred", lambda: "deferred view")

    app.register_blueprint(bp, url_prefix="/x", custom="option")
    app.register_blueprint(bp, name="again")
    first, second = states
    assert first.app is app and first.blueprint is bp
    assert first.first_registration and not second.first_registration
    assert first.options == {"url_prefix": "/x", "custom": "option"}
    assert (first.url_prefix, second.url_prefix) == ("/x", "/bp")
    assert text(client, "/x/deferred") == "deferred view"
    assert "again.deferred" in app.view_functions


def test_endpoint_decorator(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint("bp", __name__)
    bp.add_url_rule("/e", "named")

    @bp.endpoint("named")
    def named() -> str:
        return "by endpoint"

    app.register_blueprint(bp)
    assert text(client, "/e") == "by endpoint"


def test_setup_after_registration_is_refused(app: Carboy) -> None:
    bp = Blueprint("bp", __name__)
    app.register_blueprint(bp)
    with pytest.raises(AssertionError, match="blueprint 'bp'.*already been registered"):
        bp.get("/late")(lambda: "x")
    with pytest.raises(AssertionError, match="already been registered"):
        bp.before_request(lambda: None)


def test_register_after_first_request_is_refused(
    app: Carboy, client: CarboyClient
) -> None:
    @app.get("/")
    def index() -> str:
        return "ok"

    client.get("/")
    with pytest.raises(
        AssertionError, match="'register_blueprint' can no longer be called"
    ):
        app.register_blueprint(Blueprint("late", __name__))


def test_subdomain(protocol: str) -> None:
    app = Carboy("sub", subdomain_matching=True)
    app.config.update(TESTING=True, SERVER_NAME="example.test")
    bp = Blueprint("api", __name__, subdomain="api")

    @bp.get("/")
    def index() -> str:
        return f"api {url_for('.index')}"

    app.register_blueprint(bp)
    c = app.test_client(protocol=protocol)
    # A rule of the request's own subdomain gets a relative URL, as in Flask.
    assert text(c, "/", base_url="http://api.example.test/") == "api /"
    assert c.get("/", base_url="http://example.test/").status_code == 404


def test_static_folder(app: Carboy, client: CarboyClient) -> None:
    bp = Blueprint(
        "admin",
        __name__,
        static_folder="static",
        static_url_path="/assets",
        url_prefix="/admin",
        root_path=os.path.join(BP_ROOT, "admin"),
    )
    app.register_blueprint(bp)
    rv = client.get("/admin/assets/admin.css")
    assert rv.status_code == 200
    assert rv.get_data() == b"body { color: red; }\n"
    assert rv.mimetype == "text/css"
    with app.test_request_context("/"):
        assert (
            url_for("admin.static", filename="admin.css") == "/admin/assets/admin.css"
        )
    for path in (
        "/admin/assets/../../secret.txt",
        "/admin/assets/%2e%2e/%2e%2e/secret.txt",
        "/admin/assets/..%2f..%2fsecret.txt",
        "/admin/assets/missing.css",
    ):
        rv = client.get(path)
        assert rv.status_code == 404, path
        assert b"secret" not in rv.get_data()


def test_static_url_path_defaults_to_folder_name() -> None:
    bp = Blueprint("bp", __name__, static_folder="static", root_path=BP_ROOT)
    assert bp.static_url_path == "/static"
    assert bp.static_folder == os.path.join(BP_ROOT, "static")
    assert Blueprint("x", __name__).static_folder is None


def test_cli_group_is_kept() -> None:
    assert Blueprint("bp", __name__, cli_group="tools").cli_group == "tools"
    assert Blueprint("bp", __name__, cli_group=None).cli_group is None
