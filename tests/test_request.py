"""Every ``request`` attribute, read inside a view under both adapters."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from carboy import Carboy, request
from carboy.testing import CarboyClient


def run(client: CarboyClient, probe: Callable[[], Any], *args: Any, **kw: Any) -> Any:
    app = client.application
    seen: dict[str, Any] = {}

    def view(**kwargs: Any) -> str:
        seen["value"] = probe()
        return "ok"

    app.add_url_rule(
        "/<path:rest>", "probe", view, methods=["GET", "POST", "PUT", "PATCH"]
    )
    app.add_url_rule("/", "probe_root", view, methods=["GET", "POST", "PUT", "PATCH"])
    rv = client.open(*args, **kw)
    assert rv.status_code == 200, rv.data
    return seen["value"]


def test_method_and_paths(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (
            request.method,
            request.path,
            request.full_path,
            request.script_root,
            request.url,
            request.base_url,
            request.url_root,
            request.host,
            request.host_url,
            request.scheme,
            request.is_secure,
        ),
        "/a/b?x=1&y=2",
        method="POST",
    )
    assert value == (
        "POST",
        "/a/b",
        "/a/b?x=1&y=2",
        "",
        "http://localhost/a/b?x=1&y=2",
        "http://localhost/a/b",
        "http://localhost/",
        "localhost",
        "http://localhost/",
        "http",
        False,
    )


def test_full_path_without_query(client: CarboyClient) -> None:
    assert run(client, lambda: request.full_path, "/a") == "/a?"


def test_mounted_app_paths(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (
            request.path,
            request.script_root,
            request.url,
            request.base_url,
            request.url_root,
        ),
        "/a",
        base_url="https://example.test:8443/mount/",
    )
    assert value == (
        "/a",
        "/mount",
        "https://example.test:8443/mount/a",
        "https://example.test:8443/mount/a",
        "https://example.test:8443/mount/",
    )


def test_https_is_secure(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (request.scheme, request.is_secure, request.host),
        "/",
        base_url="https://secure.test/",
    )
    assert value == ("https", True, "secure.test")


def test_unicode_path_in_url(client: CarboyClient) -> None:
    value = run(client, lambda: (request.path, request.url), "/caf%C3%A9")
    assert value == ("/café", "http://localhost/caf%C3%A9")


def test_args(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (
            request.args["a"],
            request.args.get("n", type=int),
            request.args.get("bad", type=int),
            request.args.get("missing", "dflt"),
            request.args.getlist("a"),
            request.args.getlist("n", type=int),
            "missing" in request.args,
        ),
        "/?a=1&a=2&n=5&bad=x",
    )
    assert value == ("1", 5, None, "dflt", ["1", "2"], [5], False)


def test_args_from_query_string_argument(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: request.args.to_dict(flat=False),
        "/",
        query_string={"q": ["a b", "c&d"], "e": "é"},
    )
    assert value == {"q": ["a b", "c&d"], "e": ["é"]}


def test_missing_arg_is_400(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return request.args["nope"]

    assert client.get("/").status_code == 400


def test_headers(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (
            request.headers["x-custom"],
            request.headers["X-CUSTOM"],
            request.headers.get("x-missing"),
            request.headers.getlist("X-Multi"),
            "x-custom" in request.headers,
        ),
        "/",
        headers=[("X-Custom", "v"), ("X-Multi", "1"), ("X-Multi", "2")],
    )
    assert value[:3] == ("v", "v", None)
    # The test client joins repeated request headers, as WSGI servers do (the ASGI
    # scope is built from the same request).
    assert value[3] == ["1, 2"]
    assert value[4] is True


def test_missing_header_is_400(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        return request.headers["X-Nope"]

    assert client.get("/").status_code == 400


def test_cookies(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: dict(request.cookies),
        "/",
        headers={"Cookie": 'a=1; b="quoted value"; c=3'},
    )
    assert value == {"a": "1", "b": "quoted value", "c": "3"}


def test_remote_addr(client: CarboyClient) -> None:
    assert run(client, lambda: request.remote_addr, "/") == "127.0.0.1"


def test_remote_addr_from_environ_base(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: request.remote_addr,
        "/",
        environ_base={"REMOTE_ADDR": "10.1.2.3"},
    )
    assert value == "10.1.2.3"


def test_content_type_and_length(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (
            request.content_type,
            request.mimetype,
            request.mimetype_params,
            request.content_length,
        ),
        "/",
        method="POST",
        data=b"12345",
        content_type="Text/Plain; charset=latin-1",
    )
    assert value == (
        "Text/Plain; charset=latin-1",
        "text/plain",
        {"charset": "latin-1"},
        5,
    )


def test_no_content_type(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (request.content_type, request.mimetype, request.mimetype_params),
        "/",
    )
    assert value == (None, "", {})


def test_get_data(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (
            request.get_data(),
            request.get_data(),
            request.get_data(as_text=True),
            request.data,
        ),
        "/",
        method="POST",
        data="héllo",
        content_type="text/plain",
    )
    assert value == ("héllo".encode(), "héllo".encode(), "héllo", "héllo".encode())


def test_get_data_without_cache(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (request.get_data(cache=False), request.get_data()),
        "/",
        method="POST",
        data=b"once",
    )
    assert value == (b"once", b"")


def test_json(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (request.is_json, request.json, request.get_json()),
        "/",
        method="POST",
        json={"a": [1, 2]},
    )
    assert value == (True, {"a": [1, 2]}, {"a": [1, 2]})


def test_json_suffix_type(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (request.is_json, request.get_json()),
        "/",
        method="POST",
        data=b'{"x": 1}',
        content_type="application/vnd.api+json",
    )
    assert value == (True, {"x": 1})


def test_get_json_force_silent(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (
            request.is_json,
            request.get_json(silent=True),
            request.get_json(force=True),
        ),
        "/",
        method="POST",
        data=b"[1]",
        content_type="text/plain",
    )
    assert value == (False, None, [1])


def test_get_json_cache(client: CarboyClient) -> None:
    def probe() -> Any:
        first = request.get_json()
        first.append("mutated")
        return first, request.get_json() is first, request.get_json(cache=False)

    value = run(client, probe, "/", method="POST", json=[1])
    assert value == ([1, "mutated"], True, [1])


def test_malformed_json_silent(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: request.get_json(silent=True),
        "/",
        method="POST",
        data=b"{nope",
        content_type="application/json",
    )
    assert value is None


def test_malformed_json_is_400(app: Carboy, client: CarboyClient) -> None:
    @app.post("/")
    def index() -> Any:
        return request.get_json()

    rv = client.post("/", data=b"{nope", content_type="application/json")
    assert rv.status_code == 400


def test_json_wrong_type_is_415(app: Carboy, client: CarboyClient) -> None:
    @app.post("/")
    def index() -> Any:
        return request.json

    rv = client.post("/", data=b"[1]", content_type="text/plain")
    assert rv.status_code == 415


def test_authorization_basic(client: CarboyClient) -> None:
    creds = base64.b64encode("üser:pa:ss".encode()).decode()
    auth = run(
        client,
        lambda: request.authorization,
        "/",
        headers={"Authorization": f"Basic {creds}"},
    )
    assert auth.type == "basic"
    assert (auth.username, auth.password) == ("üser", "pa:ss")


def test_authorization_bearer(client: CarboyClient) -> None:
    auth = run(
        client,
        lambda: request.authorization,
        "/",
        headers={"Authorization": "Bearer abc.def-ghi"},
    )
    assert auth.type == "bearer"
    assert auth.token == "abc.def-ghi"


@pytest.mark.parametrize(
    "header", [None, "Basic !!!", "Basic " + base64.b64encode(b"nocolon").decode()]
)
def test_authorization_absent_or_malformed(
    client: CarboyClient, header: str | None
) -> None:
    headers = {"Authorization": header} if header else {}
    assert run(client, lambda: request.authorization, "/", headers=headers) is None


def test_user_agent(client: CarboyClient) -> None:
    ua = run(
        client,
        lambda: str(request.user_agent),
        "/",
        headers={"User-Agent": "probe/1.0"},
    )
    assert ua == "probe/1.0"


def test_user_agent_has_flasks_attributes(client: CarboyClient) -> None:
    """A ported app reads ``request.user_agent.string``; the guessed fields are None,
    as in Werkzeug since it stopped parsing the header."""
    seen = run(
        client,
        lambda: [
            request.user_agent.string,
            request.user_agent.browser,
            request.user_agent.platform,
            request.user_agent.to_header(),
            "probe" in request.user_agent,
        ],
        "/",
        headers={"User-Agent": "probe/1.0 (X11)"},
    )
    assert seen == ["probe/1.0 (X11)", None, None, "probe/1.0 (X11)", True]


def test_user_agent_absent_is_empty(client: CarboyClient) -> None:
    ua = run(client, lambda: request.user_agent, "/", headers={"User-Agent": ""})
    assert (ua.string, bool(ua)) == ("", False)


def test_routing_attributes(app: Carboy, client: CarboyClient) -> None:
    seen: dict[str, Any] = {}

    @app.get("/u/<int:id>")
    def user(id: int) -> str:
        seen.update(
            endpoint=request.endpoint,
            view_args=request.view_args,
            rule=request.url_rule.rule,
            blueprint=request.blueprint,
        )
        return "ok"

    client.get("/u/5")
    assert seen == {
        "endpoint": "user",
        "view_args": {"id": 5},
        "rule": "/u/<int:id>",
        "blueprint": None,
    }


def test_routing_attributes_on_404(app: Carboy, client: CarboyClient) -> None:
    seen: dict[str, Any] = {}

    @app.errorhandler(404)
    def nf(e: Exception) -> tuple[str, int]:
        seen.update(endpoint=request.endpoint, rule=request.url_rule)
        return "nf", 404

    assert client.get("/nowhere").status_code == 404
    assert seen == {"endpoint": None, "rule": None}


def test_environ_and_scope(client: CarboyClient, protocol: str) -> None:
    environ, scope = run(client, lambda: (request.environ, request.scope), "/p?q=1")
    if protocol == "wsgi":
        assert scope is None
        assert environ["PATH_INFO"] == "/p"
        assert environ["QUERY_STRING"] == "q=1"
        assert environ["REQUEST_METHOD"] == "GET"
    else:
        assert environ is None
        assert scope["type"] == "http"
        assert scope["path"] == "/p"
        assert scope["query_string"] == b"q=1"


def test_form_body_read_in_view(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: request.form.to_dict(),
        "/",
        method="POST",
        data={"a": "1", "b": "é"},
    )
    assert value == {"a": "1", "b": "é"}


def test_request_repr(client: CarboyClient) -> None:
    assert run(client, lambda: repr(request), "/r?x=1") == (
        "<Request 'http://localhost/r?x=1' [GET]>"
    )


def test_form_after_get_data(client: CarboyClient) -> None:
    value = run(
        client,
        lambda: (request.get_data(), request.form.to_dict()),
        "/",
        method="POST",
        data={"a": "1"},
    )
    assert value == (b"a=1", {"a": "1"})


def test_accept_headers_are_parsed(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> dict[str, object]:
        mimetypes = request.accept_mimetypes
        return {
            "best": mimetypes.best,
            "match": mimetypes.best_match(["application/json", "text/html"]),
            "json_in": "application/json" in mimetypes,
            "png_in": "image/png" in mimetypes,
            "lang": request.accept_languages.best_match(["en", "fr"]),
            "enc": "gzip" in request.accept_encodings,
            "charset": request.accept_charsets.quality("utf-8"),
        }

    rv = client.get(
        "/",
        headers={
            "Accept": "text/html;q=0.9, application/json, image/*;q=0",
            "Accept-Language": "fr;q=0.8, en;q=0.5",
            "Accept-Encoding": "br, gzip;q=0.5",
        },
    )
    assert rv.json == {
        "best": "application/json",
        "match": "application/json",
        "json_in": True,
        "png_in": False,
        "lang": "fr",
        "enc": True,
        "charset": 0.0,
    }


def test_accept_wildcards_and_specific_ranges() -> None:
    from carboy.sansio.http import Accept, parse_accept_header

    accept = Accept(parse_accept_header("text/*;q=0.3, text/html;q=0.7, */*;q=0.1"))
    assert accept.quality("text/html") == 0.7  # the specific range decides
    assert accept.quality("text/plain") == 0.3
    assert accept.quality("image/png") == 0.1
    assert accept.best_match(["image/png", "text/plain"]) == "text/plain"
    assert accept.best_match([], default="x") == "x"
    empty = Accept(parse_accept_header(None))
    assert not empty and len(empty) == 0 and empty.best is None
    assert "text/html" not in empty
    assert list(Accept([("a", 1.0)])) == [("a", 1.0)]
    assert repr(Accept([("a", 1.0)])) == "Accept([('a', 1.0)])"
    assert 3 not in accept
