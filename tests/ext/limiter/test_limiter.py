"""Limiter under WSGI and ASGI, def and async def views, memory and Redis counters,
both algorithms: 429 with Retry-After, RateLimit-* headers, the app's own 429
handler, exempt views and blueprints, per-view, per-blueprint and shared limits."""

from __future__ import annotations

from typing import Any

import pytest

from carboy import Blueprint, Carboy, Response, g, jsonify, request
from carboy.ext.limiter import Limiter
from carboy.testing import CarboyClient


def add_view(app: Carboy | Blueprint, kind: str, rule: str, name: str) -> Any:
    if kind == "def":

        def view() -> str:
            return f"ok {name}"

    else:

        async def view() -> str:  # type: ignore[misc]
            return f"ok {name}"

    view.__name__ = name
    app.add_url_rule(rule, name, view, methods=["GET", "POST"])
    return view


def statuses(client: CarboyClient, path: str, n: int, **kw: Any) -> list[int]:
    return [client.get(path, **kw).status_code for _ in range(n)]


def test_default_limits_then_429(app: Carboy, client: CarboyClient, kind: str) -> None:
    Limiter(app, default_limits=["3/minute"])
    add_view(app, kind, "/", "index")
    allowed = [client.get("/") for _ in range(3)]
    assert [r.status_code for r in allowed] == [200, 200, 200]
    assert [r.headers["RateLimit-Remaining"] for r in allowed] == ["2", "1", "0"]
    assert {r.headers["RateLimit-Limit"] for r in allowed} == {"3"}
    refused = client.get("/")
    assert refused.status_code == 429
    assert "Rate limit exceeded: 3 per 1 minute." in refused.text
    assert refused.headers["RateLimit-Limit"] == "3"
    assert refused.headers["RateLimit-Remaining"] == "0"
    retry = int(refused.headers["Retry-After"])
    assert 1 <= retry <= 120
    assert refused.headers["RateLimit-Reset"] == str(retry)


def test_fixed_window_reset_header(
    client: CarboyClient, app: Carboy, strategy: str
) -> None:
    Limiter(app, default_limits=["2/minute"])
    add_view(app, "def", "/", "index")
    first = client.get("/")
    reset = int(first.headers["RateLimit-Reset"])
    if strategy == "fixed-window":
        assert reset == 60  # the window starts at the first request
        client.get("/")
        refused = client.get("/")
        retry = refused.headers["Retry-After"]
        assert retry == refused.headers["RateLimit-Reset"]
        assert 1 <= int(retry) <= 60
    else:
        assert 1 <= reset <= 60  # the end of the current clock window


def test_each_view_counts_on_its_own_with_defaults(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    Limiter(app, default_limits=["2/minute"])
    add_view(app, kind, "/a", "a")
    add_view(app, kind, "/b", "b")
    assert statuses(client, "/a", 3) == [200, 200, 429]
    assert statuses(client, "/b", 3) == [200, 200, 429]


def test_route_limit_replaces_the_defaults(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    limiter = Limiter(app, default_limits=["1/minute"])
    limiter.limit("3/minute")(add_view(app, kind, "/search", "search"))
    assert statuses(client, "/search", 4) == [200, 200, 200, 429]


def test_decorator_order_does_not_matter(app: Carboy, client: CarboyClient) -> None:
    limiter = Limiter(app)

    @app.get("/over")
    @limiter.limit("1/minute")
    def over() -> str:
        return "over"

    @limiter.limit("1/minute")
    @app.get("/under")
    def under() -> str:
        return "under"

    assert statuses(client, "/over", 2) == [200, 429]
    assert statuses(client, "/under", 2) == [200, 429]


def test_several_limits_in_one_string(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    limiter = Limiter(app)
    limiter.limit("2/minute;3/hour")(add_view(app, kind, "/", "index"))
    first = client.get("/")
    # The tighter one is reported: one left of 2 per minute.
    assert (first.headers["RateLimit-Limit"], first.headers["RateLimit-Remaining"]) == (
        "2",
        "1",
    )
    assert statuses(client, "/", 2) == [200, 429]


def test_stacked_decorators_all_apply(app: Carboy, client: CarboyClient) -> None:
    limiter = Limiter(app)

    @app.get("/")
    @limiter.limit("5/minute")
    @limiter.limit("2/hour")
    def index() -> str:
        return "x"

    assert statuses(client, "/", 3) == [200, 200, 429]


def test_exempt_view(app: Carboy, client: CarboyClient, kind: str) -> None:
    limiter = Limiter(app, default_limits=["1/minute"])
    limiter.exempt(add_view(app, kind, "/health", "health"))
    responses = [client.get("/health") for _ in range(5)]
    assert [r.status_code for r in responses] == [200] * 5
    assert "RateLimit-Limit" not in responses[0].headers


def test_blueprint_limits_exempt_blueprints_and_nesting(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    limiter = Limiter(app, default_limits=["1/minute"])
    api = Blueprint("api", __name__, url_prefix="/api")
    v2 = Blueprint("v2", __name__, url_prefix="/v2")
    public = Blueprint("public", __name__, url_prefix="/public")
    add_view(api, kind, "/a", "a")
    add_view(api, kind, "/b", "b")
    add_view(v2, kind, "/c", "c")
    special = add_view(api, kind, "/special", "special")
    add_view(public, kind, "/p", "p")
    limiter.limit("3/minute")(api)
    limiter.limit("1/hour")(special)
    limiter.exempt(public)
    api.register_blueprint(v2)
    app.register_blueprint(api)
    app.register_blueprint(public)
    # The blueprint's limit is shared by its views, nested ones included.
    assert [
        client.get(p).status_code for p in ["/api/a", "/api/b", "/api/v2/c", "/api/a"]
    ] == [200, 200, 200, 429]
    assert statuses(client, "/api/special", 2) == [200, 429]
    assert statuses(client, "/public/p", 4) == [200] * 4


def test_key_func_scope_exempt_when_methods_and_callable_limits(
    app: Carboy, client: CarboyClient
) -> None:
    limiter = Limiter(app)
    app.config["SEARCH_LIMIT"] = "2/minute"

    @app.route("/user", methods=["GET", "POST"])
    @limiter.limit("1/minute", key_func=lambda: request.args["user"])
    def user() -> str:
        return "u"

    @app.get("/one")
    @limiter.limit("3/minute", scope="shared")
    def one() -> str:
        return "1"

    @app.get("/two")
    @limiter.limit("3/minute", scope="shared")
    def two() -> str:
        return "2"

    @app.get("/vip")
    @limiter.limit("1/minute", exempt_when=lambda: request.args.get("vip") == "yes")
    def vip() -> str:
        return "v"

    @app.route("/write", methods=["GET", "POST"])
    @limiter.limit("1/minute", methods=["post"])
    def write() -> str:
        return "w"

    @app.get("/search")
    @limiter.limit(lambda: app.config["SEARCH_LIMIT"])
    def search() -> str:
        return "s"

    assert statuses(client, "/user?user=ann", 2) == [200, 429]
    assert statuses(client, "/user?user=bob", 1) == [200]
    assert [client.get(p).status_code for p in ["/one", "/two", "/one", "/two"]] == [
        200,
        200,
        200,
        429,
    ]
    assert statuses(client, "/vip?vip=yes", 3) == [200, 200, 200]
    assert statuses(client, "/vip", 2) == [200, 429]
    assert statuses(client, "/write", 3) == [200, 200, 200]
    assert [client.post("/write").status_code for _ in range(2)] == [200, 429]
    assert statuses(client, "/search", 3) == [200, 200, 429]


def test_the_apps_429_handler_runs(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    Limiter(app, default_limits=["1/minute"])
    add_view(app, kind, "/", "index")

    if kind == "def":

        @app.errorhandler(429)
        def too_many(e: Any) -> Any:
            return jsonify(error="slow down", detail=e.description), 429

    else:

        @app.errorhandler(429)
        async def too_many(e: Any) -> Any:
            return jsonify(error="slow down", detail=e.description), 429

    client.get("/")
    refused = client.get("/")
    assert refused.status_code == 429
    assert refused.json == {
        "error": "slow down",
        "detail": "Rate limit exceeded: 1 per 1 minute.",
    }
    assert 1 <= int(refused.headers["Retry-After"]) <= 120
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_headers_can_be_turned_off(app: Carboy, client: CarboyClient) -> None:
    app.config["RATELIMIT_HEADERS_ENABLED"] = False
    Limiter(app, default_limits=["1/minute"])
    add_view(app, "def", "/", "index")
    allowed = client.get("/")
    refused = client.get("/")
    assert "RateLimit-Limit" not in allowed.headers
    assert "RateLimit-Remaining" not in refused.headers
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 120


def test_disabled(app: Carboy, client: CarboyClient) -> None:
    app.config["RATELIMIT_ENABLED"] = False
    Limiter(app, default_limits=["1/minute"])
    add_view(app, "def", "/", "index")
    assert statuses(client, "/", 3) == [200, 200, 200]


def test_not_found_is_not_counted(app: Carboy, client: CarboyClient) -> None:
    Limiter(app, default_limits=["1/minute"])
    assert statuses(client, "/nowhere", 3) == [404, 404, 404]


def test_after_request_sees_the_state(app: Carboy, client: CarboyClient) -> None:
    Limiter(app, default_limits=["2/minute"])
    add_view(app, "def", "/", "index")
    seen: list[int] = []

    @app.after_request
    def record(response: Response) -> Response:
        seen.append(response.status_code)
        assert g.get("_carboy_rate_limit") is not None
        return response

    statuses(client, "/", 3)
    assert seen == [200, 200, 429]


def test_config_default_and_port_order(app: Carboy, client: CarboyClient) -> None:
    app.config["RATELIMIT_DEFAULT"] = "1/minute"
    # Flask-Limiter 3 takes key_func first: Limiter(get_remote_address, app=app).
    Limiter(lambda: "everyone").init_app(app)
    add_view(app, "def", "/", "index")
    assert statuses(client, "/", 2, environ_base={"REMOTE_ADDR": "10.0.0.9"}) == [
        200,
        429,
    ]


def test_bad_configuration() -> None:
    app = Carboy("bad")
    with pytest.raises(ValueError, match="Unknown RATELIMIT_STRATEGY 'leaky'"):
        Limiter(app, strategy="leaky")
    with pytest.raises(
        ValueError, match="Unknown RATELIMIT_STORAGE_URI 'memcached://x'"
    ):
        Limiter(app, storage_uri="memcached://x")
    with pytest.raises(ValueError, match="Invalid rate limit '5/fortnight'"):
        Limiter(app, default_limits=["5/fortnight"])
    with pytest.raises(ValueError, match="Invalid rate limit 'lots'"):
        Limiter(app).limit("lots")


def test_sliding_window_counter_alias_and_reset() -> None:
    app = Carboy("alias")
    limiter = Limiter(app, strategy="sliding-window-counter", default_limits=["1/hour"])
    add_view(app, "def", "/", "index")
    client = app.test_client()
    assert statuses(client, "/", 2) == [200, 429]
    with app.app_context():
        limiter.reset()
    assert statuses(client, "/", 1) == [200]
    with pytest.raises(RuntimeError, match="needs an app context"):
        limiter.reset()


def test_a_failing_storage_is_a_500_unless_swallowed(
    client: CarboyClient,
    app: Carboy,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from carboy.ext.limiter import MemoryStorage, RedisStorage

    def broken(*args: Any) -> Any:
        raise ConnectionError("storage down")

    async def broken_async(*args: Any) -> Any:
        raise ConnectionError("storage down")

    monkeypatch.setattr(MemoryStorage, "hit", broken)
    monkeypatch.setattr(RedisStorage, "hit_async", broken_async)
    app.config["TESTING"] = False  # the 500 page, not the exception
    Limiter(app, default_limits=["1/minute"])
    add_view(app, "def", "/", "index")
    assert client.get("/").status_code == 500
    app.config["RATELIMIT_SWALLOW_ERRORS"] = True
    lenient = Carboy("lenient")
    lenient.config.update(app.config)
    Limiter(lenient, default_limits=["1/minute"])
    add_view(lenient, "def", "/", "index")
    lenient_client = lenient.test_client(protocol=client.protocol)
    assert [lenient_client.get("/").status_code for _ in range(2)] == [200, 200]
    assert "Rate limit storage failed; request let through." in caplog.text
