"""The test client's arguments behave as Flask's: every client (WSGI, ASGI, async)."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from typing import Any

import pytest

from carboy import Blueprint, Carboy, Response, redirect, request, session
from carboy.datastructures import FileStorage, Headers, MultiDict
from carboy.testing import AsyncClient, TestResponse


class _SyncAsyncClient:
    """The async client driven from a test, with the sync client's call shape."""

    def __init__(self, app: Carboy) -> None:
        self.client = AsyncClient(app)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "client":
            object.__setattr__(self, name, value)
        else:
            setattr(self.client, name, value)

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        return asyncio.run(self.client.open(*args, **kwargs))

    def get(self, *args: Any, **kwargs: Any) -> TestResponse:
        return self.open(*args, method="GET", **kwargs)

    def post(self, *args: Any, **kwargs: Any) -> TestResponse:
        return self.open(*args, method="POST", **kwargs)


@pytest.fixture(params=["wsgi", "asgi", "async"])
def any_client(app: Carboy, request: pytest.FixtureRequest) -> Any:
    """The sync client over WSGI, over ASGI, and the async client."""
    if request.param == "async":
        return _SyncAsyncClient(app)
    return app.test_client(protocol=request.param)


@pytest.fixture
def echo(app: Carboy) -> Carboy:
    @app.route("/echo", methods=["GET", "POST", "PUT"])
    def echo_view() -> dict[str, Any]:
        return {
            "url": request.url,
            "method": request.method,
            "remote": request.remote_addr,
            "scheme": request.scheme,
            "ua": request.headers.get("User-Agent"),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "args": request.args.to_dict(flat=False),
            "form": request.form.to_dict(flat=False),
            "json": request.get_json(silent=True),
            "data": request.get_data(as_text=True),
        }

    return app


# -- the app's defaults ---------------------------------------------------------------


def test_localhost_http_when_nothing_is_configured(
    echo: Carboy, any_client: Any
) -> None:
    assert any_client.get("/echo").json["url"] == "http://localhost/echo"
    with echo.test_request_context():
        assert request.url == "http://localhost/"


def test_server_name_root_and_scheme_are_the_defaults(
    echo: Carboy, any_client: Any
) -> None:
    echo.config.update(
        SERVER_NAME="example.test:1234",
        APPLICATION_ROOT="/foo",
        PREFERRED_URL_SCHEME="https",
    )
    body = any_client.get("/echo?x=1").json
    assert body["url"] == "https://example.test:1234/foo/echo?x=1"
    assert body["headers"]["host"] == "example.test:1234"
    assert body["args"] == {"x": ["1"]}
    with echo.test_request_context("/a?b=c"):
        assert request.url == "https://example.test:1234/foo/a?b=c"
        assert request.root_path == "/foo"
        assert request.path == "/a"


def test_full_url_gives_scheme_and_host_and_keeps_the_root(
    echo: Carboy, any_client: Any
) -> None:
    echo.config.update(SERVER_NAME="example.test", APPLICATION_ROOT="/foo")
    body = any_client.get("https://other.test/echo?q=1").json
    assert body["url"] == "https://other.test/foo/echo?q=1"


def test_url_scheme(echo: Carboy, any_client: Any) -> None:
    body = any_client.get("/echo", url_scheme="https").json
    assert body["url"] == "https://localhost/echo"
    assert body["scheme"] == "https"
    with echo.test_request_context(url_scheme="https"):
        assert request.url == "https://localhost/"


def test_subdomain(app: Carboy, any_client: Any) -> None:
    app.subdomain_matching = True
    app.config.update(SERVER_NAME="example.test:1234", APPLICATION_ROOT="/foo")
    bp = Blueprint("company", __name__, subdomain="xxx")

    @bp.get("/")
    def index() -> str:
        return request.url

    app.register_blueprint(bp)
    rv = any_client.get("/", subdomain="xxx")
    assert rv.status_code == 200
    assert rv.data == b"http://xxx.example.test:1234/foo/"
    assert any_client.get("/").status_code == 404
    with app.test_request_context("/", subdomain="xxx") as ctx:
        assert ctx.request.url == "http://xxx.example.test:1234/foo/"
        assert ctx.request.blueprint == "company"


@pytest.mark.parametrize("extra", [{"subdomain": "x"}, {"url_scheme": "https"}])
def test_base_url_excludes_subdomain_and_url_scheme(
    echo: Carboy, any_client: Any, extra: dict[str, str]
) -> None:
    with pytest.raises(ValueError, match="base_url"):
        any_client.get("/echo", base_url="http://a.test/", **extra)


def test_base_url_with_a_root(echo: Carboy, any_client: Any) -> None:
    body = any_client.get("/echo", base_url="https://b.test:8443/mount/").json
    assert body["url"] == "https://b.test:8443/mount/echo"


# -- environ ----------------------------------------------------------------------------


def test_environ_base_defaults(echo: Carboy, any_client: Any) -> None:
    assert any_client.environ_base == {
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_USER_AGENT": any_client.environ_base["HTTP_USER_AGENT"],
    }
    assert any_client.environ_base["HTTP_USER_AGENT"].startswith("carboy/")
    body = any_client.get("/echo").json
    assert body["remote"] == "127.0.0.1"
    assert body["ua"] == any_client.environ_base["HTTP_USER_AGENT"]


def test_environ_base_attribute_and_per_call(echo: Carboy, any_client: Any) -> None:
    any_client.environ_base["REMOTE_ADDR"] = "192.168.0.22"
    any_client.environ_base["HTTP_USER_AGENT"] = "Foo"
    body = any_client.get("/echo").json
    assert (body["remote"], body["ua"]) == ("192.168.0.22", "Foo")
    # Per call, merged over the attribute; the attribute itself is unchanged.
    body = any_client.get("/echo", environ_base={"REMOTE_ADDR": "10.0.0.1"}).json
    assert (body["remote"], body["ua"]) == ("10.0.0.1", "Foo")
    assert any_client.environ_base["REMOTE_ADDR"] == "192.168.0.22"
    # A header given for the request wins over the base.
    assert any_client.get("/echo", headers={"User-Agent": "Bar"}).json["ua"] == "Bar"
    # The request's own keys win over the base, as in Werkzeug.
    body = any_client.post(
        "/echo", environ_base={"REQUEST_METHOD": "PUT", "HTTP_HOST": "evil.test"}
    ).json
    assert body["method"] == "POST"
    assert body["url"] == "http://localhost/echo"


def test_environ_overrides_have_the_last_word(echo: Carboy, any_client: Any) -> None:
    body = any_client.get(
        "/echo",
        environ_overrides={"REMOTE_ADDR": "1.2.3.4", "wsgi.url_scheme": "https"},
        environ_base={"REMOTE_ADDR": "5.6.7.8"},
    ).json
    assert body["remote"] == "1.2.3.4"
    assert body["scheme"] == "https"
    assert body["url"] == "https://localhost/echo"


def test_an_environ_dict_can_be_opened(echo: Carboy, any_client: Any) -> None:
    rv = any_client.open(
        {"REQUEST_METHOD": "PUT", "PATH_INFO": "/echo", "QUERY_STRING": "a=1"}
    )
    assert rv.json["method"] == "PUT"
    assert rv.json["args"] == {"a": ["1"]}
    assert rv.json["remote"] == "127.0.0.1"
    with pytest.raises(TypeError, match="environ alone"):
        any_client.open({"PATH_INFO": "/echo"}, headers={"X": "1"})


def _without_log_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    """No handler above the app's logger (pytest adds one while a test runs), so the
    logger gets carboy's default handler."""
    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(logging.getLogger("test_app"), "handlers", [])


def test_errors_stream_receives_the_app_log(
    app: Carboy, any_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _without_log_handlers(monkeypatch)

    @app.get("/")
    def index() -> str:
        app.logger.error("logged for the test")
        return ""

    stream = io.StringIO()
    any_client.get("/", errors_stream=stream)
    assert "ERROR in test_client_args: logged for the test" in stream.getvalue()


def test_errors_stream_defaults_to_stderr(
    app: Carboy,
    any_client: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _without_log_handlers(monkeypatch)

    @app.get("/")
    def index() -> str:
        app.logger.error("to stderr")
        return ""

    any_client.get("/")
    assert "ERROR in test_client_args: to stderr" in capsys.readouterr().err
    with app.test_request_context():
        assert request.environ is not None
        assert request.environ["wsgi.errors"] is sys.stderr


# -- query, headers, bodies -------------------------------------------------------------


def test_query_string_shapes(echo: Carboy, any_client: Any) -> None:
    assert any_client.get(
        "/echo", query_string=MultiDict([("a", "1"), ("a", "2")])
    ).json["args"] == {"a": ["1", "2"]}
    # query_string replaces a query in the path
    assert any_client.get("/echo?x=1", query_string={"y": "é"}).json["args"] == {
        "y": ["é"]
    }


def test_headers_shapes_and_auth(echo: Carboy, any_client: Any) -> None:
    for headers in (
        {"X-A": "1"},
        [("X-A", "1")],
        Headers([("X-A", "1")]),
    ):
        assert any_client.get("/echo", headers=headers).json["headers"]["x-a"] == "1"
    body = any_client.get("/echo", auth=("ada", "s3cret")).json
    assert body["headers"]["authorization"] == "Basic YWRhOnMzY3JldA=="


def test_data_with_files(app: Carboy, any_client: Any) -> None:
    @app.post("/upload")
    def upload() -> dict[str, Any]:
        return {
            "files": [
                [key, f.filename, f.content_type, f.read().decode()]
                for key, f in request.files.items(multi=True)
            ],
            "form": request.form.to_dict(flat=False),
        }

    named = io.BytesIO(b"named")
    named.name = "/some/dir/report.csv"  # type: ignore[attr-defined]
    storage = FileStorage(io.BytesIO(b"stored"), "kept.bin", "f", None)
    rv = any_client.post(
        "/upload",
        data={
            "many": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"b"), "b.png", "x/y")],
            "named": named,
            "storage": storage,
            "field": ["1", "2"],
        },
    )
    assert rv.status_code == 200
    assert rv.json["files"] == [
        ["many", "a.txt", "text/plain", "a"],
        ["many", "b.png", "x/y", "b"],
        ["named", "/some/dir/report.csv", "text/csv", "named"],
        ["storage", "kept.bin", "application/octet-stream", "stored"],
    ]
    assert rv.json["form"] == {"field": ["1", "2"]}


def test_json_uses_the_apps_json(echo: Carboy, any_client: Any) -> None:
    echo.json.ensure_ascii = False  # type: ignore[attr-defined]
    rv = any_client.post("/echo", json={"b": "€", "a": 1})
    assert rv.json["data"] == '{"a": 1, "b": "€"}'
    assert rv.json["headers"]["content-type"] == "application/json"


# -- redirects --------------------------------------------------------------------------


def test_follow_redirects_keeps_the_root(app: Carboy, any_client: Any) -> None:
    app.config["APPLICATION_ROOT"] = "/app"

    @app.get("/a")
    def a() -> Response:
        return redirect("/app/b?x=1")

    @app.get("/b")
    def b() -> str:
        return request.url

    rv = any_client.get("/a", follow_redirects=True)
    assert rv.data == b"http://localhost/app/b?x=1"
    assert [r.status_code for r in rv.history] == [302]
    assert rv.history[0].request.url == "http://localhost/app/a"


def test_follow_redirects_refuses_another_host(app: Carboy, any_client: Any) -> None:
    @app.get("/away")
    def away() -> Response:
        return redirect("https://elsewhere.test/x")

    with pytest.raises(RuntimeError, match="another host"):
        any_client.get("/away", follow_redirects=True)
    assert any_client.get("/away").status_code == 302


def test_follow_redirects_to_a_subdomain_when_allowed(
    app: Carboy, any_client: Any
) -> None:
    app.config["SERVER_NAME"] = "example.test"
    app.subdomain_matching = True

    @app.get("/")
    def index() -> Response:
        return redirect("http://api.example.test/")

    @app.get("/", subdomain="api", endpoint="api")
    def api() -> str:
        return request.url

    with pytest.raises(RuntimeError, match="allow_subdomain_redirects"):
        any_client.get("/", follow_redirects=True)
    any_client.allow_subdomain_redirects = True
    assert (
        any_client.get("/", follow_redirects=True).data == b"http://api.example.test/"
    )


def test_redirect_loop_is_detected(app: Carboy, any_client: Any) -> None:
    @app.get("/ping")
    def ping() -> Response:
        return redirect("/pong")

    @app.get("/pong")
    def pong() -> Response:
        return redirect("/ping")

    with pytest.raises(RuntimeError, match="Redirect loop.*'http://localhost/pong'"):
        any_client.get("/ping", follow_redirects=True)


# -- session_transaction ----------------------------------------------------------------


def test_session_transaction_needs_cookies(app: Carboy, protocol: str) -> None:
    client = app.test_client(use_cookies=False, protocol=protocol)
    with pytest.raises(TypeError, match="use_cookies=True"):
        with client.session_transaction():
            pass  # pragma: no cover
    async_client = AsyncClient(app, use_cookies=False)
    with pytest.raises(TypeError, match="use_cookies=True"):
        with async_client.session_transaction():
            pass  # pragma: no cover


def test_session_transaction_fails_clearly_without_a_session(
    app: Carboy, any_client: Any
) -> None:
    app.config["SECRET_KEY"] = None
    with pytest.raises(RuntimeError, match="did not open a session"):
        with any_client.session_transaction():
            pass  # pragma: no cover


def test_request_is_usable_inside_session_transaction(
    app: Carboy, any_client: Any
) -> None:
    app.config.update(SERVER_NAME="example.test", APPLICATION_ROOT="/root")
    torn_down: list[Any] = []

    @app.get("/who")
    def who() -> str:
        return str(session.get("user"))

    @app.teardown_request
    def record(exc: BaseException | None) -> None:
        torn_down.append(exc)

    with any_client.session_transaction("/who?x=1") as sess:
        assert request.url == "http://example.test/root/who?x=1"
        assert request.endpoint == "who"
        assert request.args["x"] == "1"
        sess["user"] = "ada"
        assert torn_down == []
    assert torn_down == [None]
    # The cookie went to the jar for SERVER_NAME, so the next request sends it.
    assert any_client.get("/who").data == b"ada"


def test_session_transaction_with_subdomain_and_base_url(
    app: Carboy, any_client: Any
) -> None:
    with any_client.session_transaction(base_url="https://b.test/") as sess:
        assert request.url == "https://b.test/"
        sess["k"] = 1
    assert any_client.get_cookie("session", domain="b.test") is not None
    assert any_client.get_cookie("session") is None


# -- EnvironBuilder ---------------------------------------------------------------------


def test_environ_builder(echo: Carboy, any_client: Any) -> None:
    from carboy.testing import EnvironBuilder

    builder = EnvironBuilder(echo, "https://example.test/echo?a=1", method="PUT")
    assert (builder.url_scheme, builder.host, builder.script_root) == (
        "https",
        "example.test",
        "",
    )
    assert (builder.path, builder.query_string, builder.method) == (
        "/echo",
        "a=1",
        "PUT",
    )
    assert builder.base_url == "https://example.test/"
    assert builder.get_request().url == "https://example.test/echo?a=1"
    rv = any_client.open(builder)
    assert rv.json["method"] == "PUT"
    assert rv.json["url"] == "https://example.test/echo?a=1"
    builder.close()


def test_environ_builder_uses_the_apps_defaults_and_json(echo: Carboy) -> None:
    from carboy.testing import EnvironBuilder

    echo.config.update(SERVER_NAME="example.test:8080", APPLICATION_ROOT="/r")
    echo.json.ensure_ascii = False  # type: ignore[attr-defined]
    builder = EnvironBuilder(echo, json="€")
    assert builder.input_stream.read().decode() == '"€"'
    assert builder.content_type == "application/json"
    assert builder.content_length == 5
    assert builder.base_url == "http://example.test:8080/r/"
    assert EnvironBuilder(echo).content_length is None
