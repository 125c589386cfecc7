"""Roles and permissions in carboy.ext.login, under WSGI and ASGI (``client``), with def
and async views, loaders and error handlers: views, MethodView methods, blueprints, and
the attacks (a missing role, roles the client names, roles a user could shape)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from carboy import Blueprint, Carboy, render_template_string
from carboy.ext.login import (
    AnonymousUserMixin,
    LoginManager,
    Requirement,
    UserMixin,
    current_user,
    login_user,
    permission_required,
    roles_accepted,
    roles_required,
    user_roles,
)
from carboy.testing import CarboyClient
from carboy.views import MethodView


class Role:
    def __init__(self, name: Any) -> None:
        self.name = name


class User(UserMixin):
    def __init__(self, id: int, roles: Any = (), permissions: Any = None) -> None:
        self.id = id
        if roles is not None:
            self.roles = roles
        if permissions is not None:
            self.permissions = permissions


USERS: dict[str, User] = {
    "ada": User(1, ["admin", "editor"]),
    "bob": User(2, ("editor",)),
    "cy": User(3, [Role("admin")]),  # role rows with a name, as an ORM gives them
    "dee": User(4, None),  # no roles attribute at all
    "eve": User(5, ["Admin", "admin ", "administrator", "admin\x00", " admin", "ad"]),
    "fay": User(6, [], permissions=["posts.delete"]),
}
BY_ID = {str(u.id): u for u in USERS.values()}


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def manager(app: Carboy) -> LoginManager:
    manager = LoginManager(app)
    manager.login_view = "login"

    @manager.user_loader
    def load(user_id: str) -> User | None:
        return BY_ID.get(user_id)

    @app.get("/login")
    def login() -> str:
        return "the login form"

    @app.get("/as/<name>")
    def log_in_as(name: str) -> str:
        login_user(USERS[name])
        return "in"

    return manager


def add(app: Any, path: str, kind: str, *guards: Requirement, **options: Any) -> None:
    """A view at ``path`` (def or async def) behind ``guards``."""
    if kind == "def":

        def view() -> str:
            return "ok"

    else:

        async def view() -> str:  # type: ignore[misc]
            return "ok"

    for guard in reversed(guards):
        view = guard(view)
    app.add_url_rule(path, path.strip("/").replace("/", "_") or "root", view, **options)


def as_user(client: CarboyClient, name: str) -> CarboyClient:
    assert client.get(f"/as/{name}").text == "in"
    return client


# -- roles_required / roles_accepted -----------------------------------------------------


def test_anonymous_users_go_to_the_login_view(
    app: Carboy, manager: LoginManager, client: CarboyClient, kind: str
) -> None:
    add(app, "/admin", kind, roles_required("admin"))
    rv = client.get("/admin?tab=2")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/login?next=%2Fadmin%3Ftab%3D2"


def test_anonymous_users_get_401_without_a_login_view(
    app: Carboy, manager: LoginManager, client: CarboyClient, kind: str
) -> None:
    manager.login_view = None
    add(app, "/admin", kind, roles_required("admin"))
    assert client.get("/admin").status_code == 401


def test_an_anonymous_user_claiming_roles_still_logs_in(
    app: Carboy, manager: LoginManager, client: CarboyClient, kind: str
) -> None:
    class Anonymous(AnonymousUserMixin):
        roles = ["admin"]
        permissions = ["posts.delete"]

    manager.anonymous_user = Anonymous
    add(app, "/admin", kind, roles_required("admin"))
    add(app, "/delete", kind, permission_required("posts.delete"))
    assert client.get("/admin").status_code == 302
    assert client.get("/delete").status_code == 302


def test_the_unauthorized_handler_answers_anonymous_users(
    app: Carboy, manager: LoginManager, client: CarboyClient, kind: str
) -> None:
    @manager.unauthorized_handler
    async def refuse() -> tuple[str, int]:
        return "who are you?", 401

    add(app, "/admin", kind, roles_required("admin"))
    rv = client.get("/admin")
    assert (rv.status_code, rv.text) == (401, "who are you?")


@pytest.mark.parametrize(
    ("name", "status"),
    [("ada", 200), ("cy", 200), ("bob", 403), ("dee", 403), ("eve", 403), ("fay", 403)],
)
def test_roles_required_needs_the_role(
    app: Carboy,
    manager: LoginManager,
    client: CarboyClient,
    kind: str,
    name: str,
    status: int,
) -> None:
    """The missing-role attack: a logged-in user without the role (or with a name that
    only looks like it: "Admin", "admin ", "administrator", "admin\\0") gets a 403."""
    add(app, "/admin", kind, roles_required("admin"))
    assert as_user(client, name).get("/admin").status_code == status


def test_roles_required_needs_every_role(
    app: Carboy, manager: LoginManager, client: CarboyClient, kind: str
) -> None:
    add(app, "/both", kind, roles_required("admin", "editor"))
    assert as_user(client, "cy").get("/both").status_code == 403
    assert as_user(client, "ada").get("/both").status_code == 200


def test_roles_accepted_needs_any_role(
    app: Carboy, manager: LoginManager, client: CarboyClient, kind: str
) -> None:
    add(app, "/edit", kind, roles_accepted("editor", "admin"))
    assert as_user(client, "bob").get("/edit").status_code == 200
    assert as_user(client, "cy").get("/edit").status_code == 200
    assert as_user(client, "eve").get("/edit").status_code == 403
    assert as_user(client, "dee").get("/edit").status_code == 403


@pytest.mark.parametrize("handler_kind", ["def", "async"])
def test_403_goes_through_the_apps_error_handlers(
    app: Carboy,
    manager: LoginManager,
    client: CarboyClient,
    kind: str,
    handler_kind: str,
) -> None:
    if handler_kind == "def":

        @app.errorhandler(403)
        def forbidden(e: Exception) -> tuple[str, int]:
            return f"no entry for {current_user.get_id()}", 403

    else:

        @app.errorhandler(403)
        async def forbidden(e: Exception) -> tuple[str, int]:
            return f"no entry for {current_user.get_id()}", 403

    add(app, "/admin", kind, roles_required("admin"))
    rv = as_user(client, "bob").get("/admin")
    assert (rv.status_code, rv.text) == (403, "no entry for 2")


def test_roles_the_client_names_change_nothing(
    app: Carboy, manager: LoginManager, client: CarboyClient, kind: str
) -> None:
    """Roles come from the user (or the app's loader), never from the request."""
    add(app, "/admin", kind, roles_required("admin"), methods=["GET", "POST"])
    as_user(client, "bob")
    client.set_cookie("roles", "admin")
    client.set_cookie("_login_roles", "admin")
    forged = {"X-Roles": "admin", "X-User-Roles": "admin", "Roles": "admin"}
    assert (
        client.get("/admin?roles=admin&role=admin", headers=forged).status_code == 403
    )
    assert client.post("/admin", data={"roles": "admin"}).status_code == 403
    assert client.post("/admin", json={"roles": ["admin"]}).status_code == 403


@pytest.mark.parametrize(
    ("roles", "message"),
    [
        ("nimda", "is the string 'nimda'"),
        (b"admin", "is the string b'admin'"),
        ([1], "holds 1"),
        ([Role(None)], "each item must be a name"),
    ],
)
def test_roles_that_are_not_a_list_of_names_are_refused(
    app: Carboy, manager: LoginManager, protocol: str, roles: Any, message: str
) -> None:
    """A string read one character at a time would grant "a", "d", "m"...: a user who
    can set a free-text roles field to "nimda" must not pass roles_required("a")."""
    USERS["gus"] = BY_ID["7"] = User(7, roles)
    try:
        add(app, "/a", "def", roles_required("a"))
        client = app.test_client(protocol=protocol)
        as_user(client, "gus")
        with pytest.raises(TypeError, match=message):
            client.get("/a")
    finally:
        del USERS["gus"], BY_ID["7"]


def test_requirements_without_names_are_refused() -> None:
    with pytest.raises(ValueError, match="needs at least one name"):
        roles_required()
    with pytest.raises(ValueError, match="needs at least one name"):
        roles_accepted()
    with pytest.raises(ValueError, match="needs at least one name"):
        permission_required()
    with pytest.raises(ValueError, match=r"unpack a list with \*names"):
        roles_required(["admin", "editor"])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="takes names as separate strings"):
        roles_accepted("admin", "")

    def view() -> str:  # pragma: no cover - never called
        return "ok"

    with pytest.raises(ValueError, match="not @roles_required"):
        roles_required(view)  # type: ignore[arg-type]
    assert repr(roles_accepted("b", "a")) == "<Requirement any role: a, b>"


def test_login_disabled_lets_everyone_through(
    app: Carboy, manager: LoginManager, client: CarboyClient, kind: str
) -> None:
    app.config["LOGIN_DISABLED"] = True
    add(app, "/admin", kind, roles_required("admin"))
    assert client.get("/admin").status_code == 200


# -- loaders -----------------------------------------------------------------------------


@pytest.mark.parametrize("loader_kind", ["def", "async"])
def test_a_role_loader_replaces_user_roles(
    app: Carboy,
    manager: LoginManager,
    client: CarboyClient,
    kind: str,
    loader_kind: str,
) -> None:
    calls: list[str] = []
    granted = {"2": ["admin"]}  # bob is admin in the app's own table

    if loader_kind == "def":

        @manager.role_loader
        def roles(user: User) -> Iterable[str]:
            calls.append(user.get_id())
            return granted.get(user.get_id(), [])

    else:

        @manager.role_loader
        async def roles(user: User) -> Iterable[str]:
            calls.append(user.get_id())
            return granted.get(user.get_id(), [])

    add(app, "/admin", kind, roles_accepted("admin"), roles_required("admin"))
    assert as_user(client, "bob").get("/admin").status_code == 200
    assert calls == ["2"]  # once per request, however many checks
    assert as_user(client, "ada").get("/admin").status_code == 403  # user.roles ignored


@pytest.mark.parametrize("loader_kind", ["def", "async"])
def test_a_permission_loader_decides(
    app: Carboy,
    manager: LoginManager,
    client: CarboyClient,
    kind: str,
    loader_kind: str,
) -> None:
    answers: dict[str, Any] = {"1": True, "2": "yes", "3": None, "4": 1}
    asked: list[tuple[str, str]] = []

    def decide(user: User, name: str) -> Any:
        asked.append((user.get_id(), name))
        return answers.get(user.get_id()) if name == "posts.delete" else True

    if loader_kind == "def":
        manager.permission_loader(decide)
    else:

        @manager.permission_loader
        async def allowed(user: User, name: str) -> Any:
            return decide(user, name)

    add(app, "/delete", kind, permission_required("posts.delete", "posts.read"))
    assert as_user(client, "ada").get("/delete").status_code == 200
    assert ("1", "posts.delete") in asked and ("1", "posts.read") in asked
    # only True grants: a truthy string, None or 1 is a refusal
    for name in ("bob", "cy", "dee"):
        assert as_user(client, name).get("/delete").status_code == 403


def test_permissions_without_a_loader_come_from_the_user(
    app: Carboy, manager: LoginManager, client: CarboyClient, kind: str
) -> None:
    add(app, "/delete", kind, permission_required("posts.delete"))
    assert as_user(client, "fay").get("/delete").status_code == 200
    assert as_user(client, "ada").get("/delete").status_code == 403


def test_user_roles_in_views_and_templates(
    app: Carboy, manager: LoginManager, client: CarboyClient
) -> None:
    @app.get("/me")
    def me() -> str:
        return render_template_string(
            "{{ roles|sort|join(',') }} {{ 'admin' in roles }}", roles=user_roles()
        )

    assert as_user(client, "ada").get("/me").text == "admin,editor True"
    assert as_user(client, "cy").get("/me").text == "admin True"
    assert as_user(client, "dee").get("/me").text == " False"


def test_user_roles_with_a_loader(app: Carboy, manager: LoginManager) -> None:
    manager.role_loader(lambda user: ["x"] if user.get_id() == "2" else [])
    with app.test_request_context():
        assert user_roles(USERS["bob"]) == frozenset({"x"})


# -- MethodView and blueprints -----------------------------------------------------------


def test_method_view_methods(
    app: Carboy, manager: LoginManager, client: CarboyClient
) -> None:
    class Posts(MethodView):
        def get(self) -> str:
            return "list"

        @roles_accepted("editor")
        def post(self) -> str:
            return "created"

        @roles_required("admin")
        async def delete(self) -> str:
            return "deleted"

    app.add_url_rule("/posts", view_func=Posts.as_view("posts"))
    assert client.get("/posts").text == "list"
    assert client.post("/posts").status_code == 302
    as_user(client, "bob")
    assert client.post("/posts").text == "created"
    assert client.delete("/posts").status_code == 403
    as_user(client, "ada")
    assert client.delete("/posts").text == "deleted"


def test_method_view_decorators(
    app: Carboy, manager: LoginManager, client: CarboyClient
) -> None:
    class Reports(MethodView):
        decorators = [roles_required("admin")]

        async def get(self) -> str:
            return "reports"

    app.add_url_rule("/reports", view_func=Reports.as_view("reports"))
    assert client.get("/reports").status_code == 302
    assert as_user(client, "bob").get("/reports").status_code == 403
    assert as_user(client, "ada").get("/reports").text == "reports"


@pytest.mark.parametrize("loader_kind", ["none", "def", "async"])
def test_a_whole_blueprint(
    app: Carboy,
    manager: LoginManager,
    client: CarboyClient,
    kind: str,
    loader_kind: str,
) -> None:
    if loader_kind == "def":
        manager.role_loader(lambda user: getattr(user, "roles", []))
    elif loader_kind == "async":

        @manager.role_loader
        async def roles(user: User) -> Any:
            return getattr(user, "roles", [])

    admin = Blueprint("admin", __name__)
    admin.before_request(roles_required("admin").check)
    add(admin, "/users", kind)
    add(admin, "/settings", kind)
    app.register_blueprint(admin, url_prefix="/admin")
    add(app, "/public", kind)

    assert client.get("/public").status_code == 200
    rv = client.get("/admin/users")
    assert (rv.status_code, rv.headers["Location"]) == (
        302,
        "/login?next=%2Fadmin%2Fusers",
    )
    as_user(client, "bob")
    assert client.get("/admin/users").status_code == 403
    assert client.get("/admin/settings").status_code == 403
    assert client.get("/public").status_code == 200
    as_user(client, "ada")
    assert client.get("/admin/settings").text == "ok"


def test_preflights_are_not_refused(
    app: Carboy, manager: LoginManager, client: CarboyClient
) -> None:
    """A CORS preflight carries no credentials (as with login_required)."""
    admin = Blueprint("admin", __name__)
    admin.before_request(roles_required("admin").check)
    add(admin, "/users", "def", methods=["GET", "OPTIONS"])
    app.register_blueprint(admin, url_prefix="/admin")
    assert client.options("/admin/users").status_code == 200
