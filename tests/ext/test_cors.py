"""carboy.ext.cors under WSGI and ASGI, with def and async def views: allowed and
refused origins, preflights (including ones that try to sneak past the policy),
Vary: Origin, credentials, error responses."""

from __future__ import annotations

import re
from typing import Any

import pytest

from carboy import Carboy, abort
from carboy.ext.cors import CORS, CORSPolicy, cross_origin
from carboy.testing import CarboyClient

GOOD = "https://app.example"
EVIL = "https://evil.example"


@pytest.fixture(params=["def", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def add_view(
    app: Carboy, kind: str, rule: str, body: Any = "ok", **opts: Any
) -> list[str]:
    """A view at ``rule`` (sync or async) that records each call."""
    calls: list[str] = []

    if kind == "def":

        def view() -> Any:
            calls.append(rule)
            return body

    else:

        async def view() -> Any:  # type: ignore[misc]
            calls.append(rule)
            return body

    app.add_url_rule(rule, rule, view, **opts)
    return calls


def preflight(
    client: CarboyClient,
    path: str,
    origin: str = GOOD,
    method: str = "PUT",
    headers: str | None = None,
) -> Any:
    h = {"Origin": origin, "Access-Control-Request-Method": method}
    if headers is not None:
        h["Access-Control-Request-Headers"] = headers
    return client.options(path, headers=h)


def test_listed_origin_is_echoed_and_others_get_nothing(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    CORS(app, origins=[GOOD, "https://other.example"], expose_headers=["X-Total"])
    add_view(app, kind, "/data")
    r = client.get("/data", headers={"Origin": GOOD})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == GOOD
    assert r.headers["Access-Control-Expose-Headers"] == "X-Total"
    assert r.headers["Vary"] == "Origin"
    assert "Access-Control-Allow-Credentials" not in r.headers
    r = client.get("/data", headers={"Origin": EVIL})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Expose-Headers" not in r.headers
    assert r.headers["Vary"] == "Origin"
    # No Origin: same-origin or not a browser; the answer still varies by Origin.
    r = client.get("/data")
    assert "Access-Control-Allow-Origin" not in r.headers
    assert r.headers["Vary"] == "Origin"


@pytest.mark.parametrize(
    "origin",
    [
        GOOD + ".evil.example",  # suffix
        "https://evil.example/" + GOOD,  # not an origin at all
        "http://app.example",  # other scheme
        "https://app.example:444",  # other port
        GOOD + ", " + EVIL,  # two Origin values joined
        "null",
        "",
    ],
)
def test_near_miss_origins_are_refused(
    app: Carboy, client: CarboyClient, origin: str
) -> None:
    CORS(app, origins=GOOD)
    add_view(app, "def", "/data")
    r = client.get("/data", headers={"Origin": origin})
    assert "Access-Control-Allow-Origin" not in r.headers
    assert preflight(client, "/data", origin).status_code == 403


def test_regex_origins_must_match_the_whole_origin(
    app: Carboy, client: CarboyClient
) -> None:
    CORS(app, origins=[re.compile(r"https://[a-z]+\.app\.example")])
    add_view(app, "def", "/data")
    ok = client.get("/data", headers={"Origin": "https://eu.app.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://eu.app.example"
    for origin in ["https://eu.app.example.evil.example", "xhttps://eu.app.example"]:
        r = client.get("/data", headers={"Origin": origin})
        assert "Access-Control-Allow-Origin" not in r.headers


def test_wildcard_answers_star_but_never_null(
    app: Carboy, client: CarboyClient
) -> None:
    CORS(app)  # origins="*" by default
    add_view(app, "def", "/data")
    r = client.get("/data", headers={"Origin": EVIL})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    assert r.headers["Vary"] == "Origin"
    r = client.get("/data", headers={"Origin": "null"})
    assert "Access-Control-Allow-Origin" not in r.headers
    assert preflight(client, "/data", "null").status_code == 403


def test_null_is_allowed_when_listed(app: Carboy, client: CarboyClient) -> None:
    CORS(app, origins=["null", "*"])
    add_view(app, "def", "/data")
    r = client.get("/data", headers={"Origin": "null"})
    assert r.headers["Access-Control-Allow-Origin"] == "null"


def test_credentials_echo_the_origin(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    CORS(app, origins=[GOOD], supports_credentials=True, max_age=600)
    add_view(app, kind, "/me", methods=["GET", "PUT"])
    r = client.get("/me", headers={"Origin": GOOD})
    assert r.headers["Access-Control-Allow-Origin"] == GOOD
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    r = preflight(client, "/me", headers="Content-Type, X-Requested-With")
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == GOOD
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    # With credentials "*" is literal, so the requested headers are echoed.
    assert r.headers["Access-Control-Allow-Headers"] == "Content-Type, X-Requested-With"
    assert r.headers["Access-Control-Max-Age"] == "600"


def test_star_with_credentials_is_refused_at_configuration_time(app: Carboy) -> None:
    with pytest.raises(ValueError, match="supports_credentials=True would let every"):
        CORS(app, supports_credentials=True)
    with pytest.raises(ValueError, match="supports_credentials"):
        CORS(
            app, resources={"/api/*": {"origins": ["*"], "supports_credentials": True}}
        )
    with pytest.raises(ValueError, match="supports_credentials"):
        cross_origin(origins="*", supports_credentials=True)
    assert "cors" not in app.extensions


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"origins": "https://app.example/"}, "no path or trailing slash"),
        ({"origins": ["app.example"]}, "Invalid CORS origin 'app.example'"),
        ({"origins": [42]}, "Invalid CORS origin 42"),
        ({"methods": ["GET", "BAD METHOD"]}, "Invalid CORS method"),
        ({"allow_headers": ["X-Ok", "Bad:Header"]}, "Invalid CORS header"),
        ({"expose_headers": "X\r\nSet-Cookie"}, "Invalid CORS exposed header"),
        ({"max_age": -1}, "max_age must be >= 0"),
    ],
)
def test_bad_configuration_is_a_clear_error(setting: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        CORSPolicy.build(**setting)


def test_preflight_is_answered_and_never_reaches_the_view(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    CORS(
        app,
        origins=[GOOD],
        methods=["GET", "PUT"],
        allow_headers=["Content-Type", "X-Token"],
        max_age=__import__("datetime").timedelta(minutes=5),
    )
    calls = add_view(app, kind, "/items", methods=["GET", "PUT", "OPTIONS"])
    r = preflight(client, "/items", headers="x-token,content-type")
    assert r.status_code == 204
    assert r.data == b""
    assert r.headers["Access-Control-Allow-Origin"] == GOOD
    assert r.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert r.headers["Access-Control-Allow-Headers"] == "x-token, content-type"
    assert r.headers["Access-Control-Max-Age"] == "300"
    assert r.headers["Vary"] == (
        "Origin, Access-Control-Request-Method, Access-Control-Request-Headers"
    )
    assert calls == []
    # A plain OPTIONS (not a preflight) still reaches the app as usual.
    assert client.options("/items").status_code == 200
    assert calls == ["/items"]


@pytest.mark.parametrize(
    ("method", "headers", "reason"),
    [
        ("DELETE", None, "method 'DELETE' is not allowed"),
        ("delete", None, "method 'delete' is not allowed"),  # case-sensitive
        ("PUT", "X-Token, Authorization", "header 'Authorization' is not allowed"),
        ("PUT", "X-Token,,Cookie", "header 'Cookie' is not allowed"),
        ("PUT", "X-Token, X Evil", "malformed header name 'X Evil'"),
        ("PUT", "x-token;authorization", "malformed header name"),
    ],
)
def test_smuggled_preflights_are_refused(
    app: Carboy, client: CarboyClient, method: str, headers: str | None, reason: str
) -> None:
    CORS(app, origins=[GOOD], methods=["GET", "PUT"], allow_headers=["X-Token"])
    calls = add_view(app, "def", "/items", methods=["GET", "PUT", "DELETE"])
    r = preflight(client, "/items", method=method, headers=headers)
    assert r.status_code == 403
    assert r.text.startswith(f"CORS preflight refused: {reason}")
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Access-Control-Allow-Methods" not in r.headers
    assert calls == []


def test_actual_request_with_a_method_off_the_list_gets_no_headers(
    app: Carboy, client: CarboyClient
) -> None:
    CORS(app, origins=[GOOD], methods=["GET"])
    calls = add_view(app, "def", "/items", methods=["GET", "POST"])
    r = client.post("/items", headers={"Origin": GOOD})
    assert r.status_code == 200 and calls == ["/items"]
    assert "Access-Control-Allow-Origin" not in r.headers
    assert r.headers["Vary"] == "Origin"


def test_per_resource_settings(app: Carboy, client: CarboyClient, kind: str) -> None:
    CORS(
        app,
        resources={
            "/api/public/*": {"origins": "*"},
            re.compile(r"/api/v\d+/.*"): {
                "origins": [GOOD],
                "supports_credentials": True,
            },
        },
        max_age=60,
    )
    add_view(app, kind, "/api/public/x")
    add_view(app, kind, "/api/v2/x")
    add_view(app, kind, "/private")
    r = client.get("/api/public/x", headers={"Origin": EVIL})
    assert r.headers["Access-Control-Allow-Origin"] == "*"
    r = client.get("/api/v2/x", headers={"Origin": EVIL})
    assert "Access-Control-Allow-Origin" not in r.headers
    r = client.get("/api/v2/x", headers={"Origin": GOOD})
    assert r.headers["Access-Control-Allow-Credentials"] == "true"
    assert preflight(client, "/api/v2/x").headers["Access-Control-Max-Age"] == "60"
    # Uncovered paths: no CORS at all, and preflights go to the app.
    r = client.get("/private", headers={"Origin": GOOD})
    assert "Access-Control-Allow-Origin" not in r.headers
    assert "Vary" not in r.headers
    r = preflight(client, "/private")
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers
    assert app.extensions["cors"].policy_for("/api/v2") is None


def test_headers_on_error_responses(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False
    CORS(app, origins=[GOOD])

    if kind == "def":

        def boom() -> str:
            raise RuntimeError("boom")

        def gone() -> str:
            abort(410)

    else:

        async def boom() -> str:  # type: ignore[misc]
            raise RuntimeError("boom")

        async def gone() -> str:  # type: ignore[misc]
            abort(410)

    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/gone", "gone", gone)
    for path, status in [("/boom", 500), ("/gone", 410), ("/missing", 404)]:
        r = client.get(path, headers={"Origin": GOOD})
        assert r.status_code == status
        assert r.headers["Access-Control-Allow-Origin"] == GOOD
        assert r.headers["Vary"] == "Origin"
    r = client.post("/gone", headers={"Origin": GOOD})
    assert r.status_code == 405
    assert r.headers["Access-Control-Allow-Origin"] == GOOD


def test_a_view_that_sets_the_header_itself_is_left_alone(
    app: Carboy, client: CarboyClient
) -> None:
    CORS(app, origins=[GOOD])
    add_view(
        app, "def", "/own", body=("x", {"Access-Control-Allow-Origin": "https://mine"})
    )
    r = client.get("/own", headers={"Origin": GOOD})
    assert r.headers["Access-Control-Allow-Origin"] == "https://mine"


def test_cross_origin_decorator(app: Carboy, client: CarboyClient, kind: str) -> None:
    calls: list[str] = []
    deco = cross_origin(origins=[GOOD], methods=["GET", "PUT"], expose_headers="X-N")
    if kind == "def":

        @app.route("/one", methods=["GET", "PUT"])
        @deco
        def one() -> str:
            calls.append("one")
            return "one"

        @app.get("/fail")
        @deco
        def fail() -> str:
            abort(404)

    else:

        @app.route("/one", methods=["GET", "PUT"])
        @deco
        async def one() -> str:
            calls.append("one")
            return "one"

        @app.get("/fail")
        @deco
        async def fail() -> str:
            abort(404)

    @app.get("/plain")
    def plain() -> str:
        return "plain"

    r = client.get("/one", headers={"Origin": GOOD})
    assert r.text == "one"
    assert r.headers["Access-Control-Allow-Origin"] == GOOD
    assert r.headers["Access-Control-Expose-Headers"] == "X-N"
    assert (
        "Access-Control-Allow-Origin"
        not in client.get("/one", headers={"Origin": EVIL}).headers
    )
    r = preflight(client, "/one")
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Methods"] == "GET, PUT"
    assert preflight(client, "/one", method="DELETE").status_code == 403
    assert calls == ["one", "one"]
    r = client.options("/one")
    assert r.status_code == 200
    assert r.headers["Allow"] == "GET, HEAD, OPTIONS, PUT"
    assert calls == ["one", "one"]
    r = client.get("/fail", headers={"Origin": GOOD})
    assert r.status_code == 404
    assert r.headers["Access-Control-Allow-Origin"] == GOOD
    r = client.get("/plain", headers={"Origin": GOOD})
    assert "Access-Control-Allow-Origin" not in r.headers
