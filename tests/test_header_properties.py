"""Typed header properties of responses (and test responses) and requests, as
Flask 3.1 documents them, under both adapters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from carboy import Carboy, Response, request
from carboy.sansio.http import (
    ContentRange,
    ContentSecurityPolicy,
    HeaderSet,
    RequestCacheControl,
    ResponseCacheControl,
    WWWAuthenticate,
)
from carboy.testing import CarboyClient

WHEN = datetime(2024, 2, 29, 12, 30, 5, tzinfo=UTC)


# -- response: cache control ---------------------------------------------------------


def test_cache_control_changes_rewrite_the_header() -> None:
    rv = Response()
    assert "Cache-Control" not in rv.headers
    assert isinstance(rv.cache_control, ResponseCacheControl)
    assert rv.cache_control.max_age is None
    rv.cache_control.max_age = 300
    assert rv.headers["Cache-Control"] == "max-age=300"
    rv.cache_control.public = True
    assert rv.headers["Cache-Control"] == "max-age=300, public"
    cc = rv.cache_control
    cc.immutable = True
    cc.must_revalidate = True
    cc.s_maxage = timedelta(seconds=60).seconds
    assert rv.headers["Cache-Control"] == (
        "max-age=300, public, immutable, must-revalidate, s-maxage=60"
    )
    assert (cc.public, cc.immutable, cc.no_store, cc.max_age) == (
        True,
        True,
        False,
        300,
    )
    cc.public = False
    del cc.immutable
    cc.max_age = None
    assert rv.headers["Cache-Control"] == "must-revalidate, s-maxage=60"
    cc.clear()
    assert "Cache-Control" not in rv.headers


def test_cache_control_no_cache_and_private() -> None:
    rv = Response()
    rv.cache_control.no_cache = True
    rv.cache_control.private = "Set-Cookie"
    assert rv.headers["Cache-Control"] == 'no-cache, private="Set-Cookie"'
    assert rv.cache_control.no_cache is True
    assert rv.cache_control.private == "Set-Cookie"
    rv.cache_control.no_store = True
    rv.cache_control.no_cache = None
    assert rv.headers["Cache-Control"] == 'private="Set-Cookie", no-store'
    assert rv.cache_control.no_cache is None


def test_cache_control_read_from_header() -> None:
    rv = Response(headers={"Cache-Control": 'Public, MAX-AGE=60, no-cache="a, b", x=y'})
    cc = rv.cache_control
    assert cc.public is True
    assert cc.max_age == 60
    assert cc.no_cache == "a, b"
    assert cc["x"] == "y"
    assert cc.stale_while_revalidate is None
    cc.stale_while_revalidate = 30
    assert rv.headers["Cache-Control"] == (
        'public, max-age=60, no-cache="a, b", x=y, stale-while-revalidate=30'
    )


def test_cache_control_bad_values() -> None:
    rv = Response(headers={"Cache-Control": "max-age=abc, s-maxage=-1"})
    assert rv.cache_control.max_age is None
    assert rv.cache_control.s_maxage is None
    with pytest.raises(TypeError):
        rv.cache_control.public = "yes"
    with pytest.raises(TypeError):
        rv.cache_control.max_age = True
    rv.cache_control = "no-store"  # type: ignore[assignment]
    assert rv.cache_control.no_store is True
    rv.cache_control = None  # type: ignore[assignment]
    assert "Cache-Control" not in rv.headers


# -- response: sets -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "header"),
    [
        ("allow", "Allow"),
        ("vary", "Vary"),
        ("content_language", "Content-Language"),
        ("access_control_allow_headers", "Access-Control-Allow-Headers"),
        ("access_control_allow_methods", "Access-Control-Allow-Methods"),
        ("access_control_expose_headers", "Access-Control-Expose-Headers"),
    ],
)
def test_header_sets(attribute: str, header: str) -> None:
    rv = Response()
    value = getattr(rv, attribute)
    assert isinstance(value, HeaderSet)
    assert not value
    value.add("GET")
    assert rv.headers[header] == "GET"
    getattr(rv, attribute).update(["Post", "get", "X-Thing"])
    assert rv.headers[header] == "GET, Post, X-Thing"
    assert "post" in getattr(rv, attribute)
    getattr(rv, attribute).discard("POST")
    assert rv.headers[header] == "GET, X-Thing"
    setattr(rv, attribute, ["a", "b"])
    assert rv.headers[header] == "a, b"
    setattr(rv, attribute, "c, d")
    assert getattr(rv, attribute).as_set() == {"c", "d"}
    getattr(rv, attribute).clear()
    assert header not in rv.headers
    setattr(rv, attribute, ["x"])
    delattr(rv, attribute)
    assert header not in rv.headers
    setattr(rv, attribute, ["x"])
    setattr(rv, attribute, None)
    assert header not in rv.headers


def test_vary_and_add_vary_agree() -> None:
    rv = Response()
    rv.add_vary("Cookie")
    rv.vary.add("Accept-Encoding")
    rv.add_vary("accept-encoding")
    assert rv.headers["Vary"] == "Cookie, Accept-Encoding"
    assert rv.vary == {"cookie", "accept-encoding"}


def test_header_set_methods() -> None:
    items = HeaderSet(["A", "b"])
    assert items.find("B") == 1
    assert items.find("z") == -1
    assert items.index("a") == 0
    with pytest.raises(IndexError):
        items.index("z")
    with pytest.raises(KeyError):
        items.remove("z")
    items.remove("A")
    assert list(items) == ["b"]
    assert items[0] == "b"
    del items[0]
    assert len(items) == 0
    assert str(HeaderSet(["x", "y"])) == "x, y"
    assert repr(HeaderSet(["x"])) == "HeaderSet(['x'])"
    assert HeaderSet(["X"]).as_set(preserve_casing=True) == {"X"}
    assert HeaderSet(["X"]) == HeaderSet(["x"])
    assert HeaderSet(["X"]) != 1


# -- response: dates, numbers, text ---------------------------------------------------


@pytest.mark.parametrize(
    ("attribute", "header"),
    [("expires", "Expires"), ("last_modified", "Last-Modified"), ("date", "Date")],
)
def test_date_headers(attribute: str, header: str) -> None:
    rv = Response()
    assert getattr(rv, attribute) is None
    setattr(rv, attribute, WHEN)
    assert rv.headers[header] == "Thu, 29 Feb 2024 12:30:05 GMT"
    assert getattr(rv, attribute) == WHEN
    setattr(rv, attribute, 0)
    assert rv.headers[header] == "Thu, 01 Jan 1970 00:00:00 GMT"
    setattr(rv, attribute, "garbage")
    assert getattr(rv, attribute) is None
    setattr(rv, attribute, None)
    assert header not in rv.headers


def test_age_and_retry_after() -> None:
    rv = Response()
    assert rv.age is None
    rv.age = 120
    assert rv.headers["Age"] == "120"
    rv.age = timedelta(minutes=3)
    assert rv.age == timedelta(seconds=180)
    with pytest.raises(ValueError, match="negative"):
        rv.age = -1
    rv.retry_after = 30
    assert rv.headers["Retry-After"] == "30"
    retry = rv.retry_after
    assert retry is not None
    assert timedelta(seconds=29) < retry - datetime.now(UTC) <= timedelta(seconds=30)
    rv.retry_after = WHEN
    assert rv.headers["Retry-After"] == "Thu, 29 Feb 2024 12:30:05 GMT"
    assert rv.retry_after == WHEN
    del rv.retry_after
    assert rv.retry_after is None


def test_text_headers() -> None:
    rv = Response()
    rv.location = "/next"
    rv.accept_ranges = "bytes"
    rv.content_location = "/doc.en"
    rv.content_encoding = "gzip"
    rv.access_control_allow_origin = "https://example.com"
    assert (rv.location, rv.accept_ranges) == ("/next", "bytes")
    assert rv.headers["Content-Location"] == "/doc.en"
    assert rv.content_encoding == "gzip"
    assert rv.headers["Access-Control-Allow-Origin"] == "https://example.com"
    with pytest.raises(ValueError):
        rv.location = "/a\r\nSet-Cookie: x=1"


def test_access_control_credentials_and_max_age() -> None:
    rv = Response()
    assert rv.access_control_allow_credentials is False
    rv.access_control_allow_credentials = True
    assert rv.headers["Access-Control-Allow-Credentials"] == "true"
    assert rv.access_control_allow_credentials is True
    rv.access_control_allow_credentials = False
    assert "Access-Control-Allow-Credentials" not in rv.headers
    assert rv.access_control_allow_credentials is False
    rv.access_control_allow_credentials = True
    rv.access_control_allow_credentials = None
    assert "Access-Control-Allow-Credentials" not in rv.headers
    rv.access_control_max_age = 600
    assert rv.headers["Access-Control-Max-Age"] == "600"
    assert rv.access_control_max_age == 600


# -- response: CSP, WWW-Authenticate, Content-Range -----------------------------------


def test_content_security_policy() -> None:
    rv = Response()
    csp = rv.content_security_policy
    assert isinstance(csp, ContentSecurityPolicy)
    csp.default_src = "'self'"
    csp.img_src = "*"
    assert rv.headers["Content-Security-Policy"] == "default-src 'self'; img-src *"
    rv.content_security_policy.upgrade_insecure_requests = ""
    assert rv.content_security_policy.upgrade_insecure_requests == ""
    assert rv.headers["Content-Security-Policy"] == (
        "default-src 'self'; img-src *; upgrade-insecure-requests"
    )
    del rv.content_security_policy.img_src
    rv.content_security_policy.default_src = None
    assert rv.headers["Content-Security-Policy"] == "upgrade-insecure-requests"
    rv.content_security_policy = "script-src 'none'"  # type: ignore[assignment]
    assert rv.content_security_policy.script_src == "'none'"
    assert rv.content_security_policy["script-src"] == "'none'"
    rv.content_security_policy_report_only.report_uri = "/csp"
    assert rv.headers["Content-Security-Policy-Report-Only"] == "report-uri /csp"
    rv.content_security_policy_report_only = None  # type: ignore[assignment]
    rv.content_security_policy = None  # type: ignore[assignment]
    assert "Content-Security-Policy" not in rv.headers
    assert "Content-Security-Policy-Report-Only" not in rv.headers


def test_www_authenticate() -> None:
    rv = Response(status=401)
    challenge = rv.www_authenticate
    assert isinstance(challenge, WWWAuthenticate)
    assert challenge.type == "basic"
    assert "WWW-Authenticate" not in rv.headers
    challenge.realm = "Admin area"
    assert rv.headers["WWW-Authenticate"] == 'Basic realm="Admin area"'
    assert rv.www_authenticate.realm == "Admin area"
    rv.www_authenticate = WWWAuthenticate("bearer", {"error": "invalid_token"})
    assert rv.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    rv.www_authenticate = [
        WWWAuthenticate("basic", {"realm": "r"}),
        WWWAuthenticate("bearer", token="abc"),
    ]
    assert rv.headers.getlist("WWW-Authenticate") == ['Basic realm="r"', "Bearer abc"]
    assert rv.www_authenticate.realm == "r"
    rv.www_authenticate.parameters["charset"] = "UTF-8"
    assert rv.headers.getlist("WWW-Authenticate") == [
        'Basic realm="r", charset="UTF-8"'
    ]
    rv.www_authenticate = None
    assert "WWW-Authenticate" not in rv.headers


def test_www_authenticate_object() -> None:
    challenge = WWWAuthenticate("Digest", {"realm": "r"})
    assert str(challenge) == 'Digest realm="r"'
    del challenge.realm
    assert challenge.realm is None
    challenge.nonce = "n"
    challenge.nonce = None
    challenge.token = None
    challenge.type = "Basic"
    challenge.parameters = {"realm": 'a "q"'}
    assert challenge.to_header() == 'Basic realm="a \\"q\\""'
    assert challenge == WWWAuthenticate("basic", {"realm": 'a "q"'})
    assert challenge != "x"
    assert repr(challenge) == '<WWWAuthenticate \'Basic realm="a \\\\"q\\\\""\'>'
    assert WWWAuthenticate.from_header("") is None
    assert WWWAuthenticate("negotiate").to_header() == "Negotiate"
    with pytest.raises(AttributeError):
        challenge._missing  # noqa: B018


def test_content_range() -> None:
    rv = Response(status=206)
    assert isinstance(rv.content_range, ContentRange)
    assert not rv.content_range
    rv.content_range.set(0, 100, 1000)
    assert rv.headers["Content-Range"] == "bytes 0-99/1000"
    rv.content_range.stop = 50
    assert rv.headers["Content-Range"] == "bytes 0-49/1000"
    rv.content_range.length = None
    assert rv.headers["Content-Range"] == "bytes 0-49/*"
    range_ = rv.content_range
    assert (range_.units, range_.start, range_.stop, range_.length) == (
        "bytes",
        0,
        50,
        None,
    )
    rv.content_range.unset()
    assert "Content-Range" not in rv.headers
    rv.content_range = "bytes */500"  # type: ignore[assignment]
    assert rv.content_range.length == 500
    assert rv.content_range.start is None
    rv.content_range = None  # type: ignore[assignment]
    assert "Content-Range" not in rv.headers


# -- through the app, under both adapters: test responses have them too -------------


@pytest.fixture
def headers_client(app: Carboy, protocol: str) -> CarboyClient:
    @app.get("/cached")
    def cached() -> Response:
        rv = Response("ok")
        rv.cache_control.max_age = 60
        rv.cache_control.public = True
        rv.expires = WHEN
        rv.last_modified = WHEN
        rv.vary.add("Accept-Language")
        rv.allow.update(["GET", "HEAD"])
        rv.content_language.add("en")
        rv.content_security_policy.default_src = "'self'"
        rv.access_control_allow_origin = "*"
        rv.age = 5
        rv.accept_ranges = "bytes"
        return rv

    @app.get("/inspect")
    def inspect() -> dict[str, Any]:
        cc = request.cache_control
        return {
            "no_cache": cc.no_cache,
            "max_age": cc.max_age,
            "max_stale": cc.max_stale,
            "if_match": sorted(request.if_match.as_set()),
            "if_none_match": sorted(request.if_none_match.as_set(include_weak=True)),
            "if_none_match_star": request.if_none_match.is_any,
            "if_modified_since": str(request.if_modified_since),
            "if_unmodified_since": str(request.if_unmodified_since),
            "range": None if request.range is None else request.range.ranges,
            "if_range": request.if_range.etag,
            "auth": None
            if request.authorization is None
            else request.authorization.type,
            "pragma": sorted(request.pragma.as_set()),
            "origin": request.origin,
            "acr_method": request.access_control_request_method,
            "acr_headers": sorted(request.access_control_request_headers.as_set()),
            "date": str(request.date),
        }

    return app.test_client(protocol=protocol)


def test_test_response_has_the_properties(headers_client: CarboyClient) -> None:
    rv = headers_client.get("/cached")
    assert rv.cache_control.max_age == 60
    assert rv.cache_control.public is True
    assert rv.headers["Cache-Control"] == "max-age=60, public"
    assert rv.expires == WHEN
    assert rv.last_modified == WHEN
    assert rv.vary.as_set() == {"accept-language"}
    assert rv.allow.as_set() == {"get", "head"}
    assert rv.content_language.as_set() == {"en"}
    assert rv.content_security_policy.default_src == "'self'"
    assert rv.access_control_allow_origin == "*"
    assert rv.age == timedelta(seconds=5)
    assert rv.accept_ranges == "bytes"
    assert rv.max_cookie_size == 4093


def test_request_properties(headers_client: CarboyClient) -> None:
    rv = headers_client.get(
        "/inspect",
        headers={
            "Cache-Control": "no-cache, max-age=0, max-stale",
            "If-Match": '"a", "b"',
            "If-None-Match": 'W/"w", "s"',
            "If-Modified-Since": "Thu, 29 Feb 2024 12:30:05 GMT",
            "If-Unmodified-Since": "garbage",
            "Range": "bytes=0-99",
            "If-Range": '"a"',
            "Authorization": "Bearer token",
            "Pragma": "no-cache",
            "Origin": "https://example.com",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "X-A, x-b",
            "Date": "Thu, 29 Feb 2024 12:30:05 GMT",
        },
    )
    assert rv.json == {
        "no_cache": True,
        "max_age": 0,
        "max_stale": True,
        "if_match": ["a", "b"],
        "if_none_match": ["s", "w"],
        "if_none_match_star": False,
        "if_modified_since": "2024-02-29 12:30:05+00:00",
        "if_unmodified_since": "None",
        "range": [[0, 100]],
        "if_range": "a",
        "auth": "bearer",
        "pragma": ["no-cache"],
        "origin": "https://example.com",
        "acr_method": "PUT",
        "acr_headers": ["x-a", "x-b"],
        "date": "2024-02-29 12:30:05+00:00",
    }


def test_request_properties_when_absent(headers_client: CarboyClient) -> None:
    assert headers_client.get("/inspect").json == {
        "no_cache": False,
        "max_age": None,
        "max_stale": None,
        "if_match": [],
        "if_none_match": [],
        "if_none_match_star": False,
        "if_modified_since": "None",
        "if_unmodified_since": "None",
        "range": None,
        "if_range": None,
        "auth": None,
        "pragma": [],
        "origin": None,
        "acr_method": None,
        "acr_headers": [],
        "date": "None",
    }


def test_request_cache_control_is_read_only() -> None:
    from carboy.sansio.http import parse_cache_control_header

    cc = parse_cache_control_header(
        "max-stale=30, min-fresh=5", None, RequestCacheControl
    )
    assert (cc.max_stale, cc.min_fresh, cc.only_if_cached) == (30, 5, False)
    with pytest.raises(TypeError, match="read-only"):
        cc["no-cache"] = None
    with pytest.raises(TypeError, match="read-only"):
        cc.no_store = True
    assert str(cc) == "max-stale=30, min-fresh=5"
    assert repr(cc) == "<RequestCacheControl 'max-stale=30, min-fresh=5'>"


def test_get_etag() -> None:
    rv = Response()
    assert rv.get_etag() == (None, None)
    rv.set_etag("abc", weak=True)
    assert rv.get_etag() == ("abc", True)
    rv.set_etag("xyz")
    assert rv.get_etag() == ("xyz", False)
