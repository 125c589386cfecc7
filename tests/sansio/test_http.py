"""Tests for carboy.sansio.http: header values, cookies, dates, ETags, ranges."""

from __future__ import annotations

import base64
import hashlib
import re
import time
import urllib.parse
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carboy.sansio.http import (
    HTTP_STATUS_CODES,
    Authorization,
    ContentRange,
    ETags,
    IfRange,
    Range,
    content_disposition,
    dump_cookie,
    generate_etag,
    http_date,
    is_valid_header_name,
    is_valid_header_value,
    parse_accept_header,
    parse_authorization,
    parse_cookie,
    parse_date,
    parse_dict_header,
    parse_etags,
    parse_if_range_header,
    parse_list_header,
    parse_options_header,
    parse_range_header,
    quote_etag,
    status_line,
    unquote_etag,
)
from carboy.sansio.http.dates import _full_year

# Text without lone surrogates (which cannot be UTF-8 encoded).
text = st.text(st.characters(codec="utf-8"))
TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
token = st.text(st.sampled_from(TCHARS), min_size=1)

# Hostile inputs shared by several parsers: each must simply complete (the parsers
# are linear; a quadratic one would hang the suite, not fail an assertion on time).
HOSTILE = [
    '"' * 100_000,
    "a=" + "\\\\" * 50_000,
    'a="' + "\\" * 100_000 + '"',
    'a="' + "\\012" * 30_000 + '"',
    'a="' + "\\0" * 50_000,
    ";" * 100_000,
    "," * 100_000,
    "=" * 100_000,
    " " * 100_000 + "x",
    "\t" * 100_000,
    'a="b' + ";" * 100_000,
    '"a' + " b" * 50_000,
    'W/"' * 30_000,
    "x; " + "a*=utf-8''" * 10_000,
    "-" * 100_000,
    "0-" * 50_000,
]

# ----------------------------------------------------------------------- cookies


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, []),
        ("", []),
        ("a=1", [("a", "1")]),
        ("a=1; b=2", [("a", "1"), ("b", "2")]),
        ("a=1;b=2;", [("a", "1"), ("b", "2")]),
        (" \ta = 1 \t; b=2", [("a", "1"), ("b", "2")]),
        ("a=1; a=2; b=3; a=4", [("a", "1"), ("a", "2"), ("b", "3"), ("a", "4")]),
        ("=v; ;;  ; a=1", [("a", "1")]),
        ("flag; a=1", [("flag", ""), ("a", "1")]),
        ("a=", [("a", "")]),
        ("a=b=c", [("a", "b=c")]),
        ("a=x y", [("a", "x y")]),
        ("a=,b", [("a", ",b")]),
        ("a=\u00e9", [("a", "é")]),
    ],
)
def test_parse_cookie(header: str | None, expected: list[tuple[str, str]]) -> None:
    assert parse_cookie(header) == expected


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("\x0b__Host-x=1", "\x0b__Host-x"),
        ("\xa0__Host-x=1", "\xa0__Host-x"),
        ("\x0c__Secure-x=1", "\x0c__Secure-x"),
        ("\u2003__Host-x=1", "\u2003__Host-x"),
        ("__Host-x\x0b=1", "__Host-x\x0b"),
        ("\r\n__Host-x=1", "\r\n__Host-x"),
    ],
)
def test_parse_cookie_only_trims_space_and_tab(header: str, name: str) -> None:
    # A cookie set without the __Host- guarantees must never read as __Host-x.
    assert parse_cookie(header) == [(name, "1")]
    assert parse_cookie(header)[0][0] != "__Host-x"


def test_parse_cookie_trims_space_and_tab_around_prefixed_name() -> None:
    assert parse_cookie(" \t__Host-x=1") == [("__Host-x", "1")]


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ('"abc"', "abc"),
        ('""', ""),
        ('"', '"'),
        ('"abc', '"abc'),
        ('abc"', 'abc"'),
        ('"a b"', "a b"),
        (' "a" ', "a"),
        ('"a\\"b"', 'a"b'),
        ('"a\\\\b"', "a\\b"),
        ('"\\012"', "\n"),
        ('"x\\073y"', "x;y"),
        ('"\\303\\251t\\303\\251"', "été"),
        ('"\\377"', "\ufffd"),
        ('"\\8"', "8"),
        ('"\\400"', "400"),
        ('"a\\"', "a\\"),
        ('"\\\\012"', "\\012"),
        ("\\012", "\\012"),
        ('"a""b"', 'a""b'),
    ],
)
def test_parse_cookie_quoted_values(raw: str, value: str) -> None:
    assert parse_cookie(f"k={raw}") == [("k", value)]


@pytest.mark.parametrize("header", HOSTILE)
def test_parse_cookie_hostile_input_completes(header: str) -> None:
    for name, _value in parse_cookie(header):
        assert name and ";" not in name


@given(st.text())
def test_parse_cookie_never_raises(header: str) -> None:
    for name, _value in parse_cookie(header):
        assert name
        assert ";" not in name
        assert name[0] not in " \t" and name[-1] not in " \t"


@given(token, text)
def test_cookie_round_trip(key: str, value: str) -> None:
    header = dump_cookie(key, value, path=None)
    assert header.isascii()
    assert parse_cookie(header) == [(key, value)]


@given(st.lists(st.tuples(token, text), max_size=5))
def test_cookie_round_trip_several(pairs: list[tuple[str, str]]) -> None:
    header = "; ".join(dump_cookie(k, v, path=None) for k, v in pairs)
    assert parse_cookie(header) == pairs


def test_dump_cookie_defaults() -> None:
    assert dump_cookie("k") == "k=; Path=/"
    assert dump_cookie("k", "v") == "k=v; Path=/"
    assert dump_cookie("k", "v", path=None) == "k=v"
    assert dump_cookie("k", "v", path="/app") == "k=v; Path=/app"


@pytest.mark.parametrize(
    ("value", "dumped"),
    [
        ("abc!#$%&'()*+-./:<=>?@[]^_`{|}~", "abc!#$%&'()*+-./:<=>?@[]^_`{|}~"),
        ("a b", '"a b"'),
        ("a;b", '"a\\073b"'),
        ("a,b", '"a\\054b"'),
        ('a"b', '"a\\"b"'),
        ("a\\b", '"a\\\\b"'),
        ("\r\n\x00", '"\\015\\012\\000"'),
        ("é", '"\\303\\251"'),
        ("\x7f", '"\\177"'),
    ],
)
def test_dump_cookie_quotes_values(value: str, dumped: str) -> None:
    assert dump_cookie("k", value, path=None) == f"k={dumped}"


def test_dump_cookie_attributes() -> None:
    header = dump_cookie(
        "k",
        "v",
        path="/p",
        domain="example.com",
        secure=True,
        httponly=True,
        samesite="strict",
    )
    assert header == (
        "k=v; Domain=example.com; Secure; HttpOnly; Path=/p; SameSite=Strict"
    )


@pytest.mark.parametrize(
    ("samesite", "emitted"),
    [("Strict", "Strict"), ("LAX", "Lax"), ("lax", "Lax"), ("none", "None")],
)
def test_dump_cookie_samesite(samesite: str, emitted: str) -> None:
    header = dump_cookie("k", samesite=samesite)
    assert header.endswith(f"; SameSite={emitted}")
    # SameSite=None needs nothing else added.
    assert "Secure" not in header


@pytest.mark.parametrize("samesite", ["", "strictly", "None; x", "lax "])
def test_dump_cookie_invalid_samesite(samesite: str) -> None:
    with pytest.raises(ValueError, match="samesite"):
        dump_cookie("k", samesite=samesite)


def test_dump_cookie_partitioned_implies_secure() -> None:
    assert dump_cookie("k", partitioned=True) == "k=; Secure; Path=/; Partitioned"
    header = dump_cookie("k", secure=True, partitioned=True)
    assert header.count("Secure") == 1


def test_dump_cookie_max_age_sets_expires() -> None:
    before = int(time.time())
    header = dump_cookie("k", "v", max_age=3600)
    after = int(time.time()) + 1
    attrs = dict(part.split("=", 1) for part in header.split("; ")[1:] if "=" in part)
    assert attrs["Max-Age"] == "3600"
    expires = parse_date(attrs["Expires"])
    assert expires is not None
    assert before + 3600 <= expires.timestamp() <= after + 3600


def test_dump_cookie_max_age_timedelta() -> None:
    assert "; Max-Age=90;" in dump_cookie("k", max_age=timedelta(minutes=1.5))


def test_dump_cookie_expires_forms() -> None:
    epoch = "Expires=Thu, 01 Jan 1970 00:00:00 GMT"
    assert epoch in dump_cookie("k", expires=0)
    assert epoch in dump_cookie("k", expires=0.5)
    assert epoch in dump_cookie("k", expires=datetime(1970, 1, 1, tzinfo=UTC))
    assert "Expires=whenever;" in dump_cookie("k", expires="whenever")
    # An explicit expires wins over the one max_age implies.
    header = dump_cookie("k", expires=0, max_age=10)
    assert epoch in header and "Max-Age=10" in header


def test_dump_cookie_delete_form() -> None:
    header = dump_cookie("k", max_age=0, expires=0)
    assert "Max-Age=0" in header and "1970" in header


def test_dump_cookie_domain_idna_and_path_quoting() -> None:
    header = dump_cookie("k", domain="bücher.example", path="/ä b")
    assert "Domain=xn--bcher-kva.example" in header
    assert "Path=/%C3%A4%20b" in header


@pytest.mark.parametrize(
    "key",
    ["", "a b", "a;b", "a=b", "a,b", '"a"', "a\r\nb", "a\x00", "é", "a\tb", "(a)"],
)
def test_dump_cookie_invalid_key(key: str) -> None:
    with pytest.raises(ValueError, match="Invalid cookie name"):
        dump_cookie(key, "v")


@pytest.mark.parametrize("bad", ["/a\r\nSet-Cookie: x=1", "/a\n", "/\x00", "/a;b"])
@pytest.mark.parametrize("attribute", ["path", "domain", "expires"])
def test_dump_cookie_rejects_header_injection(attribute: str, bad: str) -> None:
    with pytest.raises(ValueError, match=f"Cookie {attribute}"):
        dump_cookie("k", "v", **{attribute: bad})  # type: ignore[arg-type]


def test_dump_cookie_invalid_idna_domain() -> None:
    with pytest.raises(ValueError):
        dump_cookie("k", domain="ü" * 100 + ".example")


def test_dump_cookie_large_value_is_set_with_a_warning() -> None:
    # NOTE: as Flask: the cookie is still written, and a warning names its size.
    with pytest.warns(UserWarning, match=r"'k' cookie is too large.* 10010 bytes"):
        header = dump_cookie("k", "x" * 10_000, max_size=4093)
    assert len(header) == 10_010
    assert dump_cookie("k", "x" * 10_000, max_size=0) == header  # 0: no check
    assert len(dump_cookie("k", "x" * 4000)) == 4010  # under the default: silent


# -------------------------------------------------------------- options header


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ("", {})),
        ("", ("", {})),
        ("text/html", ("text/html", {})),
        ("Text/HTML; Charset=UTF-8", ("text/html", {"charset": "UTF-8"})),
        ('text/html; charset="utf-8"', ("text/html", {"charset": "utf-8"})),
        ("  text/plain ;  a = 1 ; b=2  ", ("text/plain", {"a": "1", "b": "2"})),
        ('form-data; name="a;b"', ("form-data", {"name": "a;b"})),
        ('form-data; name="a\\"b"', ("form-data", {"name": 'a"b'})),
        ('form-data; name="a\\\\b"', ("form-data", {"name": "a\\b"})),
        (
            'form-data; filename="C:\\path\\file.txt"',
            ("form-data", {"filename": "C:\\path\\file.txt"}),
        ),
        ('x; a="unterminated; b=2', ("x", {"a": '"unterminated; b=2'})),
        ("x; novalue; =v; a=1", ("x", {"a": "1"})),
        ("x; a=1; a=2", ("x", {"a": "2"})),
        ('x; a=""', ("x", {"a": ""})),
        (";a=1", ("", {"a": "1"})),
    ],
)
def test_parse_options_header(
    value: str | None, expected: tuple[str, dict[str, str]]
) -> None:
    assert parse_options_header(value) == expected


@pytest.mark.parametrize(
    ("value", "filename"),
    [
        ("attachment; filename*=UTF-8''%E2%82%AC%20rates.txt", "€ rates.txt"),
        ("attachment; filename*=utf-8'en'%C3%A9.txt", "é.txt"),
        ("attachment; filename*=ISO-8859-1''%E9.txt", "é.txt"),
        ("attachment; filename*=''%C3%A9.txt", "é.txt"),
        (
            "attachment; filename=\"fallback.txt\"; filename*=UTF-8''%C3%A9.txt",
            "é.txt",
        ),
        (
            "attachment; filename*=UTF-8''%C3%A9.txt; filename=\"fallback.txt\"",
            "é.txt",
        ),
        # Unknown charsets and malformed extended values are ignored.
        (
            "attachment; filename=\"fallback.txt\"; filename*=rot13''%C3%A9.txt",
            "fallback.txt",
        ),
        ('attachment; filename="fallback.txt"; filename*=%C3%A9', "fallback.txt"),
        ("attachment; filename*=UTF-8''%ff", "\ufffd"),
    ],
)
def test_parse_options_header_rfc2231(value: str, filename: str) -> None:
    assert parse_options_header(value)[1]["filename"] == filename


def test_parse_options_header_rfc2231_without_plain_name() -> None:
    assert parse_options_header("attachment; filename*=bogus") == ("attachment", {})


@pytest.mark.parametrize("value", HOSTILE)
def test_parse_options_header_hostile_input_completes(value: str) -> None:
    main, params = parse_options_header(value)
    assert main == main.lower()
    assert all(name == name.lower() for name in params)


@given(st.text())
def test_parse_options_header_never_raises(value: str) -> None:
    main, params = parse_options_header(value)
    assert ";" not in main or '"' in value


# ------------------------------------------------------------------ list headers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", []),
        ("a, b ,c", ["a", "b", "c"]),
        ("a,, ,b", ["a", "b"]),
        ('a, "b, c", d', ["a", "b, c", "d"]),
        ('"a\\"b", "c\\\\d"', ['a"b', "c\\d"]),
        ('a, "unterminated, b', ["a", '"unterminated, b']),
        ('x="1,2"', ['x="1,2"']),
    ],
)
def test_parse_list_header(value: str, expected: list[str]) -> None:
    assert parse_list_header(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", {}),
        ("a=1, b=2", {"a": "1", "b": "2"}),
        ('a=1, b="x, y", c', {"a": "1", "b": "x, y", "c": None}),
        ('realm="a\\"b"', {"realm": 'a"b'}),
        ("a=1, a=2", {"a": "1"}),
        ("=x, , b = 2 ", {"b": "2"}),
        ("a=", {"a": ""}),
    ],
)
def test_parse_dict_header(value: str, expected: dict[str, str | None]) -> None:
    assert parse_dict_header(value) == expected


@pytest.mark.parametrize("value", HOSTILE)
def test_list_and_dict_headers_hostile_input_complete(value: str) -> None:
    assert all(item for item in parse_list_header(value))
    assert all(key for key in parse_dict_header(value))


@given(st.lists(st.text(st.characters(codec="utf-8", exclude_characters='"\\'))))
def test_parse_list_header_round_trips_quoted_items(items: list[str]) -> None:
    value = ", ".join(f'"{item}"' for item in items)
    assert parse_list_header(value) == items


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, []),
        ("", []),
        ("*", [("*", 1.0)]),
        (
            "text/html;q=0.5, application/json, */*;q=0.1",
            [("application/json", 1.0), ("text/html", 0.5), ("*/*", 0.1)],
        ),
        ("a;q=0.5, b;q=0.5, c", [("c", 1.0), ("a", 0.5), ("b", 0.5)]),
        ("a;Q=0.2, b", [("b", 1.0), ("a", 0.2)]),
        ("a; q = 0.3 , b;q=.5", [("b", 0.5), ("a", 0.3)]),
        ("a;q=abc, b;q=0.9", [("a", 1.0), ("b", 0.9)]),
        ("a;q=0, b", [("b", 1.0), ("a", 0.0)]),
        ("a;q=1.000, b;q=0.001", [("a", 1.0), ("b", 0.001)]),
        ("a;q", [("a", 1.0)]),
        ("en-US,en;q=0.9,,;q=0.1, ", [("en-US", 1.0), ("en", 0.9)]),
        ('a;x="1,2";q=0.3, b', [("b", 1.0), ('a;x="1,2"', 0.3)]),
        ("a;flag;q=0.3", [("a;flag", 0.3)]),
        ("a;=x;;q=0.5", [("a", 0.5)]),
    ],
)
def test_parse_accept_header(
    value: str | None, expected: list[tuple[str, float]]
) -> None:
    assert parse_accept_header(value) == expected


def test_parse_accept_header_ignores_malformed_q() -> None:
    result = parse_accept_header("a;q=2, b;q=-1, c;q=nan, d;q=inf, e;q=1e0, f;q=0.8")
    assert result == [
        ("a", 1.0),
        ("b", 1.0),
        ("c", 1.0),
        ("d", 1.0),
        ("e", 1.0),
        ("f", 0.8),
    ]


def test_parse_accept_header_keeps_other_parameters() -> None:
    assert parse_accept_header("text/html;level=1;q=0.4, text/html") == [
        ("text/html", 1.0),
        ("text/html;level=1", 0.4),
    ]


@given(st.text())
def test_parse_accept_header_never_raises(value: str) -> None:
    result = parse_accept_header(value)
    qualities = [q for _, q in result]
    assert qualities == sorted(qualities, reverse=True)
    assert all(0.0 <= q <= 1.0 for q in qualities)


@pytest.mark.parametrize("value", HOSTILE)
def test_parse_accept_header_hostile_input_completes(value: str) -> None:
    assert all(0.0 <= q <= 1.0 for _, q in parse_accept_header(value))


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("text/html", True),
        ("", True),
        ("a\tb \u00e9", True),
        ("a\rb", False),
        ("a\nb", False),
        ("a\x00b", False),
        ("a\r\nSet-Cookie: x", False),
    ],
)
def test_is_valid_header_value(value: str, valid: bool) -> None:
    assert is_valid_header_value(value) is valid


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("Content-Type", True),
        ("X-Custom_1!#$%&'*+.^`|~", True),
        ("", False),
        ("Content Type", False),
        ("Content-Type:", False),
        ("X\r\n", False),
        ("Ünicode", False),
        ("a(b)", False),
    ],
)
def test_is_valid_header_name(name: str, valid: bool) -> None:
    assert is_valid_header_name(name) is valid


# ----------------------------------------------------------------- authorization


def _basic(raw: bytes) -> str:
    return "Basic " + base64.b64encode(raw).decode("ascii")


@pytest.mark.parametrize(
    ("raw", "username", "password"),
    [
        (b"user:pass", "user", "pass"),
        (b"user:pa:ss", "user", "pa:ss"),
        (b":", "", ""),
        (b"us\xc3\xa9r:p\xc3\xa4ss", "usér", "päss"),
        (b"us\xe9r:p\xe4ss", "usér", "päss"),
    ],
)
def test_parse_authorization_basic(raw: bytes, username: str, password: str) -> None:
    auth = parse_authorization(_basic(raw))
    assert auth is not None
    assert auth.type == "basic"
    assert (auth.username, auth.password) == (username, password)
    assert auth.token is None


def test_parse_authorization_scheme_is_case_insensitive() -> None:
    value = "bAsIc " + base64.b64encode(b"u:p").decode()
    auth = parse_authorization(value)
    assert auth is not None and auth.type == "basic" and auth.username == "u"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "   ",
        "Basic",
        "Basic ",
        "Basic !!!!",
        "Basic =dXNlcjpwYXNz",
        "Basic dXNl=cjpwYXNz",
        "Basic dXNlcjpwYXN",
        "Basic dXNl cjpwYXNz",
        "Basic d\u00e9Nlcg==",
        "Basic " + base64.b64encode(b"no-colon").decode(),
        "Bearer",
        "Bearer   ",
        "B@sic abc",
        "\u00e9 abc",
        "(x) y",
    ],
)
def test_parse_authorization_malformed(value: str | None) -> None:
    assert parse_authorization(value) is None


@pytest.mark.parametrize(
    ("value", "token"),
    [
        ("Bearer abc.def-ghi_jkl~mno+pqr/stu==", "abc.def-ghi_jkl~mno+pqr/stu=="),
        ("Bearer   spaced  ", "spaced"),
        ("bearer x", "x"),
        ("Bearer a=b", "a=b"),
    ],
)
def test_parse_authorization_bearer(value: str, token: str) -> None:
    auth = parse_authorization(value)
    assert auth is not None
    assert auth.type == "bearer"
    assert auth.token == token
    assert auth.parameters == {}
    assert auth.username is None and auth.password is None


def test_parse_authorization_digest() -> None:
    auth = parse_authorization(
        'Digest username="Mufasa", realm="a, b", nonce="x\\"y", qop=auth, stale'
    )
    assert auth is not None
    assert auth.type == "digest"
    assert auth.token is None
    assert auth.parameters == {
        "username": "Mufasa",
        "realm": "a, b",
        "nonce": 'x"y',
        "qop": "auth",
    }
    assert auth.username == "Mufasa"


def test_parse_authorization_other_schemes() -> None:
    assert parse_authorization("Negotiate") == Authorization("negotiate")
    assert parse_authorization("Negotiate YII=") == Authorization(
        "negotiate", token="YII="
    )


def test_authorization_object() -> None:
    auth = Authorization("Basic", {"username": "u", "password": "p"})
    assert auth.type == "basic"
    assert auth == Authorization("basic", {"username": "u", "password": "p"})
    assert auth != Authorization("basic", {"username": "u"})
    assert auth != Authorization("bearer", {"username": "u", "password": "p"})
    assert auth != "basic"
    assert repr(auth) == "<Authorization 'basic'>"
    assert not hasattr(auth, "__dict__")
    with pytest.raises(TypeError):
        hash(auth)
    assert Authorization("x").parameters == {}


@pytest.mark.parametrize("value", HOSTILE)
@pytest.mark.parametrize("scheme", ["Basic ", "Bearer ", "Digest ", ""])
def test_parse_authorization_hostile_input_completes(scheme: str, value: str) -> None:
    auth = parse_authorization(scheme + value)
    assert auth is None or auth.type == auth.type.lower()


@given(st.text())
def test_parse_authorization_never_raises(value: str) -> None:
    auth = parse_authorization(value)
    if auth is not None:
        assert auth.type == auth.type.lower()
        assert auth.type


@given(st.text(st.characters(codec="utf-8")), st.text(st.characters(codec="utf-8")))
def test_parse_authorization_basic_round_trip(username: str, password: str) -> None:
    username = username.replace(":", "")
    auth = parse_authorization(_basic(f"{username}:{password}".encode()))
    assert auth is not None
    assert (auth.username, auth.password) == (username, password)


# ------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(1994, 11, 6, 8, 49, 37), "Sun, 06 Nov 1994 08:49:37 GMT"),
        (datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC), "Sun, 06 Nov 1994 08:49:37 GMT"),
        (
            datetime(1994, 11, 6, 10, 49, 37, tzinfo=timezone(timedelta(hours=2))),
            "Sun, 06 Nov 1994 08:49:37 GMT",
        ),
        (date(1994, 11, 6), "Sun, 06 Nov 1994 00:00:00 GMT"),
        (784111777, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (784111777.9, "Sun, 06 Nov 1994 08:49:37 GMT"),
        (0, "Thu, 01 Jan 1970 00:00:00 GMT"),
        (datetime(1, 1, 1), "Mon, 01 Jan 0001 00:00:00 GMT"),
        (datetime(9999, 12, 31, 23, 59, 59), "Fri, 31 Dec 9999 23:59:59 GMT"),
    ],
)
def test_http_date(value: datetime | date | int | float, expected: str) -> None:
    assert http_date(value) == expected


def test_http_date_now() -> None:
    before = int(time.time())
    value = parse_date(http_date())
    assert value is not None
    assert before <= value.timestamp() <= time.time() + 1


@pytest.mark.parametrize(
    "value",
    [
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun Nov 06 08:49:37 1994",
        "  Sun, 06 Nov 1994 08:49:37 GMT  ",
        "sun, 06 nov 1994 08:49:37 gmt",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
    ],
)
def test_parse_date_formats(value: str) -> None:
    assert parse_date(value) == datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


def test_parse_date_leap_second() -> None:
    assert parse_date("Wed, 31 Dec 2008 23:59:60 GMT") == datetime(
        2008, 12, 31, 23, 59, 59, tzinfo=UTC
    )


@pytest.mark.parametrize("offset", [-49, -10, 0, 10, 50])
def test_parse_date_two_digit_year_near_now(offset: int) -> None:
    year = datetime.now(UTC).year + offset
    parsed = parse_date(f"Monday, 01-Jan-{year % 100:02d} 00:00:00 GMT")
    assert parsed is not None and parsed.year == year


def test_parse_date_two_digit_year_far_future_is_past() -> None:
    year = datetime.now(UTC).year + 60
    parsed = parse_date(f"Monday, 01-Jan-{year % 100:02d} 00:00:00 GMT")
    assert parsed is not None and parsed.year == year - 100


@pytest.mark.parametrize(
    ("two_digits", "this_year", "year"),
    [
        (94, 2026, 1994),
        (26, 2026, 2026),
        (76, 2026, 2076),
        (77, 2026, 1977),
        (0, 2026, 2000),
        (5, 2095, 2105),
        (45, 2095, 2145),
        (46, 2095, 2046),
        (99, 2000, 1999),
        (50, 2000, 2050),
    ],
)
def test_full_year(two_digits: int, this_year: int, year: int) -> None:
    assert _full_year(two_digits, this_year) == year


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "garbage",
        "Sun, 06 Nov 1994 08:49:37",
        "Sun, 06 Nov 1994 08:49:37 PST",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 31 Feb 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sun, 06 Nov 1994 08:61:37 GMT",
        "Sun, 00 Nov 1994 08:49:37 GMT",
        "Sun, 06 Nov 0000 08:49:37 GMT",
        "Sun, 06 Nov 94 08:49:37 GMT",
        "Sun, 06 Nov 1994 08:49:37 GMT trailing",
        "Xyz, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-994 08:49:37 GMT",
        "Sun Nov  6 08:49:37 94",
        "Sun, \u0661\u0662 Nov 1994 08:49:37 GMT",
        "1994-11-06T08:49:37Z",
        "784111777",
        "Sun, 06 Nov 1994 08:49:37 GMT" * 10_000,
        " " * 100_000,
        "Sun Nov" + " " * 100_000 + "6 08:49:37 1994x",
    ],
)
def test_parse_date_garbage(value: str | None) -> None:
    assert parse_date(value) is None


@given(st.text())
def test_parse_date_never_raises(value: str) -> None:
    result = parse_date(value)
    assert result is None or result.tzinfo is UTC


@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31)))
def test_http_date_round_trip(value: datetime) -> None:
    parsed = parse_date(http_date(value))
    assert parsed == value.replace(microsecond=0, tzinfo=UTC)


# ------------------------------------------------------------------------- ETags


def test_quote_etag() -> None:
    assert quote_etag("abc") == '"abc"'
    assert quote_etag("abc", weak=True) == 'W/"abc"'
    assert quote_etag("") == '""'
    with pytest.raises(ValueError, match="cannot contain"):
        quote_etag('a"b')


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, (None, False)),
        ("", (None, False)),
        ('"abc"', ("abc", False)),
        ('W/"abc"', ("abc", True)),
        ('w/"abc"', ("abc", True)),
        (' "abc" ', ("abc", False)),
        ("abc", ("abc", False)),
        ('"', ('"', False)),
        ('""', ("", False)),
        ("W/abc", ("abc", True)),
    ],
)
def test_unquote_etag(value: str | None, expected: tuple[str | None, bool]) -> None:
    assert unquote_etag(value) == expected


@given(st.text(st.characters(exclude_characters='"')), st.booleans())
def test_etag_round_trip(etag: str, weak: bool) -> None:
    assert unquote_etag(quote_etag(etag, weak)) == (etag, weak)


def test_generate_etag() -> None:
    assert generate_etag(b"hello") == hashlib.sha1(b"hello").hexdigest()
    assert generate_etag(b"a") != generate_etag(b"b")


def test_parse_etags() -> None:
    etags = parse_etags('"a", W/"b", "c,d" ,, unquoted, w/"e"')
    assert etags.as_set() == {"a", "c,d", "unquoted"}
    assert etags.as_set(include_weak=True) == {"a", "b", "c,d", "unquoted", "e"}
    assert etags.contains("a") and "a" in etags
    assert not etags.contains("b") and "b" not in etags
    assert etags.contains_weak("b") and etags.contains_weak("a")
    assert not etags.contains_weak("z")
    assert etags.is_weak("b") and not etags.is_weak("a")
    assert etags.is_strong("a") and not etags.is_strong("b")
    assert not etags.is_any
    assert bool(etags)
    assert sorted(etags) == ["a", "c,d", "unquoted"]
    assert 1 not in etags
    assert etags.to_header() == '"a", "c,d", "unquoted", W/"b", W/"e"'
    assert repr(etags) == f"<ETags {etags.to_header()!r}>"


@pytest.mark.parametrize("value", ["*", " * ", '"a", *', '*, "a"'])
def test_parse_etags_star(value: str) -> None:
    etags = parse_etags(value)
    assert etags.is_any and etags.star_tag
    assert etags.contains("anything") and etags.contains_weak("anything")
    assert "anything" in etags
    assert etags.to_header() == "*"
    assert bool(etags)


@pytest.mark.parametrize("value", [None, "", " ", ",", " , ,"])
def test_parse_etags_empty(value: str | None) -> None:
    etags = parse_etags(value)
    assert not etags
    assert not etags.is_any
    assert not etags.contains("a")
    assert etags.to_header() == ""


@pytest.mark.parametrize(
    ("value", "tags"),
    [
        ('"abc', {'"abc'}),
        ('"a, b', {'"a', "b"}),
        ('"abc, "d"', {"abc, ", 'd"'}),
        ('W/"a', {'W/"a'}),
    ],
)
def test_parse_etags_unterminated_quote(value: str, tags: set[str]) -> None:
    assert parse_etags(value).as_set(include_weak=True) == tags


def test_parse_etags_empty_tag() -> None:
    assert parse_etags('""').as_set() == {""}


@pytest.mark.parametrize("value", [*HOSTILE, '"a' + " b" * 50_000])
def test_parse_etags_hostile_input_completes(value: str) -> None:
    etags = parse_etags(value)
    assert all(len(tag) <= len(value) for tag in etags.as_set(include_weak=True))


@given(st.text())
def test_parse_etags_never_raises(value: str) -> None:
    etags = parse_etags(value)
    assert bool(etags) == bool(etags.is_any or etags.as_set(include_weak=True))


@given(
    st.lists(st.text(st.characters(exclude_characters='"')), max_size=40),
    st.lists(st.text(st.characters(exclude_characters='"')), max_size=40),
)
def test_etags_to_header_round_trip(strong: list[str], weak: list[str]) -> None:
    etags = ETags(strong, weak)
    parsed = parse_etags(etags.to_header())
    assert parsed.as_set() == set(strong)
    assert parsed.as_set(include_weak=True) == set(strong) | set(weak)


# ------------------------------------------------------------------------ ranges


@pytest.mark.parametrize(
    ("value", "ranges"),
    [
        ("bytes=0-99", [(0, 100)]),
        ("bytes=0-0", [(0, 1)]),
        ("bytes=0-", [(0, None)]),
        ("bytes=500-", [(500, None)]),
        ("bytes=-500", [(-500, None)]),
        ("bytes=5-5", [(5, 6)]),
        ("Bytes = 0-1", [(0, 2)]),
        ("bytes= 0-1 , \t3- ,-4 ", [(0, 2), (3, None), (-4, None)]),
        ("bytes=0-1,,2-3,", [(0, 2), (2, 4)]),
        ("bytes=-0,0-1", [(0, 2)]),
        ("bytes=0-" + "9" * 30, [(0, None)]),
        ("bytes=-" + "9" * 30, [(0, None)]),
        ("bytes=0-999999999999999999", [(0, 10**18)]),
    ],
)
def test_parse_range_header(value: str, ranges: list[tuple[int, int | None]]) -> None:
    parsed = parse_range_header(value)
    assert parsed == Range("bytes", ranges)
    assert parsed is not None and parsed.units == "bytes"


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "bytes",
        "bytes=",
        "bytes=,",
        "bytes=-",
        "bytes=-0",
        "bytes=5-2",
        "bytes=a-b",
        "bytes=1-a",
        "bytes=0",
        "bytes=0--1",
        "bytes=0 -1",
        "bytes=0- 1",
        "bytes=- 1",
        "bytes=--1",
        "bytes=1-2-3",
        "bytes=0-1,5-2",
        "bytes=0-1,x",
        "items=0-1",
        "=0-1",
        "bytes=\u00b2-3",
        "bytes=\u0661-\u0662",
        "bytes=" + "9" * 30 + "-",
        "bytes=0x1-2",
        "bytes=+1-2",
    ],
)
def test_parse_range_header_invalid(value: str | None) -> None:
    assert parse_range_header(value) is None


def test_parse_range_header_count_is_bounded() -> None:
    hundred = "bytes=" + ",".join(f"{i}-{i}" for i in range(100))
    thousand = "bytes=" + ",".join(f"{i}-{i}" for i in range(1000))
    parsed = parse_range_header(hundred)
    assert parsed is not None and len(parsed.ranges) == 100
    assert parse_range_header(thousand) is None
    assert parse_range_header(hundred, max_ranges=99) is None
    big = parse_range_header(thousand, max_ranges=1000)
    assert big is not None and len(big.ranges) == 1000


@pytest.mark.parametrize("value", HOSTILE)
def test_parse_range_header_hostile_input_completes(value: str) -> None:
    assert parse_range_header("bytes=" + value, max_ranges=10**6) is None
    assert parse_range_header("bytes=" + value) is None


@given(st.text())
def test_parse_range_header_never_raises(value: str) -> None:
    parsed = parse_range_header(value)
    if parsed is not None:
        assert 0 < len(parsed.ranges) <= 100
        for start, stop in parsed.ranges:
            assert stop is None or 0 <= start < stop


@given(st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)), min_size=1))
def test_range_to_header_round_trip(pairs: list[tuple[int, int]]) -> None:
    ranges: list[tuple[int, int | None]] = [
        (min(a, b), max(a, b) + 1) for a, b in pairs[:100]
    ]
    ranges.append((pairs[0][0], None))
    if pairs[0][1]:
        ranges.append((-pairs[0][1], None))
    header = Range("bytes", ranges).to_header()
    assert parse_range_header(header, max_ranges=1000) == Range("bytes", ranges)


@pytest.mark.parametrize(
    ("ranges", "length", "expected"),
    [
        ([(0, 100)], 1000, (0, 100)),
        ([(0, 100)], 50, (0, 50)),
        ([(0, None)], 1000, (0, 1000)),
        ([(500, None)], 1000, (500, 1000)),
        ([(999, None)], 1000, (999, 1000)),
        ([(1000, None)], 1000, None),
        ([(1000, 1001)], 1000, None),
        ([(-500, None)], 1000, (500, 1000)),
        ([(-500, None)], 100, (0, 100)),
        ([(-1, None)], 1, (0, 1)),
        ([(0, None)], 0, None),
        ([(-5, None)], 0, None),
        ([(0, 1), (2, 3)], 10, None),
        ([], 10, None),
    ],
)
def test_range_for_length(
    ranges: list[tuple[int, int | None]],
    length: int,
    expected: tuple[int, int] | None,
) -> None:
    assert Range("bytes", ranges).range_for_length(length) == expected


def test_range_for_length_other_units() -> None:
    assert Range("items", [(0, 1)]).range_for_length(10) is None


def test_range_content_range() -> None:
    rng = Range("bytes", [(0, 100)])
    assert rng.to_content_range_header(1000) == "bytes 0-99/1000"
    assert rng.make_content_range(1000) == ContentRange("bytes", 0, 100, 1000)
    assert rng.to_content_range_header(0) is None
    assert rng.make_content_range(0) is None
    assert Range("bytes", [(-10, None)]).to_content_range_header(50) == (
        "bytes 40-49/50"
    )


def test_range_object() -> None:
    rng = Range("bytes", [(0, 100), (200, None), (-5, None)])
    assert rng.to_header() == "bytes=0-99,200-,-5"
    assert repr(rng) == "<Range 'bytes=0-99,200-,-5'>"
    assert rng != Range("bytes", [(0, 100)])
    assert rng != "bytes=0-99"
    with pytest.raises(TypeError):
        hash(rng)


def test_content_range() -> None:
    assert ContentRange("bytes", 0, 100, 1000).to_header() == "bytes 0-99/1000"
    assert ContentRange("bytes", None, None, 1000).to_header() == "bytes */1000"
    assert ContentRange("bytes", 5, 10).to_header() == "bytes 5-9/*"
    assert ContentRange("bytes", 5, None, 10).to_header() == "bytes */10"
    cr = ContentRange("bytes", 0, 1, 2)
    assert cr == ContentRange("bytes", 0, 1, 2)
    assert cr != ContentRange("bytes", 0, 1, 3)
    assert cr != "bytes 0-0/2"
    assert repr(cr) == "<ContentRange 'bytes 0-0/2'>"
    with pytest.raises(TypeError):
        hash(cr)


# ---------------------------------------------------------------------- If-Range

LAST_MODIFIED = datetime(1994, 11, 6, 8, 49, 37, tzinfo=UTC)


def test_parse_if_range_etag() -> None:
    if_range = parse_if_range_header(' "abc" ')
    assert if_range.etag == "abc" and if_range.date is None
    assert if_range.matches("abc", None)
    assert if_range.matches("abc", LAST_MODIFIED)
    assert not if_range.matches("abd", LAST_MODIFIED)
    assert not if_range.matches(None, LAST_MODIFIED)
    assert if_range.to_header() == '"abc"'
    assert repr(if_range) == "<IfRange '\"abc\"'>"


@pytest.mark.parametrize("value", ['W/"abc"', 'w/"abc"'])
def test_parse_if_range_weak_etag_never_matches(value: str) -> None:
    if_range = parse_if_range_header(value)
    assert if_range.etag is None and if_range.date is None
    assert not if_range.matches("abc", LAST_MODIFIED)
    assert if_range.to_header() == ""


def test_parse_if_range_date() -> None:
    if_range = parse_if_range_header("Sun, 06 Nov 1994 08:49:37 GMT")
    assert if_range.etag is None and if_range.date == LAST_MODIFIED
    assert if_range.matches(None, LAST_MODIFIED)
    assert if_range.matches("x", LAST_MODIFIED.replace(microsecond=5))
    assert if_range.matches(None, LAST_MODIFIED.replace(tzinfo=None))
    assert if_range.matches(
        None, LAST_MODIFIED.astimezone(timezone(timedelta(hours=-5)))
    )
    assert not if_range.matches(None, LAST_MODIFIED + timedelta(seconds=1))
    assert not if_range.matches(None, None)
    assert if_range.to_header() == "Sun, 06 Nov 1994 08:49:37 GMT"


@pytest.mark.parametrize("value", [None, "", "garbage", "  "])
def test_parse_if_range_missing_or_garbage(value: str | None) -> None:
    if_range = parse_if_range_header(value)
    assert if_range.etag is None and if_range.date is None
    assert not if_range.matches("abc", LAST_MODIFIED)


def test_if_range_constructor() -> None:
    assert IfRange(etag="x").to_header() == '"x"'
    assert IfRange().to_header() == ""


# ----------------------------------------------------------- content disposition


@pytest.mark.parametrize(
    ("disposition", "filename", "expected"),
    [
        ("attachment", None, "attachment"),
        ("inline", "report.pdf", 'inline; filename="report.pdf"'),
        ("attachment", 'a"b\\c.txt', 'attachment; filename="a\\"b\\\\c.txt"'),
        ("attachment", "a; b=c.txt", 'attachment; filename="a; b=c.txt"'),
        (
            "attachment",
            "naïve résumé.txt",
            'attachment; filename="naive resume.txt";'
            " filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9.txt",
        ),
        (
            "attachment",
            "日本.txt",
            "attachment; filename=\".txt\"; filename*=UTF-8''%E6%97%A5%E6%9C%AC.txt",
        ),
        ("attachment", "日本", "attachment; filename*=UTF-8''%E6%97%A5%E6%9C%AC"),
        (
            "attachment",
            'é"\\.txt',
            'attachment; filename="e\\"\\\\.txt"; filename*=UTF-8\'\'%C3%A9%22%5C.txt',
        ),
        (
            "attachment",
            "a\r\nSet-Cookie: x=1",
            'attachment; filename="aSet-Cookie: x=1"',
        ),
        ("attachment", "a\x00b\x7f\tc", 'attachment; filename="abc"'),
        (
            "attachment",
            "é\r\n.txt",
            "attachment; filename=\"e.txt\"; filename*=UTF-8''%C3%A9.txt",
        ),
        (
            "attachment",
            "\ufb01.txt",
            "attachment; filename=\"fi.txt\"; filename*=UTF-8''%EF%AC%81.txt",
        ),
        ("attachment", "", 'attachment; filename=""'),
    ],
)
def test_content_disposition(
    disposition: str, filename: str | None, expected: str
) -> None:
    assert content_disposition(disposition, filename) == expected


@pytest.mark.parametrize("disposition", ["", "attachment\r\nX: y", "a b", "a;b"])
def test_content_disposition_invalid_disposition(disposition: str) -> None:
    with pytest.raises(ValueError, match="Invalid disposition"):
        content_disposition(disposition, "x")


@pytest.mark.parametrize("value", HOSTILE)
def test_content_disposition_hostile_input_completes(value: str) -> None:
    assert is_valid_header_value(content_disposition("attachment", value))


@given(st.text())
def test_content_disposition_never_splits_header(filename: str) -> None:
    value = content_disposition("attachment", filename)
    assert value.isascii()
    assert is_valid_header_value(value)
    assert not re.search(r"[\x00-\x1f\x7f]", value)


@given(text)
def test_content_disposition_round_trips_through_options_header(
    filename: str,
) -> None:
    expected = re.sub(r"[\x00-\x1f\x7f]", "", filename)
    value = content_disposition("attachment", filename)
    disposition, params = parse_options_header(value)
    assert disposition == "attachment"
    assert params["filename"] == expected
    if not expected.isascii():
        encoded = value.split("filename*=UTF-8''", 1)[1]
        assert urllib.parse.unquote(encoded, errors="strict") == expected


# ------------------------------------------------------------------ status codes


@pytest.mark.parametrize(
    ("code", "line"),
    [
        (200, "200 OK"),
        (404, "404 Not Found"),
        (413, "413 Content Too Large"),
        (418, "418 I'm a Teapot"),
        (422, "422 Unprocessable Content"),
        (500, "500 Internal Server Error"),
        (599, "599 Unknown"),
        (299, "299 Unknown"),
    ],
)
def test_status_line(code: int, line: str) -> None:
    assert status_line(code) == line


def test_http_status_codes_table() -> None:
    assert all(100 <= code <= 599 for code in HTTP_STATUS_CODES)
    assert all(status_line(code).endswith(r) for code, r in HTTP_STATUS_CODES.items())
    # Every code the standard library knows is present (reason phrases differ where
    # RFC 9110 renamed them).
    import http

    assert {s.value for s in http.HTTPStatus} <= set(HTTP_STATUS_CODES)
