"""@cache.cached on views, under WSGI and ASGI, def and async def, with the in-process
and the Redis backend; above all the attacks: a cached page must never reach another
user (session-dependent pages, cookies, private responses, a key that mixes users) and
one request must not poison the page for others (query string, Host, Vary)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from carboy import Carboy, Response, abort, request, session
from carboy.ext.cache import Cache
from carboy.testing import CarboyClient


def add_view(
    app: Carboy,
    cache: Cache,
    kind: str,
    rule: str,
    body: Callable[[], Any],
    methods: tuple[str, ...] = ("GET",),
    **options: Any,
) -> list[int]:
    """A cached view at ``rule`` (``def`` or ``async def``) that records each run."""
    calls: list[int] = []
    endpoint = rule.strip("/").replace("/", "_") or "index"

    if kind == "def":

        def view() -> Any:
            calls.append(1)
            return body()

    else:

        async def view() -> Any:  # type: ignore[misc]
            calls.append(1)
            return body()

    view.__name__ = endpoint
    app.route(rule, methods=list(methods))(cache.cached(**options)(view))
    return calls


def login_view(app: Carboy) -> None:
    @app.post("/login/<name>")
    def login(name: str) -> str:
        session["user"] = name
        return "ok"


def counter() -> Callable[[], str]:
    count = iter(range(1, 1000))
    return lambda: f"render {next(count)}"


def test_second_request_is_served_from_the_cache(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)
    calls = add_view(app, cache, kind, "/news", counter())
    first = client.get("/news")
    second = client.get("/news")
    assert (first.status_code, first.text) == (200, "render 1")
    assert (second.status_code, second.text) == (200, "render 1")
    assert second.headers["Content-Type"] == "text/html; charset=utf-8"
    assert second.headers["Content-Length"] == "8"
    assert len(calls) == 1
    assert client.head("/news").status_code == 200
    assert len(calls) == 1  # HEAD shares the GET entry


def test_entries_expire(app: Carboy, client: CarboyClient, kind: str) -> None:
    cache = Cache(app)
    calls = add_view(app, cache, kind, "/news", counter(), timeout=0.05)
    assert client.get("/news").text == "render 1"
    time.sleep(0.15)
    assert client.get("/news").text == "render 2"
    assert len(calls) == 2


def test_query_string_is_in_the_key_by_default(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)
    # The attack: a page that reflects the query, cached under the bare path, would
    # show one visitor's (an attacker's) query to everyone.
    add_view(app, cache, kind, "/search", lambda: f"results for {request.args['q']}")
    assert client.get("/search?q=<script>evil").text == "results for <script>evil"
    assert client.get("/search?q=shoes").text == "results for shoes"
    assert client.get("/search?q=<script>evil").text == "results for <script>evil"


def test_query_string_false_shares_one_entry(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)
    calls = add_view(app, cache, kind, "/home", counter(), query_string=False)
    assert client.get("/home?utm=a").text == "render 1"
    assert client.get("/home?utm=b").text == "render 1"
    assert len(calls) == 1


def test_host_is_in_the_key(app: Carboy, client: CarboyClient, kind: str) -> None:
    cache = Cache(app)
    add_view(app, cache, kind, "/links", lambda: f"https://{request.host}/reset")
    forged = client.get("/links", headers={"Host": "evil.example"})
    assert forged.text == "https://evil.example/reset"
    assert client.get("/links").text == "https://localhost/reset"


def test_only_get_and_head_are_cached(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)
    calls = add_view(app, cache, kind, "/form", counter(), methods=("GET", "POST"))
    assert client.post("/form").text == "render 1"
    assert client.post("/form").text == "render 2"
    assert client.get("/form").text == "render 3"
    assert client.get("/form").text == "render 3"
    assert len(calls) == 3


def test_only_200_is_cached_by_default(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)
    state = {"n": 0}

    def body() -> Any:
        state["n"] += 1
        return (f"missing {state['n']}", 404)

    calls = add_view(app, cache, kind, "/gone", body)
    assert (client.get("/gone").status_code, client.get("/gone").text) == (
        404,
        "missing 2",
    )
    assert len(calls) == 2


def test_response_filter_widens_what_is_stored(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)
    calls = add_view(
        app,
        cache,
        kind,
        "/gone",
        lambda: ("gone", 410),
        response_filter=lambda r: r.status_code in {200, 410},
    )
    assert client.get("/gone").status_code == 410
    again = client.get("/gone")
    assert (again.status_code, again.text) == (410, "gone")
    assert len(calls) == 1


def test_raised_errors_are_not_cached(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)

    def body() -> str:
        abort(403)

    calls = add_view(app, cache, kind, "/secret", body)
    assert client.get("/secret").status_code == 403
    assert client.get("/secret").status_code == 403
    assert len(calls) == 2


def test_unless_skips_the_cache(app: Carboy, client: CarboyClient, kind: str) -> None:
    cache = Cache(app)
    calls = add_view(
        app, cache, kind, "/page", counter(), unless=lambda: "fresh" in request.args
    )
    assert client.get("/page").text == "render 1"
    assert client.get("/page?fresh=1").text == "render 2"
    assert client.get("/page").text == "render 1"
    assert len(calls) == 2


def test_callable_key_prefix(app: Carboy, client: CarboyClient, kind: str) -> None:
    cache = Cache(app)
    calls = add_view(app, cache, kind, "/b", counter(), key_prefix=lambda: "shared")
    assert client.get("/b").text == "render 1"
    assert cache.get("shared") is not None
    assert client.get("/b?other=1").text == "render 1"
    assert len(calls) == 1


def test_after_request_hooks_run_on_a_hit(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)
    seen: list[str] = []

    @app.after_request
    def stamp(response: Response) -> Response:
        seen.append(response.get_data(as_text=True))
        response.headers["X-Hook"] = "yes"
        return response

    add_view(app, cache, kind, "/news", counter())
    client.get("/news")
    hit = client.get("/news")
    assert hit.headers["X-Hook"] == "yes"
    assert seen == ["render 1", "render 1"]


# -- the attack: one user's cached page served to another -----------------------------


@pytest.mark.parametrize(
    "key_prefix", ["view/%s", "dashboard"], ids=["default-key", "fixed-key"]
)
def test_a_key_that_mixes_users_never_serves_one_users_page_to_another(
    app: Carboy, protocol: str, kind: str, key_prefix: str
) -> None:
    """The view reads the session but the key names no user: a cache that stored the
    first response would show Alice's page to Bob. It must not store it."""
    cache = Cache(app)
    login_view(app)
    calls = add_view(
        app,
        cache,
        kind,
        "/me",
        lambda: f"private page of {session.get('user', 'nobody')}",
        key_prefix=key_prefix,
    )
    alice = app.test_client(protocol=protocol)
    bob = app.test_client(protocol=protocol)
    alice.post("/login/alice")
    bob.post("/login/bob")
    assert alice.get("/me").text == "private page of alice"
    assert bob.get("/me").text == "private page of bob"
    assert alice.get("/me").text == "private page of alice"
    assert (
        app.test_client(protocol=protocol).get("/me").text == "private page of nobody"
    )
    assert len(calls) == 4


def test_a_session_read_in_a_hook_also_keeps_the_page_out(
    app: Carboy, protocol: str, kind: str
) -> None:
    cache = Cache(app)
    login_view(app)

    @app.before_request
    def load_user() -> None:
        app.config["LAST_USER"] = session.get("user")

    calls = add_view(
        app, cache, kind, "/me", lambda: f"hello {app.config['LAST_USER']}"
    )
    alice = app.test_client(protocol=protocol)
    alice.post("/login/alice")
    assert alice.get("/me").text == "hello alice"
    assert app.test_client(protocol=protocol).get("/me").text == "hello None"
    assert len(calls) == 2


def test_per_session_keys_the_page_on_the_session_cookie(
    app: Carboy, protocol: str, kind: str
) -> None:
    cache = Cache(app)
    login_view(app)
    count = iter(range(1, 100))
    calls = add_view(
        app,
        cache,
        kind,
        "/me",
        lambda: f"{session.get('user')} #{next(count)}",
        per_session=True,
    )
    alice = app.test_client(protocol=protocol)
    bob = app.test_client(protocol=protocol)
    alice.post("/login/alice")
    bob.post("/login/bob")
    assert alice.get("/me").text == "alice #1"
    assert bob.get("/me").text == "bob #2"
    assert alice.get("/me").text == "alice #1"
    assert bob.get("/me").text == "bob #2"
    assert len(calls) == 2


def test_per_session_callable_keys_on_the_user(
    app: Carboy, protocol: str, kind: str
) -> None:
    cache = Cache(app)
    login_view(app)
    count = iter(range(1, 100))
    calls = add_view(
        app,
        cache,
        kind,
        "/me",
        lambda: f"{session.get('user')} #{next(count)}",
        per_session=lambda: session.get("user"),
    )
    alice1 = app.test_client(protocol=protocol)
    alice2 = app.test_client(protocol=protocol)  # Alice on a second device
    bob = app.test_client(protocol=protocol)
    alice1.post("/login/alice")
    alice2.post("/login/alice")
    bob.post("/login/bob")
    assert alice1.get("/me").text == "alice #1"
    assert alice2.get("/me").text == "alice #1"
    assert bob.get("/me").text == "bob #2"
    assert len(calls) == 2


@pytest.mark.parametrize("per_session", [False, True])
def test_a_response_that_sets_a_cookie_is_never_cached(
    app: Carboy, protocol: str, kind: str, per_session: bool
) -> None:
    """Replayed, the cookie of the first visitor (a tracking id, a token) would be
    handed to every later visitor, also with ``per_session`` (all visitors without a
    session share the same empty session key)."""
    cache = Cache(app)
    count = iter(range(1, 100))

    def body() -> Response:
        response = app.make_response("welcome")
        response.set_cookie("visitor", f"id-{next(count)}")
        return response

    calls = add_view(app, cache, kind, "/welcome", body, per_session=per_session)
    first = app.test_client(protocol=protocol).get("/welcome")
    second = app.test_client(protocol=protocol).get("/welcome")
    assert first.headers["Set-Cookie"].startswith("visitor=id-1;")
    assert second.headers["Set-Cookie"].startswith("visitor=id-2;")
    assert len(calls) == 2


@pytest.mark.parametrize("value", ["private", "no-store", "private, max-age=60"])
def test_private_and_no_store_responses_are_not_cached(
    app: Carboy, client: CarboyClient, kind: str, value: str
) -> None:
    cache = Cache(app)
    count = iter(range(1, 100))
    calls = add_view(
        app,
        cache,
        kind,
        "/account",
        lambda: (f"account {next(count)}", {"Cache-Control": value}),
    )
    assert client.get("/account").text == "account 1"
    assert client.get("/account").text == "account 2"
    assert len(calls) == 2


def test_a_response_that_varies_on_a_request_header_is_not_cached(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)

    def body() -> Any:
        lang = request.headers.get("Accept-Language", "en")
        return (f"hello in {lang}", {"Vary": "Accept-Language"})

    add_view(app, cache, kind, "/hello", body)
    assert client.get("/hello", headers={"Accept-Language": "fr"}).text == (
        "hello in fr"
    )
    assert client.get("/hello").text == "hello in en"


def test_a_streamed_response_is_not_cached(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)
    count = iter(range(1, 100))
    calls = add_view(app, cache, kind, "/stream", lambda: iter([f"part {next(count)}"]))
    assert client.get("/stream").text == "part 1"
    assert client.get("/stream").text == "part 2"
    assert len(calls) == 2


def test_an_unreachable_cache_serves_uncached(
    protocol: str, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    from redis_server import _free_port

    app = Carboy("test_down")
    app.config.update(
        SECRET_KEY="k",
        CACHE_TYPE="redis",
        CACHE_REDIS_URL=f"redis://127.0.0.1:{_free_port()}/0",
    )
    cache = Cache(app)
    calls = add_view(app, cache, kind, "/news", counter())
    client = app.test_client(protocol=protocol)
    assert client.get("/news").text == "render 1"
    assert client.get("/news").text == "render 2"
    assert len(calls) == 2
    assert "Cache call failed; serving uncached." in caplog.text


def test_response_filter_can_refuse_a_200(
    app: Carboy, client: CarboyClient, kind: str
) -> None:
    cache = Cache(app)
    calls = add_view(
        app, cache, kind, "/live", counter(), response_filter=lambda r: False
    )
    assert client.get("/live").text == "render 1"
    assert client.get("/live").text == "render 2"
    assert len(calls) == 2


def test_a_cached_view_called_outside_a_request_says_so(app: Carboy) -> None:
    cache = Cache(app)

    @cache.cached()
    def view() -> str:  # pragma: no cover - never runs
        return "x"

    with pytest.raises(RuntimeError, match="needs a request"):
        view()
