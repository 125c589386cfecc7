"""Accept-Encoding negotiation (RFC 9110 section 12.5.3): examples and properties."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carboy.ext.compress import choose_encoding

ALL = ("br", "zstd", "gzip")


@pytest.mark.parametrize(
    ("header", "available", "expected"),
    [
        (None, ALL, None),
        ("", ALL, None),
        ("gzip", ALL, "gzip"),
        ("GZIP", ALL, "gzip"),
        ("x-gzip", ALL, "gzip"),
        ("gzip, deflate, br", ALL, "br"),
        ("gzip, deflate, br", ("gzip", "br"), "gzip"),
        ("gzip, deflate, br, zstd", ALL, "br"),
        ("br;q=0.5, gzip", ALL, "gzip"),
        ("gzip;q=0.5", ALL, "gzip"),
        ("gzip;q=0", ALL, None),
        ("gzip;q=0.0, br;q=0", ALL, None),
        ("*", ALL, "br"),
        ("*;q=0.5, br;q=0", ALL, "zstd"),
        ("*, gzip;q=0", ("gzip",), None),
        ("*;q=0", ALL, None),
        ("identity", ALL, None),
        ("identity;q=0", ALL, None),
        ("gzip;q=0.5, identity", ALL, None),
        ("gzip, identity;q=0.5", ALL, "gzip"),
        ("gzip;q=0.4, *;q=0.5", ("gzip",), None),
        ("gzip, identity", ALL, "gzip"),
        # a coding listed twice takes its lowest quality: q=0 anywhere refuses
        ("gzip, gzip;q=0", ALL, None),
        # malformed q-values are ignored (the quality stays 1)
        ("gzip;q=2, br;q=abc", ALL, "br"),
        ("gzip;level=9", ALL, "gzip"),
        ("deflate, compress", ALL, None),
        (",,,;;;q=,", ALL, None),
        ("zstd", ALL, "zstd"),
        ("br", ("gzip",), None),
    ],
)
def test_choose_encoding(
    header: str | None, available: tuple[str, ...], expected: str | None
) -> None:
    assert choose_encoding(header, available) == expected


@settings(deadline=None)  # a loaded CI machine is no reason to fail
@given(st.text(max_size=300))
def test_never_raises_and_picks_an_available_coding(header: str) -> None:
    assert choose_encoding(header, ALL) in {None, *ALL}


qualities = st.sampled_from(
    ["", ";q=0", ";q=0.0", ";q=0.5", ";q=1", ";q=0.001", ";Q=0.7"]
)
codings = st.sampled_from(["gzip", "br", "zstd", "identity", "*", "deflate", "x-gzip"])


@settings(deadline=None)  # a loaded CI machine is no reason to fail
@given(st.lists(st.tuples(codings, qualities), max_size=8), st.permutations(ALL))
def test_the_choice_respects_the_clients_qualities(
    items: list[tuple[str, str]], order: list[str]
) -> None:
    """A model of the rules: each coding's quality is its lowest listing (x-gzip counts
    for gzip), else ``*``'s; the choice has the best quality above zero, the server's
    order breaking ties, unless identity is listed with a better one."""
    header = ", ".join(name + q for name, q in items)

    def q(value: str) -> float:
        return float(value.split("=")[1]) if value else 1.0

    listed: dict[str, float] = {}
    for name, value in items:
        listed[name] = min(listed.get(name, q(value)), q(value))
    star = listed.get("*")

    def quality(coding: str) -> float:
        if coding in listed:
            return listed[coding]
        if coding == "gzip" and "x-gzip" in listed:
            return listed["x-gzip"]
        return star if star is not None else 0.0

    chosen = choose_encoding(header, tuple(order))
    best = max(quality(c) for c in order)
    identity = listed.get("identity", star if star is not None else 0.0)
    if best == 0 or best < identity:
        assert chosen is None
    else:
        assert chosen == next(c for c in order if quality(c) == best)


@settings(deadline=None)  # a loaded CI machine is no reason to fail
@given(st.sampled_from(ALL), st.text(alphabet=" ,;=qgzipbr*0.1", max_size=60))
def test_an_explicit_refusal_is_never_overridden(coding: str, noise: str) -> None:
    """Whatever else the header says, ``coding;q=0`` is never chosen (the attack: a
    client that cannot decode a coding must never receive it)."""
    for header in (f"{coding};q=0, {noise}", f"{noise}, {coding};q=0"):
        assert choose_encoding(header, ALL) != coding


def test_long_headers_are_parsed_but_not_cached() -> None:
    """A hostile client cannot pin large strings in the negotiation cache."""
    from carboy.ext.compress import _choose_cached

    long = "x-custom;q=0.1, " * 5000 + "gzip;q=0.2, br;q=0"
    before = _choose_cached.cache_info().currsize
    assert choose_encoding(long, ALL) == "gzip"
    assert _choose_cached.cache_info().currsize == before
    assert choose_encoding("br;q=0.9, gzip", ["gzip", "br"]) == "gzip"  # any sequence
