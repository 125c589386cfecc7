"""carboy.ext.csrf under WSGI and ASGI, def and async def views: the attacks it stops
(missing, forged, expired, cross-session and cross-origin tokens) and its opt-outs."""

from __future__ import annotations

from typing import Any

import pytest
from itsdangerous import TimestampSigner, URLSafeTimedSerializer

from carboy import Blueprint, Carboy, render_template_string
from carboy.ext.csrf import CSRFError, CSRFProtect, generate_csrf, validate_csrf
from carboy.testing import CarboyClient


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def make_view(kind: str, body: str = "done") -> Any:
    if kind == "def":

        def view() -> str:
            return body

    else:

        async def view() -> str:  # type: ignore[misc]
            return body

    return view


@pytest.fixture
def csrf(app: Carboy, kind: str) -> CSRFProtect:
    csrf = CSRFProtect(app)

    @app.get("/token")
    def token() -> str:
        return render_template_string("{{ csrf_token() }}")

    app.add_url_rule("/submit", "submit", make_view(kind), methods=["POST", "PUT"])
    app.add_url_rule(
        "/change", "change", make_view(kind), methods=["PATCH", "DELETE", "GET"]
    )
    return csrf


def get_token(client: CarboyClient) -> str:
    r = client.get("/token")
    assert r.status_code == 200
    return r.text


@pytest.mark.usefixtures("csrf")
def test_a_valid_token_passes_in_the_form_or_either_header(
    client: CarboyClient,
) -> None:
    token = get_token(client)
    assert get_token(client) != ""  # the same secret; a fresh signature is fine
    r = client.post("/submit", data={"csrf_token": token, "x": "1"})
    assert (r.status_code, r.text) == (200, "done")
    r = client.put("/submit", headers={"X-CSRFToken": token})
    assert (r.status_code, r.text) == (200, "done")
    r = client.patch("/change", headers={"X-CSRF-Token": token})
    assert (r.status_code, r.text) == (200, "done")
    assert client.delete("/change", headers={"X-CSRFToken": token}).status_code == 200


@pytest.mark.usefixtures("csrf")
def test_the_token_is_stable_within_a_request(app: Carboy) -> None:
    with app.test_request_context():
        assert generate_csrf() == generate_csrf()
        validate_csrf(generate_csrf())


@pytest.mark.usefixtures("csrf")
@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_missing_token_is_a_400_on_every_unsafe_method(
    client: CarboyClient, method: str
) -> None:
    get_token(client)
    path = "/submit" if method in {"POST", "PUT"} else "/change"
    r = client.open(path, method=method, data={"x": "1"})
    assert r.status_code == 400
    assert "The CSRF token is missing." in r.text
    assert client.get("/change").status_code == 200  # safe methods are not checked


@pytest.mark.usefixtures("csrf")
def test_forged_tokens_are_refused(app: Carboy, client: CarboyClient) -> None:
    token = get_token(client)
    other_key = URLSafeTimedSerializer("not the key", salt="carboy.csrf-token")
    with client.session_transaction() as sess:
        raw = sess["csrf_token"]
    forged = [
        "garbage",
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        other_key.dumps(raw),  # right secret, wrong key
        URLSafeTimedSerializer("test key", salt="other").dumps(raw),  # wrong salt
    ]
    for value in forged:
        r = client.post("/submit", data={"csrf_token": value})
        assert r.status_code == 400
        assert "The CSRF token is invalid." in r.text


@pytest.mark.usefixtures("csrf")
def test_a_token_from_another_session_is_refused(
    app: Carboy, client: CarboyClient, protocol: str
) -> None:
    attacker = app.test_client(protocol=protocol)
    attackers_token = get_token(attacker)
    get_token(client)  # the victim has a session and a token of her own
    r = client.post("/submit", data={"csrf_token": attackers_token})
    assert r.status_code == 400
    assert "The CSRF tokens do not match" in r.text
    # A victim without any session at all.
    fresh = app.test_client(protocol=protocol)
    r = fresh.post("/submit", data={"csrf_token": attackers_token})
    assert r.status_code == 400
    assert "The CSRF session token is missing" in r.text


@pytest.mark.usefixtures("csrf")
def test_an_expired_token_is_refused(
    app: Carboy, client: CarboyClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = get_token(client)
    now = TimestampSigner.get_timestamp(TimestampSigner("k"))
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + 3601)
    r = client.post("/submit", data={"csrf_token": token})
    assert r.status_code == 400
    assert "The CSRF token has expired" in r.text
    # A longer limit (or None: no limit) accepts it.
    app.config["WTF_CSRF_TIME_LIMIT"] = None
    assert client.post("/submit", data={"csrf_token": token}).status_code == 200


def test_csrf_error_is_catchable(
    app: Carboy, csrf: CSRFProtect, client: CarboyClient
) -> None:
    @app.errorhandler(CSRFError)
    def handle(e: CSRFError) -> tuple[str, int]:
        return f"custom: {e.description}", 419

    r = client.post("/submit")
    assert (r.status_code, r.text) == (419, "custom: The CSRF token is missing.")
    assert CSRFError().code == 400


def test_unmatched_requests_get_their_own_error(
    csrf: CSRFProtect, client: CarboyClient
) -> None:
    assert client.post("/nowhere").status_code == 404
    assert client.post("/token").status_code == 405


def test_exempt_views_and_blueprints(
    app: Carboy, csrf: CSRFProtect, client: CarboyClient, kind: str
) -> None:
    @app.post("/hook")
    @csrf.exempt
    def hook() -> str:
        return "hook"

    app.add_url_rule("/named", "named", make_view(kind, "named"), methods=["POST"])
    csrf.exempt("named")
    api = Blueprint("api", __name__)
    api.add_url_rule("/ping", "ping", make_view(kind, "pong"), methods=["POST"])
    inner = Blueprint("inner", __name__)
    inner.add_url_rule("/deep", "deep", make_view(kind, "deep"), methods=["POST"])
    api.register_blueprint(inner, url_prefix="/inner")
    csrf.exempt(api)
    app.register_blueprint(api, url_prefix="/api")
    checked = Blueprint("checked", __name__)
    checked.add_url_rule("/x", "x", make_view(kind), methods=["POST"])
    app.register_blueprint(checked, url_prefix="/checked")

    assert client.post("/hook").text == "hook"
    assert client.post("/named").text == "named"
    assert client.post("/api/ping").text == "pong"
    assert client.post("/api/inner/deep").text == "deep"
    assert client.post("/checked/x").status_code == 400
    assert client.post("/submit").status_code == 400


def test_exempt_by_dotted_name(
    app: Carboy, csrf: CSRFProtect, client: CarboyClient
) -> None:
    def webhook() -> str:
        return "ok"

    app.add_url_rule("/wh", "wh", webhook, methods=["POST"])
    csrf.exempt(f"{__name__}.webhook")
    assert client.post("/wh").text == "ok"


def test_disabled_and_manual_checks(
    app: Carboy, csrf: CSRFProtect, client: CarboyClient
) -> None:
    @app.post("/manual")
    def manual() -> str:
        csrf.protect()
        return "checked"

    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/submit").status_code == 200
    app.config["WTF_CSRF_ENABLED"] = True
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    assert client.post("/submit").status_code == 200

    assert client.post("/manual").status_code == 400
    token = get_token(client)
    assert client.post("/manual", data={"csrf_token": token}).text == "checked"
    app.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/manual").text == "checked"


HTTPS = "https://localhost/"


@pytest.mark.usefixtures("csrf")
@pytest.mark.parametrize(
    ("headers", "status", "message"),
    [
        ({}, 400, "The referrer header is missing"),
        ({"Referer": "https://evil.example/form"}, 400, "referrer does not match"),
        ({"Referer": "http://localhost/form"}, 400, "referrer does not match"),
        (
            {"Referer": "https://localhost.evil.example/"},
            400,
            "referrer does not match",
        ),
        ({"Referer": "https://[bad/"}, 400, "referrer does not match"),
        ({"Referer": "https://localhost/form"}, 200, "done"),
        ({"Origin": "https://evil.example"}, 400, "origin 'https://evil.example'"),
        ({"Origin": "null", "Referer": "https://localhost/"}, 400, "origin 'null'"),
        ({"Origin": "https://localhost"}, 200, "done"),
        ({"Origin": "https://trusted.example"}, 200, "done"),
        ({"Referer": "https://TRUSTED.example/page"}, 200, "done"),
    ],
)
def test_strict_origin_check_over_https(
    app: Carboy,
    client: CarboyClient,
    headers: dict[str, str],
    status: int,
    message: str,
) -> None:
    app.config["WTF_CSRF_TRUSTED_ORIGINS"] = ["https://trusted.example/"]
    token = client.get("/token", base_url=HTTPS).text
    r = client.post(
        "/submit", base_url=HTTPS, data={"csrf_token": token}, headers=headers
    )
    assert r.status_code == status
    assert message in r.text


@pytest.mark.usefixtures("csrf")
def test_strict_check_can_be_turned_off(app: Carboy, client: CarboyClient) -> None:
    app.config["WTF_CSRF_SSL_STRICT"] = False
    token = client.get("/token", base_url=HTTPS).text
    r = client.post("/submit", base_url=HTTPS, data={"csrf_token": token})
    assert r.status_code == 200


def test_a_secret_key_is_required(client: CarboyClient, app: Carboy) -> None:
    CSRFProtect(app)
    app.config["WTF_CSRF_SECRET_KEY"] = None
    app.secret_key = None
    with app.test_request_context(), pytest.raises(RuntimeError, match="secret key"):
        generate_csrf()
    with app.test_request_context(), pytest.raises(RuntimeError, match="secret key"):
        from carboy.ext.csrf import _serializer

        _serializer(None)


def test_a_separate_csrf_secret(app: Carboy, client: CarboyClient) -> None:
    CSRFProtect(app)
    app.config["WTF_CSRF_SECRET_KEY"] = "csrf only"

    @app.route("/t", methods=["GET", "POST"])
    def t() -> str:
        return generate_csrf()

    token = client.get("/t").text
    with client.session_transaction() as sess:
        raw = sess["csrf_token"]
    assert (
        URLSafeTimedSerializer("csrf only", salt="carboy.csrf-token").loads(token)
        == raw
    )
    assert client.post("/t", data={"csrf_token": token}).status_code == 200
