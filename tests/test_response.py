"""The Response object, make_response, jsonify and redirect."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carboy import Carboy, Response, jsonify, make_response, redirect
from carboy.testing import CarboyClient

# -- the object -------------------------------------------------------------------------


def test_defaults() -> None:
    rv = Response()
    assert rv.status_code == 200
    assert rv.status == "200 OK"
    assert rv.mimetype == "text/html"
    assert rv.content_type == "text/html; charset=utf-8"
    assert rv.get_data() == b""


def test_constructor_arguments() -> None:
    rv = Response("hi", 201, {"X-A": "1"}, mimetype="text/plain")
    assert rv.status == "201 CREATED" or rv.status.lower() == "201 created"
    assert rv.headers["X-A"] == "1"
    assert rv.content_type == "text/plain; charset=utf-8"
    assert rv.data == b"hi"
    assert rv.content_length == 2


def test_content_type_argument_is_used_as_is() -> None:
    rv = Response(b"x", content_type="application/octet-stream")
    assert rv.content_type == "application/octet-stream"
    assert rv.mimetype == "application/octet-stream"


def test_mimetype_without_charset_for_non_text() -> None:
    assert Response(mimetype="application/json").content_type == "application/json"
    assert Response(mimetype="image/png").content_type == "image/png"


def test_headers_list_and_content_type_header() -> None:
    rv = Response("x", headers=[("Content-Type", "text/csv"), ("X-B", "2")])
    assert rv.content_type == "text/csv"
    assert rv.headers.getlist("X-B") == ["2"]


def test_status_settable() -> None:
    rv = Response()
    rv.status_code = 404
    assert rv.status == "404 NOT FOUND" or rv.status == "404 Not Found"
    rv.status = "299 Custom"
    assert rv.status_code == 299
    assert rv.status == "299 Custom"
    rv.status = 418
    assert rv.status_code == 418
    rv.status = "201"
    assert rv.status_code == 201
    assert rv.status.startswith("201 ")
    with pytest.raises(ValueError):
        rv.status = "abc"
    with pytest.raises(ValueError):
        rv.status = ""


def test_unknown_status_code() -> None:
    rv = Response(status=599)
    assert rv.status_code == 599
    assert rv.status.startswith("599 ")


def test_set_data_and_get_data() -> None:
    rv = Response()
    rv.set_data("é")
    assert rv.get_data() == "é".encode()
    assert rv.get_data(as_text=True) == "é"
    assert rv.content_length == 2
    rv.data = b"abc"
    assert rv.data == b"abc"
    assert rv.headers["Content-Length"] == "3"


def test_mimetype_and_content_type_setters() -> None:
    rv = Response()
    rv.mimetype = "text/plain"
    assert rv.content_type == "text/plain; charset=utf-8"
    rv.content_type = "application/xml; charset=ascii"
    assert rv.mimetype == "application/xml"
    assert rv.mimetype_params == {"charset": "ascii"}


def test_content_length_setter() -> None:
    rv = Response(b"abc")
    rv.content_length = 10
    assert rv.headers["Content-Length"] == "10"
    rv.content_length = None
    assert "Content-Length" not in rv.headers


def test_location() -> None:
    rv = Response()
    assert rv.location is None
    rv.location = "/there"
    assert rv.headers["Location"] == "/there"
    assert rv.location == "/there"


def test_json_property() -> None:
    rv = Response('{"a": 1}', mimetype="application/json")
    assert rv.is_json
    assert rv.json == {"a": 1}
    assert Response("x").json is None
    assert Response("[1]").get_json(force=True) == [1]
    assert Response("{", mimetype="application/json").get_json(silent=True) is None


def test_generator_body_is_streamed() -> None:
    def gen() -> Iterator[str]:
        yield "a"
        yield "b"

    rv = Response(gen())
    assert rv.is_streamed
    assert rv.get_data() == b"ab"
    assert not rv.is_streamed
    assert rv.content_length == 2


def test_call_on_close_and_close() -> None:
    closed: list[str] = []

    def gen() -> Iterator[bytes]:
        try:
            yield b"x"
        finally:
            closed.append("gen")

    rv = Response(gen())
    next(iter(rv.response))
    rv.call_on_close(lambda: closed.append("callback"))
    rv.close()
    assert closed == ["gen", "callback"]


def test_header_values_reject_crlf_nul() -> None:
    rv = Response()
    for bad in ("a\r\nSet-Cookie: x=1", "a\nb", "a\rb", "a\0b"):
        with pytest.raises(ValueError):
            rv.headers["X-Bad"] = bad
        with pytest.raises(ValueError):
            rv.headers.add("X-Bad", bad)
        with pytest.raises(ValueError):
            rv.headers.set("X-Bad", bad)
        with pytest.raises(ValueError):
            Response(headers={"X-Bad": bad})
        with pytest.raises(ValueError):
            rv.location = bad


# -- cookies -----------------------------------------------------------------------------


def test_set_cookie_all_arguments() -> None:
    rv = Response()
    rv.set_cookie(
        "k",
        "v",
        max_age=timedelta(hours=1),
        expires=datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC),
        path="/p",
        domain="example.test",
        secure=True,
        httponly=True,
        samesite="Strict",
        partitioned=True,
    )
    header = rv.headers["Set-Cookie"]
    parts = [p.strip() for p in header.split(";")]
    assert parts[0] == "k=v"
    lower = {p.split("=")[0].lower(): p for p in parts[1:]}
    assert lower["max-age"] == "Max-Age=3600"
    assert lower["expires"] == "Expires=Wed, 02 Jan 2030 03:04:05 GMT"
    assert lower["path"] == "Path=/p"
    assert lower["domain"].lower() == "domain=example.test"
    assert "secure" in lower
    assert "httponly" in lower
    assert lower["samesite"] == "SameSite=Strict"
    assert "partitioned" in lower


def test_set_cookie_defaults_and_multiple() -> None:
    rv = Response()
    rv.set_cookie("a", "1")
    rv.set_cookie("b", "2", max_age=60)
    a, b = rv.headers.getlist("Set-Cookie")
    assert a == "a=1; Path=/"
    assert b.startswith("b=2;")
    assert "Max-Age=60" in b


def test_set_cookie_quotes_unsafe_values() -> None:
    rv = Response()
    rv.set_cookie("k", 'va lue;"x"')
    header = rv.headers["Set-Cookie"]
    assert "\r" not in header and "\n" not in header
    assert header.startswith('k="')


@pytest.mark.parametrize("name", ["bad name", "a;b", "a\r\nb", ""])
def test_set_cookie_rejects_bad_names(name: str) -> None:
    with pytest.raises(ValueError):
        Response().set_cookie(name, "v")


def test_set_cookie_rejects_bad_attributes() -> None:
    with pytest.raises(ValueError):
        Response().set_cookie("k", "v", path="/a;b")
    with pytest.raises(ValueError):
        Response().set_cookie("k", "v", domain="x\r\n")
    with pytest.raises(ValueError):
        Response().set_cookie("k", "v", samesite="Sometimes")


def test_delete_cookie() -> None:
    rv = Response()
    rv.delete_cookie("k", path="/p", domain="example.test", partitioned=True)
    header = rv.headers["Set-Cookie"]
    assert header.startswith("k=;") or header.startswith('k="";')
    assert "Max-Age=0" in header
    assert "Expires=Thu, 01 Jan 1970 00:00:00 GMT" in header
    assert "Path=/p" in header
    assert "Partitioned" in header


def test_cookies_round_trip_through_client(app: Carboy, client: CarboyClient) -> None:
    @app.get("/set")
    def set_() -> Response:
        rv = make_response("set")
        rv.set_cookie("name", "a value; with=stuff")
        return rv

    @app.get("/get")
    def get() -> str:
        from carboy import request

        return request.cookies["name"]

    @app.get("/del")
    def delete() -> Response:
        rv = make_response("del")
        rv.delete_cookie("name")
        return rv

    client.get("/set")
    assert client.get("/get").data == b"a value; with=stuff"
    client.get("/del")
    assert client.get("/get").status_code == 400


# -- through the adapters ----------------------------------------------------------------


def test_streamed_generator_through_adapter(app: Carboy, client: CarboyClient) -> None:
    steps: list[str] = []

    @app.get("/")
    def index() -> Response:
        def gen() -> Iterator[str]:
            steps.append("start")
            yield "one "
            yield "two"
            steps.append("end")

        return Response(gen(), mimetype="text/plain")

    rv = client.get("/")
    assert rv.data == b"one two"
    assert steps == ["start", "end"]
    assert "Content-Length" not in rv.headers


def test_call_on_close_runs_under_adapter(app: Carboy, client: CarboyClient) -> None:
    closed: list[bool] = []

    @app.get("/")
    def index() -> Response:
        rv = make_response("x")
        rv.call_on_close(lambda: closed.append(True))
        return rv

    client.get("/")
    assert closed == [True]


def test_header_injection_from_view_is_an_error(
    app: Carboy, client: CarboyClient
) -> None:
    @app.get("/")
    def index() -> Response:
        rv = make_response("x")
        rv.headers["X-Bad"] = "a\r\nSet-Cookie: evil=1"
        return rv

    with pytest.raises(ValueError):
        client.get("/")


# -- helpers -------------------------------------------------------------------------------


def test_make_response_forms(app: Carboy) -> None:
    with app.test_request_context():
        rv = make_response()
        assert rv.status_code == 200 and rv.data == b""
        rv = make_response("body", 404)
        assert (rv.status_code, rv.data) == (404, b"body")
        rv = make_response("body", {"X-A": "1"})
        assert rv.headers["X-A"] == "1"
        rv = make_response("body", 201, [("X-A", "2")])
        assert (rv.status_code, rv.headers["X-A"]) == (201, "2")
        rv = make_response({"a": 1})
        assert rv.json == {"a": 1}
        existing = Response("same")
        assert make_response(existing) is existing
        assert isinstance(rv, app.response_class)


def test_make_response_needs_a_context() -> None:
    with pytest.raises(RuntimeError, match="application context"):
        make_response("x")


def test_jsonify_forms(app: Carboy) -> None:
    with app.app_context():
        assert jsonify().json is None
        assert jsonify(1).json == 1
        assert jsonify([1, 2]).json == [1, 2]
        assert jsonify(1, 2).json == [1, 2]
        assert jsonify(a=1, b=2).json == {"a": 1, "b": 2}
        assert jsonify({"a": 1}).json == {"a": 1}
        rv = jsonify(a=1)
        assert rv.mimetype == "application/json"
        assert rv.data.endswith(b"\n")
        with pytest.raises(TypeError):
            jsonify(1, a=2)


def test_jsonify_needs_a_context() -> None:
    with pytest.raises(RuntimeError):
        jsonify(a=1)


def test_jsonify_in_view(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> Any:
        return jsonify(ok=True, items=[1, 2])

    rv = client.get("/")
    assert rv.json == {"ok": True, "items": [1, 2]}
    assert rv.mimetype == "application/json"


@pytest.mark.parametrize("code", [301, 302, 303, 307, 308])
def test_redirect(app: Carboy, client: CarboyClient, code: int) -> None:
    @app.get("/from")
    def from_() -> Response:
        return redirect("/to", code)

    rv = client.get("/from")
    assert rv.status_code == code
    assert rv.headers["Location"] == "/to"
    assert b"/to" in rv.data
    assert rv.mimetype == "text/html"


def test_redirect_default_code_and_escaping() -> None:
    rv = redirect('/x?a="<b>"')
    assert rv.status_code == 302
    assert b"<b>" not in rv.data
    assert '"' not in rv.headers["Location"]


def test_redirect_works_without_context() -> None:
    rv = redirect("https://example.test/ü")
    assert rv.headers["Location"] == "https://example.test/%C3%BC"


class _AppResponse(Response):
    pass


class _RedirectingApp(Carboy):
    response_class = _AppResponse

    def redirect(self, location: str, code: int = 302) -> Response:
        rv = super().redirect(location, code)
        rv.headers["X-Redirected-By"] = "app"
        return rv


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_redirect_uses_the_current_apps_redirect(protocol: str, is_async: bool) -> None:
    app = _RedirectingApp("redirecting", static_folder=None)

    if is_async:

        @app.get("/")
        async def index() -> Response:
            return redirect("/to", 307)

    else:

        @app.get("/")
        def index() -> Response:
            return redirect("/to", 307)

    rv = app.test_client(protocol=protocol).get("/")
    assert rv.status_code == 307
    assert rv.headers["Location"] == "/to"
    assert rv.headers["X-Redirected-By"] == "app"
    with app.app_context():
        made = redirect("/x", Response=Response)  # the app's class wins, as in Flask
        assert type(made) is _AppResponse
        assert made.headers["X-Redirected-By"] == "app"
    assert type(app.redirect("/y")) is _AppResponse


def test_redirect_outside_an_app_uses_the_given_class() -> None:
    rv = redirect("/z", 301, Response=_AppResponse)
    assert type(rv) is _AppResponse
    assert rv.status_code == 301
    assert type(redirect("/z")) is Response
