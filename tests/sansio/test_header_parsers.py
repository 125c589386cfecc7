"""Property tests for the typed header parsers: they never raise on any input, run in
linear time on hostile input, and what they write they read back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carboy.sansio.http import (
    ContentRange,
    HeaderSet,
    RequestCacheControl,
    ResponseCacheControl,
    WWWAuthenticate,
    parse_cache_control_header,
    parse_content_range_header,
    parse_csp_header,
    parse_set_header,
)

from .test_http import HOSTILE

TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
token = st.text(st.sampled_from(TCHARS), min_size=1, max_size=12)
printable = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)


@given(st.text())
def test_parsers_never_raise(value: str) -> None:
    parse_cache_control_header(value, None, RequestCacheControl)
    cc = parse_cache_control_header(value)
    for attribute in ("max_age", "s_maxage", "no_cache", "private", "public"):
        getattr(cc, attribute)
    parse_csp_header(value)
    parse_set_header(value)
    parse_content_range_header(value)
    WWWAuthenticate.from_header(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_parsers_complete_on_hostile_input(value: str) -> None:
    # Each must simply finish: a quadratic parser would hang the suite.
    parse_cache_control_header(value)
    parse_csp_header(value)
    parse_set_header(value)
    parse_content_range_header(value)
    WWWAuthenticate.from_header("Digest " + value)


@given(st.dictionaries(token, st.one_of(st.none(), printable), max_size=8))
def test_cache_control_round_trip(directives: dict[str, str | None]) -> None:
    written = ResponseCacheControl(directives).to_header()
    assert dict(parse_cache_control_header(written)) == directives


@given(
    max_age=st.one_of(st.none(), st.integers(0, 10**12)),
    public=st.booleans(),
    no_cache=st.one_of(
        st.none(), st.just(True), st.sampled_from(["Set-Cookie", "a, b"])
    ),
)
def test_cache_control_properties_round_trip(
    max_age: int | None, public: bool, no_cache: bool | str | None
) -> None:
    cc = ResponseCacheControl()
    cc.max_age = max_age
    cc.public = public
    cc.no_cache = no_cache
    parsed = parse_cache_control_header(cc.to_header())
    assert (parsed.max_age, parsed.public, parsed.no_cache) == (
        max_age,
        public,
        no_cache,
    )


@given(st.lists(token, max_size=10))
def test_header_set_round_trip(items: list[str]) -> None:
    written = HeaderSet(items).to_header()
    parsed = parse_set_header(written)
    assert parsed.as_set() == {item.lower() for item in items}
    assert len(parsed) == len({item.lower() for item in items})


@given(
    st.dictionaries(
        token, st.text(st.sampled_from(TCHARS + "'*: /"), max_size=20), max_size=8
    )
)
def test_csp_round_trip(directives: dict[str, str]) -> None:
    cleaned = {name: value.strip() for name, value in directives.items()}
    written = parse_csp_header("").__class__(cleaned).to_header()
    assert dict(parse_csp_header(written)) == cleaned


@given(
    st.integers(0, 10**15),
    st.integers(1, 10**6),
    st.one_of(st.none(), st.integers(0, 10**6)),
)
def test_content_range_round_trip(start: int, size: int, extra: int | None) -> None:
    length = None if extra is None else start + size + extra
    written = ContentRange("bytes", start, start + size, length).to_header()
    assert parse_content_range_header(written) == ContentRange(
        "bytes", start, start + size, length
    )


@pytest.mark.parametrize(
    "value",
    ["bytes 5-1/10", "bytes 0-10/10", "bytes */*", "bytes 1-2", "bytes -1-2/3", ""],
)
def test_content_range_malformed(value: str) -> None:
    assert parse_content_range_header(value) is None


@given(
    st.sampled_from(["basic", "digest", "bearer", "negotiate"]),
    st.dictionaries(token, printable, max_size=5),
)
def test_www_authenticate_round_trip(scheme: str, params: dict[str, str]) -> None:
    written = WWWAuthenticate(scheme, params).to_header()
    parsed = WWWAuthenticate.from_header(written)
    assert parsed == WWWAuthenticate(scheme, params)
