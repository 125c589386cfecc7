"""The test client: request building, redirects, cookies and preserved contexts."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest

from carboy import Carboy, Response, g, make_response, redirect, request
from carboy.testing import AsyncClient, CarboyClient


@pytest.fixture
def echo(app: Carboy) -> Carboy:
    @app.route("/echo", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def echo_view() -> dict[str, Any]:
        return {
            "method": request.method,
            "args": request.args.to_dict(flat=False),
            "headers": {k.lower(): v for k, v in request.headers.items()},
            "data": request.get_data(as_text=True),
            "form": request.form.to_dict(flat=False),
            "json": request.get_json(silent=True),
            "url": request.url,
            "remote": request.remote_addr,
            "cookies": dict(request.cookies),
        }

    return app


def test_query_string_forms(echo: Carboy, client: CarboyClient) -> None:
    assert client.get("/echo?a=1").json["args"] == {"a": ["1"]}
    assert client.get("/echo", query_string={"a": ["1", "2"], "b": "x y"}).json[
        "args"
    ] == {"a": ["1", "2"], "b": ["x y"]}
    assert client.get("/echo", query_string="c=3").json["args"] == {"c": ["3"]}
    assert client.get("/echo", query_string=b"d=4").json["args"] == {"d": ["4"]}


def test_headers_argument(echo: Carboy, client: CarboyClient) -> None:
    headers = client.get("/echo", headers={"X-Test": "1", "Accept": "x/y"}).json[
        "headers"
    ]
    assert headers["x-test"] == "1"
    assert headers["accept"] == "x/y"
    assert headers["host"] == "localhost"


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"raw bytes", "raw bytes"), ("text é", "text é")],
)
def test_data_bytes_and_str(
    echo: Carboy, client: CarboyClient, data: Any, expected: str
) -> None:
    body = client.post("/echo", data=data, content_type="text/plain").json
    assert body["data"] == expected


def test_data_dict_is_a_form(echo: Carboy, client: CarboyClient) -> None:
    body = client.post("/echo", data={"a": "1", "b": ["2", "3"]}).json
    assert body["form"] == {"a": ["1"], "b": ["2", "3"]}
    assert body["headers"]["content-type"] == "application/x-www-form-urlencoded"


def test_data_with_file_is_multipart(echo: Carboy, client: CarboyClient) -> None:
    @echo.post("/upload")
    def upload() -> dict[str, Any]:
        f = request.files["f"]
        return {"name": f.filename, "data": f.read().decode(), "x": request.form["x"]}

    rv = client.post(
        "/upload", data={"x": "1", "f": (io.BytesIO(b"file body"), "a.txt")}
    )
    assert rv.json == {"name": "a.txt", "data": "file body", "x": "1"}


def test_json_argument(echo: Carboy, client: CarboyClient) -> None:
    body = client.post("/echo", json={"k": [1, 2]}).json
    assert body["json"] == {"k": [1, 2]}
    assert body["headers"]["content-type"] == "application/json"
    with pytest.raises(TypeError):
        client.post("/echo", json={}, data=b"x")


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_method_shortcuts(echo: Carboy, client: CarboyClient, method: str) -> None:
    assert getattr(client, method)("/echo").json["method"] == method.upper()


def test_open_with_method(echo: Carboy, client: CarboyClient) -> None:
    assert client.open("/echo", method="PUT").json["method"] == "PUT"


def test_base_url(echo: Carboy, client: CarboyClient) -> None:
    body = client.get("/echo", base_url="https://example.test:8443/").json
    assert body["url"] == "https://example.test:8443/echo"
    assert body["headers"]["host"] == "example.test:8443"


def test_full_url_path(echo: Carboy, client: CarboyClient) -> None:
    assert client.get("https://other.test/echo?x=1").json["url"] == (
        "https://other.test/echo?x=1"
    )


def test_environ_base(echo: Carboy, client: CarboyClient) -> None:
    assert (
        client.get("/echo", environ_base={"REMOTE_ADDR": "1.2.3.4"}).json["remote"]
        == "1.2.3.4"
    )
    client.environ_base["REMOTE_ADDR"] = "5.6.7.8"
    assert client.get("/echo").json["remote"] == "5.6.7.8"


def test_follow_redirects_and_history(app: Carboy, client: CarboyClient) -> None:
    @app.get("/a")
    def a() -> Response:
        return redirect("/b")

    @app.get("/b")
    def b() -> Response:
        return redirect("/c?x=1", 301)

    @app.get("/c")
    def c() -> str:
        return f"c {request.args['x']}"

    rv = client.get("/a")
    assert rv.status_code == 302
    assert rv.history == ()
    rv = client.get("/a", follow_redirects=True)
    assert rv.data == b"c 1"
    assert [r.status_code for r in rv.history] == [302, 301]
    assert rv.request is not None and rv.request.path == "/c"


def test_redirect_303_changes_method_307_keeps(
    app: Carboy, client: CarboyClient
) -> None:
    @app.post("/see-other")
    def see_other() -> Response:
        return redirect("/target", 303)

    @app.post("/temp")
    def temp() -> Response:
        return redirect("/target", 307)

    @app.route("/target", methods=["GET", "POST"])
    def target() -> str:
        return f"{request.method} {request.get_data(as_text=True)}"

    assert client.post("/see-other", data=b"x", follow_redirects=True).data == b"GET "
    assert client.post("/temp", data=b"x", follow_redirects=True).data == b"POST x"


@pytest.mark.parametrize("code", [307, 308])
def test_redirect_307_308_resend_files_and_json(
    app: Carboy, client: CarboyClient, code: int
) -> None:
    """A file given as a file object was read to its end by the first request; the
    redirected request still carries it, and the same form fields and JSON."""

    @app.post("/old")
    def old() -> Response:
        return redirect("/new", code)

    @app.post("/new")
    def new() -> dict[str, object]:
        if request.is_json:
            return {"json": request.get_json()}
        upload = request.files["f"]
        return {
            "x": request.form["x"],
            "f": upload.read().decode(),
            "n": upload.filename,
        }

    data = {"x": "1", "f": (io.BytesIO(b"hello"), "h.txt")}
    rv = client.post("/old", data=data, follow_redirects=True)
    assert rv.json == {"x": "1", "f": "hello", "n": "h.txt"}
    assert [r.status_code for r in rv.history] == [code]
    rv = client.post("/old", json={"a": [1, 2]}, follow_redirects=True)
    assert rv.json == {"json": {"a": [1, 2]}}


def test_redirect_loop_is_bounded(app: Carboy, client: CarboyClient) -> None:
    @app.get("/loop")
    def loop() -> Response:
        return redirect("/loop")

    with pytest.raises(RuntimeError, match="redirects"):
        client.get("/loop", follow_redirects=True)


def test_cookies_kept_across_requests(app: Carboy, client: CarboyClient) -> None:
    @app.get("/set")
    def set_() -> Response:
        rv = make_response("ok")
        rv.set_cookie("token", "abc")
        rv.set_cookie("scoped", "s", path="/sub")
        return rv

    @app.get("/read")
    def read() -> dict[str, str]:
        return dict(request.cookies)

    @app.get("/sub/read")
    def sub_read() -> dict[str, str]:
        return dict(request.cookies)

    client.get("/set")
    assert client.get("/read").json == {"token": "abc"}
    assert client.get("/sub/read").json == {"token": "abc", "scoped": "s"}
    cookie = client.get_cookie("token")
    assert cookie is not None and cookie.value == "abc"
    client.delete_cookie("token")
    assert client.get("/read").json == {}
    client.set_cookie("manual", "m")
    assert client.get("/read").json == {"manual": "m"}


def test_cookie_max_age_zero_deletes(app: Carboy, client: CarboyClient) -> None:
    @app.get("/set")
    def set_() -> Response:
        rv = make_response("ok")
        rv.set_cookie("k", "v")
        return rv

    @app.get("/del")
    def delete() -> Response:
        rv = make_response("ok")
        rv.delete_cookie("k")
        return rv

    client.get("/set")
    assert client.get_cookie("k") is not None
    client.get("/del")
    assert client.get_cookie("k") is None


def test_use_cookies_false(app: Carboy, protocol: str) -> None:
    @app.get("/set")
    def set_() -> Response:
        rv = make_response("ok")
        rv.set_cookie("k", "v")
        return rv

    @app.get("/read")
    def read() -> dict[str, str]:
        return dict(request.cookies)

    client = app.test_client(use_cookies=False, protocol=protocol)
    client.get("/set")
    assert client.get("/read").json == {}


def test_with_client_keeps_request_and_g(app: Carboy, client: CarboyClient) -> None:
    torn_down: list[bool] = []

    @app.get("/")
    def index() -> str:
        g.value = "kept"
        return "x"

    @app.teardown_request
    def td(exc: BaseException | None) -> None:
        torn_down.append(True)

    with client:
        client.get("/?q=1")
        assert request.args["q"] == "1"
        assert g.value == "kept"
        assert torn_down == []
        client.get("/?q=2")
        assert request.args["q"] == "2"
        assert torn_down == [True]
    assert torn_down == [True, True]
    with pytest.raises(RuntimeError):
        request.args  # noqa: B018


def test_nested_with_client_fails(client: CarboyClient) -> None:
    with client:
        with pytest.raises(RuntimeError, match="nest"):
            with client:
                pass


def test_bad_protocol(app: Carboy) -> None:
    with pytest.raises(ValueError):
        app.test_client(protocol="http3")


def test_response_request_attribute(echo: Carboy, client: CarboyClient) -> None:
    rv = client.get("/echo?x=1")
    assert rv.request is not None
    assert rv.request.path == "/echo"
    assert rv.request.args["x"] == "1"


def test_async_client(app: Carboy) -> None:
    @app.route("/", methods=["GET", "POST"])
    async def index() -> dict[str, Any]:
        return {"m": request.method, "j": request.get_json(silent=True)}

    @app.get("/set")
    def set_() -> Response:
        rv = make_response("ok")
        rv.set_cookie("k", "v")
        return rv

    @app.get("/read")
    def read() -> str:
        return request.cookies.get("k", "none")

    @app.get("/go")
    def go() -> Response:
        return redirect("/")

    async def main() -> None:
        async with AsyncClient(app) as client:
            rv = await client.get("/")
            assert rv.json == {"m": "GET", "j": None}
            rv = await client.post("/", json={"a": 1})
            assert rv.json == {"m": "POST", "j": {"a": 1}}
            await client.get("/set")
            assert (await client.get("/read")).data == b"v"
            rv = await client.get("/go", follow_redirects=True)
            assert rv.json == {"m": "GET", "j": None}
            assert [r.status_code for r in rv.history] == [302]
            for method, status in [
                ("put", 405),
                ("patch", 405),
                ("delete", 405),
                ("options", 200),
                ("head", 200),
            ]:
                rv = await getattr(client, method)("/read")
                assert rv.status_code == status, method

    asyncio.run(main())


def test_async_client_concurrent_requests(app: Carboy) -> None:
    @app.get("/<int:n>")
    async def index(n: int) -> str:
        await asyncio.sleep(0.001 * (5 - n))
        return f"{request.path}"

    async def main() -> list[bytes]:
        client = AsyncClient(app)
        results = await asyncio.gather(*(client.get(f"/{n}") for n in range(5)))
        return [r.data for r in results]

    assert asyncio.run(main()) == [f"/{n}".encode() for n in range(5)]


def test_session_transaction_sets_what_the_next_request_sees(
    app: Carboy, client: CarboyClient
) -> None:
    from carboy import session

    @app.get("/who")
    def who() -> str:
        return str(session.get("user_id"))

    @app.get("/login/<int:uid>")
    def login(uid: int) -> str:
        session["user_id"] = uid
        return "ok"

    with client.session_transaction() as sess:
        assert "user_id" not in sess
        sess["user_id"] = 7
    assert client.get("/who").data == b"7"

    client.get("/login/9")
    with client.session_transaction() as sess:
        assert sess["user_id"] == 9


def test_session_transaction_changes_nothing_when_the_block_raises(
    app: Carboy, client: CarboyClient
) -> None:
    with client.session_transaction() as sess:
        sess["a"] = 1
    with pytest.raises(ZeroDivisionError), client.session_transaction() as sess:
        sess["a"] = 2
        1 / 0  # noqa: B018
    with client.session_transaction() as sess:
        assert sess["a"] == 1


def test_session_transaction_without_secret_key_explains(protocol: str) -> None:
    app = Carboy("no_key", static_folder=None)
    client = app.test_client(protocol=protocol)
    with (
        pytest.raises(RuntimeError, match="SECRET_KEY"),
        client.session_transaction(),
    ):
        pass  # pragma: no cover


def test_async_client_has_session_transaction(app: Carboy) -> None:
    from carboy import session
    from carboy.testing import AsyncClient

    @app.get("/")
    async def index() -> str:
        return str(session.get("n"))

    client = AsyncClient(app)
    with client.session_transaction() as sess:
        sess["n"] = 3
    assert asyncio.run(client.get("/")).data == b"3"


def test_response_without_content_type_stays_without(
    app: Carboy, protocol: str
) -> None:
    # The test client once rebuilt the response with the default text/html type.
    @app.delete("/gone")
    def gone() -> Response:
        response = make_response("", 204)
        del response.headers["Content-Type"]
        return response

    r = app.test_client(protocol=protocol).delete("/gone")
    assert r.status_code == 204
    assert "Content-Type" not in r.headers
    assert r.headers.get("Content-Type") is None
