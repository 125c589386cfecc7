"""carboy.ext.login under WSGI and ASGI, with def and async def views and loaders: the
Flask-Login surface, and the attacks it stops (open redirects through ``next``,
session fixation, a remember-me cookie after logout or a password change, a session
carried to another client)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from itsdangerous import TimestampSigner

from carboy import (
    Blueprint,
    Carboy,
    get_flashed_messages,
    render_template_string,
    request,
    session,
)
from carboy.ext import login as login_mod
from carboy.ext.csrf import CSRFProtect, generate_csrf
from carboy.ext.login import (
    AnonymousUserMixin,
    LoginManager,
    UserMixin,
    confirm_login,
    current_user,
    fresh_login_required,
    is_safe_url,
    login_fresh,
    login_required,
    login_url,
    login_user,
    logout_user,
    new_remember_token,
    redirect_next,
)
from carboy.security import check_password_hash, generate_password_hash
from carboy.testing import CarboyClient


class User(UserMixin):
    def __init__(self, id: int, name: str, password: str, active: bool = True) -> None:
        self.id = id
        self.name = name
        self.password_hash = generate_password_hash(password, "pbkdf2:sha256:1")
        self.remember_token: str | None = new_remember_token()
        self.active = active

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password, "pbkdf2:sha256:1")
        self.revoke_remember_token()

    def revoke_remember_token(self) -> None:
        self.remember_token = new_remember_token()  # "stored": USERS holds this object


USERS: dict[str, User] = {}


@pytest.fixture(autouse=True)
def users() -> None:
    USERS.clear()
    USERS.update(
        {
            "1": User(1, "ada", "lovelace"),
            "2": User(2, "grace", "hopper"),
            "3": User(3, "idle", "x", active=False),
        }
    )


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def view(kind: str, func: Any) -> Any:
    """``func`` as a def or an async def view."""
    if kind == "def":

        def sync_view(*args: Any, **kwargs: Any) -> Any:
            return func(*args, **kwargs)

        sync_view.__name__ = func.__name__
        return sync_view

    async def async_view(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    async_view.__name__ = func.__name__
    return async_view


def do_login() -> Any:
    user = USERS.get(request.form.get("id", ""))
    if user is None or not check_password_hash(user.password_hash, request.form["pw"]):
        return "bad login", 401
    remember = request.form.get("remember") == "1"
    seconds = request.form.get("seconds")
    if not login_user(
        user, remember=remember, duration=int(seconds) if seconds else None
    ):
        return "inactive", 403
    return redirect_next("/fallback")


def do_logout() -> str:
    logout_user()
    return "bye"


def home() -> str:
    return f"hello {current_user.name}"


def settings() -> str:
    return "settings"


def page() -> str:
    return render_template_string(
        "{% if current_user.is_authenticated %}{{ current_user.name }}{% else %}anon"
        "{% endif %}"
    )


def who() -> dict[str, Any]:
    return {"id": current_user.get_id(), "fresh": login_fresh()}


def change_password() -> str:
    current_user.set_password(request.form["pw"])
    return "changed"


@pytest.fixture
def manager(app: Carboy, kind: str) -> LoginManager:
    manager = LoginManager(app)
    manager.login_view = "login_page"
    manager.refresh_view = "login_page"
    if kind == "def":

        @manager.user_loader
        def load(user_id: str) -> User | None:
            return USERS.get(user_id)

    else:

        @manager.user_loader
        async def load(user_id: str) -> User | None:  # type: ignore[misc]
            return USERS.get(user_id)

    app.add_url_rule("/login", "login_page", view(kind, lambda: "login page"))
    app.add_url_rule("/login", "login", view(kind, do_login), methods=["POST"])
    app.add_url_rule("/logout", "logout", view(kind, do_logout))
    app.add_url_rule("/home", "home", login_required(view(kind, home)))
    app.add_url_rule(
        "/settings", "settings", fresh_login_required(view(kind, settings))
    )
    app.add_url_rule("/page", "page", view(kind, page))
    app.add_url_rule("/who", "who", view(kind, who))
    app.add_url_rule(
        "/password",
        "password",
        login_required(view(kind, change_password)),
        methods=["POST"],
    )
    return manager


def log_in(client: CarboyClient, **extra: str) -> Any:
    data = {"id": "1", "pw": "lovelace", **extra}
    return client.post("/login", data=data)


pytestmark = pytest.mark.usefixtures("manager")


# -- the basics -------------------------------------------------------------------------


def test_anonymous_users_are_sent_to_the_login_view_with_next(
    client: CarboyClient,
) -> None:
    r = client.get("/home?tab=2&x=%2F")
    assert r.status_code == 302
    assert r.headers["Location"] == "/login?next=%2Fhome%3Ftab%3D2%26x%3D%252F"
    with client.session_transaction() as sess:
        assert sess["_flashes"] == [("message", "Please log in to access this page.")]
    assert client.get("/page").text == "anon"
    assert client.get("/who").json == {"id": None, "fresh": False}


def test_login_then_protected_views_and_templates(client: CarboyClient) -> None:
    r = log_in(client)
    assert (r.status_code, r.headers["Location"]) == (302, "/fallback")
    assert client.get("/home").text == "hello ada"
    assert client.get("/settings").text == "settings"
    assert client.get("/page").text == "ada"
    assert client.get("/who").json == {"id": "1", "fresh": True}
    assert log_in(client, pw="wrong").status_code == 401


def test_login_follows_a_safe_next(client: CarboyClient) -> None:
    r = client.post("/login?next=/home%3Ftab%3D2", data={"id": "1", "pw": "lovelace"})
    assert r.headers["Location"] == "/home?tab=2"
    r = client.post("/login", data={"id": "1", "pw": "lovelace", "next": "/page#top"})
    assert r.headers["Location"] == "/page#top"


OPEN_REDIRECTS = [
    "//evil.com",
    "///evil.com",
    "/\\evil.com",
    "\\\\evil.com",
    "/\\/evil.com",
    "https:evil.com",
    "https://evil.com",
    "http:/evil.com",
    "javascript:alert(1)",
    "evil.com",
    "/\t/evil.com",
    "/\n/evil.com",
    " //evil.com",
    "%2F%2Fevil.com",
    "/%2Fevil.com",
    "/%5Cevil.com",
    "/%252Fevil.com",
    "/%25252F%25252Fevil.com",
    "/%09/evil.com",
    "%2f%2fevil.com",
    "https%3A%2F%2Fevil.com",
    "/%2525252525252F",
    "",
    "/" + "a" * 5000,
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_open_redirects_through_next_are_refused(
    client: CarboyClient, target: str
) -> None:
    assert is_safe_url(target) is False
    r = client.post("/login", data={"id": "1", "pw": "lovelace", "next": target})
    assert r.headers["Location"] == "/fallback"


@pytest.mark.parametrize(
    "target",
    ["/", "/home", "/a/b?c=d&e=%20f#frag", "/search?q=a%2Fb", "/ünï", "/a//b", "/x:y"],
)
def test_same_site_paths_are_safe(target: str) -> None:
    assert is_safe_url(target) is True


def test_is_safe_url_refuses_non_strings() -> None:
    assert is_safe_url(None) is False
    assert is_safe_url(b"/home") is False
    assert is_safe_url("/[") is True
    assert is_safe_url("/%5B::1%5D") is True


def test_unauthorized_without_login_view_is_401(
    app: Carboy, manager: LoginManager, client: CarboyClient
) -> None:
    manager.login_view = None
    manager.refresh_view = None
    assert client.get("/home").status_code == 401
    log_in(client)
    with client.session_transaction() as sess:
        sess["_fresh"] = False
    assert client.get("/settings").status_code == 401


@pytest.mark.parametrize("handler_kind", ["def", "async"])
def test_unauthorized_and_refresh_handlers(
    manager: LoginManager, client: CarboyClient, handler_kind: str
) -> None:
    if handler_kind == "def":

        @manager.unauthorized_handler
        def no() -> Any:
            return "who are you?", 403

        @manager.needs_refresh_handler
        def stale() -> Any:
            return "type your password again", 403

    else:

        @manager.unauthorized_handler
        async def no() -> Any:  # type: ignore[misc]
            return "who are you?", 403

        @manager.needs_refresh_handler
        async def stale() -> Any:  # type: ignore[misc]
            return "type your password again", 403

    r = client.get("/home")
    assert (r.status_code, r.text) == (403, "who are you?")
    r = client.get("/settings")
    assert (r.status_code, r.text) == (403, "who are you?")
    log_in(client)
    with client.session_transaction() as sess:
        sess["_fresh"] = False
    r = client.get("/settings")
    assert (r.status_code, r.text) == (403, "type your password again")


def test_inactive_users_are_not_logged_in_unless_forced(app: Carboy) -> None:
    with app.test_request_context():
        assert login_user(USERS["3"]) is False
        assert current_user.is_authenticated is False
        assert login_user(USERS["3"], force=True) is True
        assert current_user.name == "idle"


def test_logout(client: CarboyClient) -> None:
    log_in(client)
    assert client.get("/logout").text == "bye"
    assert client.get("/home").status_code == 302
    assert client.get("/who").json == {"id": None, "fresh": False}


# -- session fixation -------------------------------------------------------------------


def test_login_rotates_the_session_against_fixation(
    app: Carboy, client: CarboyClient, protocol: str
) -> None:
    CSRFProtect(app)

    @app.get("/token")
    def token() -> str:
        return generate_csrf()

    @app.post("/transfer")
    def transfer() -> str:
        return f"sent by {current_user.get_id()}"

    # The attacker gets a session (and its CSRF token), then plants the cookie.
    attacker = app.test_client(protocol=protocol)
    attackers_token = attacker.get("/token").text
    planted = attacker.get_cookie("session")
    assert planted is not None
    client.set_cookie("session", planted.value)
    # The victim logs in with the planted session.
    victims_token = client.get("/token").text
    assert victims_token  # (the same secret as the attacker's, until the login)
    r = client.post(
        "/login", data={"id": "1", "pw": "lovelace", "csrf_token": victims_token}
    )
    assert r.status_code == 302
    after = client.get_cookie("session")
    assert after is not None and after.value != planted.value
    # The attacker's cookie is not logged in, and its token does not work for the victim.
    assert attacker.get("/home").status_code == 302
    r = client.post("/transfer", data={"csrf_token": attackers_token})
    assert r.status_code == 400
    assert "The CSRF session token is missing" in r.text
    fresh_token = client.get("/token").text  # a new secret, made after the login
    r = client.post("/transfer", data={"csrf_token": attackers_token})
    assert r.status_code == 400
    assert "The CSRF tokens do not match" in r.text
    r = client.post("/transfer", data={"csrf_token": fresh_token})
    assert r.text == "sent by 1"


def test_logging_in_as_another_user_drops_the_old_session_data(app: Carboy) -> None:
    with app.test_request_context():
        login_user(USERS["1"])
        session["cart"] = ["book"]
        login_user(USERS["1"])  # the same user again: data stays
        assert session["cart"] == ["book"]
        login_user(USERS["2"])  # someone else on this browser: nothing carries over
        assert "cart" not in session
        assert session["_user_id"] == "2"


def test_server_side_sessions_get_a_new_id_on_login(
    app: Carboy, client: CarboyClient
) -> None:
    from carboy.sessions import SecureCookieSession, SessionInterface

    store: dict[str, dict[str, Any]] = {}

    class Stored(SecureCookieSession):
        sid = ""

    class ServerSide(SessionInterface):
        def open_session(self, app: Any, request: Any) -> Stored:
            sid = request.cookies.get("sid", "")
            sess = Stored(store.get(sid, {}))
            sess.sid = sid if sid in store else login_mod.new_remember_token()
            return sess

        def save_session(self, app: Any, session: Any, response: Any) -> None:
            store[session.sid] = dict(session)
            response.set_cookie("sid", session.sid, httponly=True)

        def regenerate(self, session: Stored) -> None:
            store.pop(session.sid, None)
            session.sid = login_mod.new_remember_token()

    app.session_interface = ServerSide()
    client.get("/page")
    client.get("/who")
    before = client.get_cookie("sid")
    assert before is not None
    log_in(client)
    after = client.get_cookie("sid")
    assert after is not None and after.value != before.value
    assert before.value not in store
    assert client.get("/home").text == "hello ada"


# -- remember me ------------------------------------------------------------------------


def remember_cookie(client: CarboyClient) -> str:
    cookie = client.get_cookie("remember_token")
    assert cookie is not None
    return cookie.value


def test_remember_cookie_is_signed_httponly_samesite(client: CarboyClient) -> None:
    r = log_in(client, remember="1")
    (header,) = [h for h in r.headers.getlist("Set-Cookie") if "remember_token" in h]
    assert "HttpOnly" in header
    assert "SameSite=Lax" in header
    assert "Max-Age=31536000" in header
    assert "lovelace" not in header and USERS["1"].remember_token not in header


def test_remember_cookie_logs_back_in_but_not_fresh(
    app: Carboy, client: CarboyClient, protocol: str
) -> None:
    log_in(client, remember="1")
    other = app.test_client(protocol=protocol)  # the browser restarted
    other.set_cookie("remember_token", remember_cookie(client))
    assert other.get("/home").text == "hello ada"
    assert other.get("/who").json == {"id": "1", "fresh": False}
    r = other.get("/settings")
    assert r.headers["Location"] == "/login?next=%2Fsettings"
    with other.session_transaction() as sess:
        assert ("message", "Please reauthenticate to access this page.") in sess[
            "_flashes"
        ]


def test_remember_cookie_stops_working_after_logout(
    app: Carboy, client: CarboyClient, protocol: str
) -> None:
    log_in(client, remember="1")
    stolen = remember_cookie(client)
    r = client.get("/logout")
    assert any(
        h.startswith("remember_token=;") for h in r.headers.getlist("Set-Cookie")
    )
    assert client.get_cookie("remember_token") is None
    thief = app.test_client(protocol=protocol)
    thief.set_cookie("remember_token", stolen)
    r = thief.get("/home")
    assert r.status_code == 302
    assert any(
        h.startswith("remember_token=;") for h in r.headers.getlist("Set-Cookie")
    )


def test_remember_cookie_stops_working_after_a_password_change(
    app: Carboy, client: CarboyClient, protocol: str
) -> None:
    log_in(client, remember="1")
    stolen = remember_cookie(client)
    assert client.post("/password", data={"pw": "new"}).text == "changed"
    thief = app.test_client(protocol=protocol)
    thief.set_cookie("remember_token", stolen)
    assert thief.get("/home").status_code == 302


def test_remember_cookie_expires_on_the_server(
    app: Carboy, client: CarboyClient, protocol: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = TimestampSigner.get_timestamp(TimestampSigner("k"))
    with monkeypatch.context() as m:
        m.setattr(TimestampSigner, "get_timestamp", lambda self: now - 120)
        log_in(client, remember="1", seconds="60")
    kept = remember_cookie(client)  # a client that ignores Max-Age
    other = app.test_client(protocol=protocol)
    other.set_cookie("remember_token", kept)
    assert other.get("/home").status_code == 302


@pytest.mark.parametrize(
    "value", ["garbage", "W10.abc.def", "", "a" * 5000, "eyJ4IjoxfQ.Zz.Zz"]
)
def test_forged_remember_cookies_are_ignored(client: CarboyClient, value: str) -> None:
    client.set_cookie("remember_token", value)
    assert client.get("/home").status_code == 302


def test_remember_cookie_with_a_wrong_shape_or_a_vanished_user(app: Carboy) -> None:
    with app.test_request_context():
        s = login_mod.manager._serializer()
        digest = login_mod.manager._token_digest(USERS["1"].remember_token or "")
        bad = [s.dumps(["1", digest]), s.dumps({"id": "1"}), s.dumps(["9", digest, 60])]
    for value in bad:
        with app.test_request_context(headers={"Cookie": f"remember_token={value}"}):
            assert current_user.is_authenticated is False
    USERS["1"].remember_token = None
    good = s.dumps(["1", digest, 60])
    with app.test_request_context(headers={"Cookie": f"remember_token={good}"}):
        assert current_user.is_authenticated is False


def test_remember_needs_a_token(app: Carboy) -> None:
    class Plain(UserMixin):
        id = 5

    with app.test_request_context():
        with pytest.raises(ValueError, match="needs a remember token"):
            login_user(Plain(), remember=True)
        with pytest.raises(ValueError, match="must be positive"):
            login_user(USERS["1"], remember=True, duration=timedelta(0))
        assert login_user(Plain()) is True
        assert logout_user() is True  # no token: nothing to revoke


def test_login_user_with_a_timedelta_duration(app: Carboy) -> None:
    with app.test_request_context():
        assert login_user(USERS["1"], remember=True, duration=timedelta(hours=1))


# -- session protection -----------------------------------------------------------------


def test_basic_protection_marks_a_moved_session_non_fresh(
    client: CarboyClient,
) -> None:
    log_in(client)
    r = client.get("/settings", headers={"User-Agent": "another browser"})
    assert r.status_code == 302
    assert client.get("/home", headers={"User-Agent": "another browser"}).text == (
        "hello ada"
    )


def test_strong_protection_drops_a_moved_session(
    manager: LoginManager, client: CarboyClient
) -> None:
    manager.session_protection = "strong"
    log_in(client, remember="1")
    assert client.get("/home").text == "hello ada"
    r = client.get("/home", headers={"User-Agent": "stolen elsewhere"})
    assert r.status_code == 302
    assert any(
        h.startswith("remember_token=;") for h in r.headers.getlist("Set-Cookie")
    )
    # The remember cookie (still held by a client that ignores deletions) is refused too.
    assert client.get("/home").status_code == 302


def test_confirm_login_makes_it_fresh_again(app: Carboy) -> None:
    with app.test_request_context():
        login_user(USERS["1"], fresh=False)
        assert login_fresh() is False
        confirm_login()
        assert login_fresh() is True


# -- the rest of the surface ------------------------------------------------------------


def test_request_loader(manager: LoginManager, client: CarboyClient, kind: str) -> None:
    def by_key(req: Any) -> User | None:
        return USERS.get(req.headers.get("X-Api-Key", "")[4:] or "-")

    if kind == "def":
        manager.request_loader(by_key)
    else:

        async def by_key_async(req: Any) -> User | None:
            return by_key(req)

        manager.request_loader(by_key_async)
    assert client.get("/home", headers={"X-Api-Key": "key-2"}).text == "hello grace"
    assert client.get("/home", headers={"X-Api-Key": "key-9"}).status_code == 302
    assert client.get("/home").status_code == 302


def test_async_loader_with_a_def_view(app: Carboy, client: CarboyClient) -> None:
    manager = LoginManager()

    @manager.user_loader
    async def load(user_id: str) -> User | None:
        return USERS.get(user_id)

    other = Carboy("other")
    other.secret_key = "k"
    manager.init_app(other)

    @other.post("/in")
    def sign_in() -> str:
        login_user(USERS["2"])
        return "ok"

    @other.get("/me")
    @login_required
    def me() -> str:
        return current_user.name  # type: ignore[no-any-return]

    c = other.test_client()
    c.post("/in")
    assert c.get("/me").text == "grace"


def test_login_disabled_and_options(app: Carboy, client: CarboyClient) -> None:
    assert client.options("/home").status_code == 200
    assert client.get("/settings").status_code == 302
    app.config["LOGIN_DISABLED"] = True
    assert client.get("/settings").text == "settings"


def test_blueprint_login_views_and_session_for_next(
    app: Carboy, manager: LoginManager, client: CarboyClient
) -> None:
    admin = Blueprint("admin", __name__)

    @admin.get("/panel")
    @login_required
    def panel() -> str:
        return "panel"

    @admin.get("/login")
    def admin_login() -> str:
        return "admin login"

    app.register_blueprint(admin, url_prefix="/admin")
    manager.blueprint_login_views["admin"] = "admin.admin_login"
    manager.login_message = None
    r = client.get("/admin/panel")
    assert r.headers["Location"] == "/admin/login?next=%2Fadmin%2Fpanel"
    with client.session_transaction() as sess:
        assert "_flashes" not in sess
    app.config["USE_SESSION_FOR_NEXT"] = True
    r = client.get("/admin/panel?x=1")
    assert r.headers["Location"] == "/admin/login"
    r = log_in(client)
    assert r.headers["Location"] == "/admin/panel?x=1"


def test_login_url() -> None:
    app = Carboy("x")
    app.secret_key = "k"
    LoginManager(app)
    app.add_url_rule("/signin", "signin", lambda: "")
    with app.test_request_context():
        assert login_url("signin") == "/signin"
        assert login_url("signin", "/a") == "/signin?next=%2Fa"
        assert login_url("/in?x=1", "/a", "to") == "/in?x=1&to=%2Fa"
        assert login_url("https://sso.example/in", "/a") == (
            "https://sso.example/in?next=%2Fa"
        )


def test_signals(app: Carboy) -> None:
    seen: list[tuple[str, Any]] = []
    login_mod.user_logged_in.connect(
        lambda sender, user: seen.append(("in", user.name)), weak=False
    )
    login_mod.user_logged_out.connect(
        lambda sender, user: seen.append(("out", user.name)), weak=False
    )
    try:
        with app.test_request_context():
            login_user(USERS["2"])
            logout_user()
    finally:
        for sig in (login_mod.user_logged_in, login_mod.user_logged_out):
            for receiver in list(sig.receivers.values()):
                sig.disconnect(receiver)
    assert seen == [("in", "grace"), ("out", "grace")]


def test_mixins_and_clear_errors(app: Carboy) -> None:
    class NoId(UserMixin):
        pass

    with pytest.raises(NotImplementedError, match="has no 'id' attribute"):
        NoId().get_id()

    class Remembered(UserMixin):
        id = 1
        remember_token = "t"

    with pytest.raises(NotImplementedError, match="override revoke_remember_token"):
        Remembered().revoke_remember_token()
    assert USERS["1"] == User(1, "someone else", "pw")
    assert USERS["1"] != USERS["2"]
    assert (USERS["1"] == 1) is False
    assert len({USERS["1"], User(1, "copy", "pw")}) == 1
    anon = AnonymousUserMixin()
    assert (anon.is_authenticated, anon.is_active, anon.is_anonymous) == (
        False,
        False,
        True,
    )
    assert anon.get_id() is None
    assert (USERS["1"].is_authenticated, USERS["1"].is_anonymous) == (True, False)
    assert current_user._get_current_object() is None  # no request: no user
    bare = Carboy("bare")
    bare.secret_key = "k"
    with (
        bare.test_request_context(),
        pytest.raises(RuntimeError, match="No LoginManager"),
    ):
        _ = current_user.is_authenticated
    LoginManager(bare)
    with (
        bare.test_request_context(),
        pytest.raises(RuntimeError, match="No user_loader"),
    ):
        _ = current_user.is_authenticated


def test_flashed_login_message_reaches_the_login_page(
    app: Carboy, client: CarboyClient
) -> None:
    @app.get("/messages")
    def messages() -> Any:
        return {"m": get_flashed_messages()}

    client.get("/home")
    assert client.get("/messages").json == {"m": ["Please log in to access this page."]}
