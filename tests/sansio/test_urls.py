"""Tests for carboy.sansio.urls: query strings and URL quoting."""

from __future__ import annotations

import urllib.parse
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carboy.sansio import urls
from carboy.sansio.urls import (
    TooManyFieldsError,
    iri_to_uri,
    parse_qsl,
    quote_path,
    url_encode,
    url_quote,
    url_quote_plus,
    url_unquote,
    url_unquote_plus,
)

# Text without lone surrogates (which cannot be UTF-8 encoded).
text = st.text(st.characters(codec="utf-8"))

# --------------------------------------------------------------------- parse_qsl


@pytest.mark.parametrize(
    ("qs", "expected"),
    [
        ("", []),
        ("a=1", [("a", "1")]),
        ("a=1&b=2&a=3", [("a", "1"), ("b", "2"), ("a", "3")]),
        ("a=x+y", [("a", "x y")]),
        ("a+b=c", [("a b", "c")]),
        ("a=%2B", [("a", "+")]),
        ("a=%C3%A9", [("a", "é")]),
        ("%C3%A9=1", [("é", "1")]),
        ("a=%zz&b=%4", [("a", "%zz"), ("b", "%4")]),
        ("a=%", [("a", "%")]),
        ("a=1;b=2", [("a", "1;b=2")]),
        ("a", [("a", "")]),
        ("a=", [("a", "")]),
        ("=v", [("", "v")]),
        ("&&a=1&&", [("a", "1")]),
        ("a=b=c", [("a", "b=c")]),
        ("a=caf\u00e9", [("a", "café")]),
        ("a=caf\u00e9%21%C3%A9", [("a", "café!é")]),
    ],
)
def test_parse_qsl_text(qs: str, expected: list[tuple[str, str]]) -> None:
    assert parse_qsl(qs) == expected


@pytest.mark.parametrize(
    ("qs", "expected"),
    [
        (b"", []),
        (b"a=1&b=x+y", [("a", "1"), ("b", "x y")]),
        (b"a=%C3%A9", [("a", "é")]),
        (b"a=\xc3\xa9", [("a", "é")]),
        (b"\xc3\xa9+x=\xc3\xa9+%C3%A9", [("é x", "é é")]),
        (b"a=\xff", [("a", "\ufffd")]),
        (b"a=%ff", [("a", "\ufffd")]),
        (b"a=1;b=2&&c\xc3\xa9", [("a", "1;b=2"), ("cé", "")]),
    ],
)
def test_parse_qsl_bytes(qs: bytes, expected: list[tuple[str, str]]) -> None:
    assert parse_qsl(qs) == expected


def test_parse_qsl_keep_blank_false() -> None:
    assert parse_qsl("a=&b&c=1&d=", keep_blank=False) == [("c", "1")]
    assert parse_qsl(b"a=&b\xff&c=\xff", keep_blank=False) == [("c", "\ufffd")]


@pytest.mark.parametrize("qs", ["a=%ff", "a=\xe9%ff", b"a=%ff", b"a=\xff"])
def test_parse_qsl_strict_errors_raise(qs: str | bytes) -> None:
    with pytest.raises(UnicodeDecodeError):
        parse_qsl(qs, errors="strict")


def test_parse_qsl_strict_accepts_valid_utf8() -> None:
    assert parse_qsl(b"a=\xc3\xa9", errors="strict") == [("a", "é")]
    assert parse_qsl("a=%C3%A9", errors="strict") == [("a", "é")]


@pytest.mark.parametrize("qs", ["a=1&b=2&c=3", b"a=1&b=2&c=\xff"])
def test_parse_qsl_max_fields_exceeded(qs: str | bytes) -> None:
    with pytest.raises(TooManyFieldsError, match="more than the limit of 2"):
        parse_qsl(qs, max_fields=2)


def test_parse_qsl_max_fields_counts_only_fields() -> None:
    # Empty segments are not fields; exactly at the limit is allowed.
    assert len(parse_qsl("&&a=1&&b=2&&", max_fields=2)) == 2
    assert len(parse_qsl(b"&&a=\xff&&b=2&&", max_fields=2)) == 2
    assert parse_qsl("", max_fields=0) == []


def test_too_many_fields_is_a_value_error() -> None:
    assert issubclass(TooManyFieldsError, ValueError)


@given(st.text(), st.booleans())
def test_parse_qsl_matches_stdlib_on_any_text(qs: str, keep_blank: bool) -> None:
    # The stdlib parser, restricted to "&", is the reference for text input.
    expected = urllib.parse.parse_qsl(qs, keep_blank_values=keep_blank, separator="&")
    assert parse_qsl(qs, keep_blank=keep_blank) == expected


@given(text)
def test_parse_qsl_bytes_agree_with_text(qs: str) -> None:
    assert parse_qsl(qs.encode("utf-8")) == parse_qsl(qs)


@given(st.binary())
def test_parse_qsl_never_raises_on_bytes(qs: bytes) -> None:
    result = parse_qsl(qs)
    assert len(result) <= qs.count(b"&") + 1
    assert all("&" not in name for name, _ in result) or b"%26" in qs.upper()


@given(st.lists(st.tuples(text, text)))
def test_parse_qsl_round_trips_url_encode(pairs: list[tuple[str, str]]) -> None:
    encoded = url_encode(pairs)
    assert encoded.isascii()
    # Every pair, even ("", ""), is written as "k=v" and so survives.
    assert parse_qsl(encoded) == pairs
    assert parse_qsl(encoded.encode("ascii")) == pairs


@given(st.lists(st.tuples(text, text)))
def test_parse_qsl_matches_stdlib_on_encoded_input(
    pairs: list[tuple[str, str]],
) -> None:
    encoded = urllib.parse.urlencode(pairs)
    expected = urllib.parse.parse_qsl(encoded, keep_blank_values=True)
    assert parse_qsl(encoded) == expected


@pytest.mark.parametrize(
    "qs",
    [
        "&" * 100_000,
        ";" * 100_000,
        "%" * 100_000,
        "=" * 100_000,
        "+" * 100_000,
        "a=" + "%zz" * 50_000,
        "a=" + "%C3" * 50_000,
        "a=" + "\u00e9%" * 50_000,
        "a=1&" * 50_000,
    ],
)
def test_parse_qsl_large_hostile_input_completes(qs: str) -> None:
    result = parse_qsl(qs)
    assert result == urllib.parse.parse_qsl(
        qs, keep_blank_values=True, separator="&", max_num_fields=None
    )
    assert parse_qsl(qs.encode("utf-8")) == result


def test_parse_qsl_many_fields_is_bounded_by_limit() -> None:
    with pytest.raises(TooManyFieldsError):
        parse_qsl("a=1&" * 50_000, max_fields=1000)


# ----------------------------------------------------------------------- quoting


@pytest.mark.parametrize(
    ("value", "safe", "expected"),
    [
        ("abc", "/:", "abc"),
        ("a b/é", "/:", "a%20b/%C3%A9"),
        ("-._~AZaz09", "", "-._~AZaz09"),
        ("/a:b", "", "%2Fa%3Ab"),
        ("a&b=c", "&=", "a&b=c"),
        ("100%", "/:", "100%25"),
        ("\r\n\x00", "", "%0D%0A%00"),
        ("é", "é", "%C3%A9"),
        (b"\xff/", "/", "%FF/"),
        (b"abc", "", "abc"),
    ],
)
def test_url_quote(value: str | bytes, safe: str, expected: str) -> None:
    assert url_quote(value, safe) == expected


def test_url_quote_plus() -> None:
    assert url_quote_plus("a b&c+d") == "a+b%26c%2Bd"
    assert url_quote_plus("a+b", safe="+") == "a%2Bb"
    assert url_quote_plus(b"a \xff") == "a+%FF"
    assert url_quote_plus("a/b", safe="/") == "a/b"


@given(text, st.sampled_from(["", "/", "/:", "&=+", "!$&'()*+,;=:@/"]))
def test_url_quote_matches_stdlib(value: str, safe: str) -> None:
    assert url_quote(value, safe) == urllib.parse.quote(value, safe)


@given(text)
def test_url_quote_plus_matches_stdlib(value: str) -> None:
    assert url_quote_plus(value) == urllib.parse.quote_plus(value, safe="")


def test_quoter_cache_is_bounded() -> None:
    for i in range(200):
        safe = chr(33 + i % 90) + str(i)
        value = f"a {safe} {i}"
        assert url_quote(value, safe) == urllib.parse.quote(value, safe)
        assert len(urls._quoters) <= 64


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("abc", "abc"),
        ("a%20b+c", "a b+c"),
        ("%C3%A9", "é"),
        ("%zz%", "%zz%"),
        ("%ff", "\ufffd"),
        ("caf\u00e9%20%C3%A9", "café é"),
        (b"a%20b", "a b"),
        (b"\xc3\xa9%C3%A9", "éé"),
    ],
)
def test_url_unquote(value: str | bytes, expected: str) -> None:
    assert url_unquote(value) == expected


def test_url_unquote_errors() -> None:
    with pytest.raises(UnicodeDecodeError):
        url_unquote("%ff", errors="strict")
    with pytest.raises(UnicodeDecodeError):
        url_unquote(b"\xff", errors="strict")
    assert url_unquote("%ff", errors="ignore") == ""


def test_url_unquote_plus() -> None:
    assert url_unquote_plus("a+b%2B") == "a b+"
    assert url_unquote_plus(b"a+b%2B") == "a b+"


@given(text)
def test_url_unquote_inverts_url_quote(value: str) -> None:
    assert url_unquote(url_quote(value, safe="")) == value
    assert url_unquote_plus(url_quote_plus(value)) == value


# -------------------------------------------------------------------- url_encode


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ({}, ""),
        ({"q": "a b", "tag": ["x", "y"]}, "q=a+b&tag=x&tag=y"),
        ([("a", "1"), ("a", "2")], "a=1&a=2"),
        ({"a": None, "b": "1"}, "b=1"),
        ({"a": [None, "1", None]}, "a=1"),
        ({"a": ("1", 2)}, "a=1&a=2"),
        ({"n": 3, "f": 1.5, "t": True}, "n=3&f=1.5&t=True"),
        ({"b": b"\xc3\xa9"}, "b=%C3%A9"),
        ({"b": b"\xff"}, "b=%FF"),
        ({"k&=": "v&=+"}, "k%26%3D=v%26%3D%2B"),
        ({"é": "ü"}, "%C3%A9=%C3%BC"),
        ({"a": []}, ""),
    ],
)
def test_url_encode(items: Any, expected: str) -> None:
    assert url_encode(items) == expected


def test_url_encode_sort_is_stable() -> None:
    items = [("b", "1"), ("a", "2"), ("b", "0"), ("a", "1")]
    assert url_encode(items, sort=True) == "a=2&a=1&b=1&b=0"
    assert url_encode(items) == "b=1&a=2&b=0&a=1"


def test_url_encode_accepts_a_generator() -> None:
    assert url_encode((k, v) for k, v in [("a", "1")]) == "a=1"


# -------------------------------------------------------------------- iri_to_uri


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/plain/path?a=1&b=2#frag", "/plain/path?a=1&b=2#frag"),
        (
            "https://example.com/a;b,c@d!$'()*+=~",
            "https://example.com/a;b,c@d!$'()*+=~",
        ),
        ("http://[::1]:80/", "http://[::1]:80/"),
        ("/caf\u00e9?q=a b", "/caf%C3%A9?q=a%20b"),
        ("/a%20b%2Fc", "/a%20b%2Fc"),
        ("/100%", "/100%25"),
        ("/%zz%4", "/%25zz%254"),
        ("/a\r\nSet-Cookie: x=1", "/a%0D%0ASet-Cookie:%20x=1"),
        ("/a\x00b\tc\x7f", "/a%00b%09c%7F"),
        ('/<>"\\^`{|}', "/%3C%3E%22%5C%5E%60%7B%7C%7D"),
        ("/\\evil.com", "/%5Cevil.com"),
        ("/\u65e5\u672c", "/%E6%97%A5%E6%9C%AC"),
        ("/\ud800", "/%ED%A0%80"),
        ("", ""),
    ],
)
def test_iri_to_uri(value: str, expected: str) -> None:
    assert iri_to_uri(value) == expected


@given(st.text())
def test_iri_to_uri_output_is_header_safe(value: str) -> None:
    result = iri_to_uri(value)
    assert result.isascii()
    assert all(32 < ord(c) < 127 for c in result)
    # Idempotent: an already-encoded URI is left alone.
    assert iri_to_uri(result) == result


@given(text)
def test_iri_to_uri_preserves_meaning(value: str) -> None:
    assert urllib.parse.unquote(iri_to_uri(value)) == urllib.parse.unquote(value)


def test_iri_to_uri_large_input_completes() -> None:
    assert iri_to_uri("%" * 100_000) == "%25" * 100_000
    assert iri_to_uri("%4" * 50_000).count("%25") == 50_000


# -------------------------------------------------------------------- quote_path


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/files/report.pdf", "/files/report.pdf"),
        ("/files/a b?.txt", "/files/a%20b%3F.txt"),
        ("/a#b%c", "/a%23b%25c"),
        ("/user@host:8/!$&'()*+,;=~", "/user@host:8/!$&'()*+,;=~"),
        ("/\u00e9", "/%C3%A9"),
        ("/a\r\n", "/a%0D%0A"),
    ],
)
def test_quote_path(path: str, expected: str) -> None:
    assert quote_path(path) == expected


@given(text)
def test_quote_path_round_trips(path: str) -> None:
    assert url_unquote(quote_path(path)) == path
