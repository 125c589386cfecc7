"""Registration, login and logout: the happy paths and each way they fail."""

from __future__ import annotations

from sqlalchemy import select

from carboy import Carboy

from .conftest import PASSWORD, Browser


def test_anonymous_users_are_sent_to_the_login_page(browser: Browser) -> None:
    rv = browser.client.get("/")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/auth/login?next=%2F"
    page = browser.client.get(rv.headers["Location"]).get_data(as_text=True)
    assert "Please log in to see your notes." in page
    for path in ("/notes/1", "/notes/1/edit", "/attachments/1"):
        assert browser.client.get(path).status_code == 302
    assert browser.client.post("/notes/1/delete").status_code == 400  # no CSRF token


def test_register_hashes_the_password_and_logs_in(
    browser: Browser, notes_app: Carboy
) -> None:
    page = browser.client.get("/auth/register").get_data(as_text=True)
    assert '<form method="post" id="register-form">' in page
    rv = browser.register("ada")
    assert rv.headers["Location"] == "/"
    page = browser.client.get("/").get_data(as_text=True)
    assert "Welcome, ada! Your account is ready." in page
    assert '<span class="who" id="who">ada</span>' in page
    from examples.notes.models import User, db

    with notes_app.app_context():
        user = db.session.scalars(select(User)).one()
    assert user.username == "ada"
    assert user.password_hash.startswith("pbkdf2:sha256:1000$")
    assert PASSWORD not in user.password_hash
    # Logged-in users asking for the forms go to their notes.
    assert browser.client.get("/auth/register").headers["Location"] == "/"
    assert browser.client.get("/auth/login").headers["Location"] == "/"


def test_register_refuses_bad_input(browser: Browser) -> None:
    browser.register("ada")
    browser.logout()
    cases = [
        ({"username": "ada"}, "That name is taken."),
        ({"username": "a"}, "Field must be between 3 and 40 characters long."),
        (
            {"username": "a d a"},
            "Letters, digits, &#39;.&#39;, &#39;_&#39;, &#39;-&#39;.",
        ),
        ({"password": "short", "confirm": "short"}, "Field must be at least 8"),
        ({"confirm": "something else"}, "The passwords differ."),
    ]
    for change, message in cases:
        data = {"username": "grace", "password": PASSWORD, "confirm": PASSWORD}
        rv = browser.post("/auth/register", {**data, **change})
        assert rv.status_code == 400, change
        assert message in rv.get_data(as_text=True), change


def test_login_with_the_right_and_the_wrong_password(browser: Browser) -> None:
    browser.register("ada")
    browser.logout()
    rv = browser.login("ada", "wrong password")
    assert rv.status_code == 401
    page = rv.get_data(as_text=True)
    assert "Wrong username or password." in page
    assert 'value="ada"' in page  # the name is kept, the password is not
    rv = browser.login("nobody", PASSWORD)
    assert rv.status_code == 401
    assert "Wrong username or password." in rv.get_data(as_text=True)
    assert browser.client.get("/").status_code == 302  # still anonymous

    rv = browser.login("ada")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/"
    assert "Logged in as ada." in browser.client.get("/").get_data(as_text=True)


def test_login_follows_only_a_safe_next(browser: Browser) -> None:
    browser.register("ada")
    for target, expected in [
        ("/notes/7", "/notes/7"),
        ("//evil.example/", "/"),
        ("https://evil.example/", "/"),
    ]:
        browser.logout()
        rv = browser.post(
            f"/auth/login?next={target}",
            {"username": "ada", "password": PASSWORD},
            "/auth/login",
        )
        assert rv.status_code == 302
        assert rv.headers["Location"] == expected


def test_forms_without_a_csrf_token_are_refused(browser: Browser) -> None:
    rv = browser.client.post(
        "/auth/register",
        data={"username": "ada", "password": PASSWORD, "confirm": PASSWORD},
    )
    assert rv.status_code == 400
    page = rv.get_data(as_text=True)
    assert "<h1>400 · Bad Request</h1>" in page
    assert "The CSRF token is missing." in page
    browser.register("ada")
    browser.logout()
    rv = browser.client.post(
        "/auth/login", data={"username": "ada", "password": PASSWORD}
    )
    assert rv.status_code == 400
    rv = browser.client.post(
        "/auth/login",
        data={"username": "ada", "password": PASSWORD, "csrf_token": "forged"},
    )
    assert rv.status_code == 400
    assert "The CSRF token is invalid." in rv.get_data(as_text=True)
    assert browser.client.get("/").status_code == 302  # not logged in


def test_logout_needs_a_post_with_the_token(ada: Browser) -> None:
    assert ada.client.get("/auth/logout").status_code == 405
    assert ada.client.post("/auth/logout").status_code == 400  # no token: still in
    assert ada.client.get("/").status_code == 200
    rv = ada.post("/auth/logout", {}, "/")
    assert rv.status_code == 302
    assert rv.headers["Location"] == "/auth/login"
    assert "Logged out." in ada.client.get("/auth/login").get_data(as_text=True)
    assert ada.client.get("/").status_code == 302


def test_remember_me_survives_the_session_and_logout_revokes_it(
    browser: Browser,
) -> None:
    browser.register("ada")
    browser.logout()
    rv = browser.post(
        "/auth/login",
        {"username": "ada", "password": PASSWORD, "remember": "y"},
    )
    assert rv.status_code == 302
    cookie = browser.client.get_cookie("remember_token")
    assert cookie is not None
    browser.client.delete_cookie("session")  # the browser was closed
    assert browser.client.get("/").status_code == 200  # the cookie logged ada in
    browser.logout()
    browser.client.set_cookie("remember_token", cookie.value)  # a stolen copy
    assert browser.client.get("/").status_code == 302
