"""The limit-string parser: every spelling of the grammar, exact values, and any other
text a clear ValueError (never another exception), checked with hypothesis."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carboy.ext.limiter import RateLimit, parse_limits
from carboy.ext.limiter.limits import UNITS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5/minute", (RateLimit(5, 1, "minute"),)),
        ("100 per hour", (RateLimit(100, 1, "hour"),)),
        ("10/30 seconds", (RateLimit(10, 30, "second"),)),
        ("1 PER 2 Days", (RateLimit(1, 2, "day"),)),
        ("  3 / month ", (RateLimit(3, 1, "month"),)),
        (
            "5/minute;100/hour, 1000 per day|2/year",
            (
                RateLimit(5, 1, "minute"),
                RateLimit(100, 1, "hour"),
                RateLimit(1000, 1, "day"),
                RateLimit(2, 1, "year"),
            ),
        ),
    ],
)
def test_good_limits(text: str, expected: tuple[RateLimit, ...]) -> None:
    assert parse_limits(text) == expected


def test_limit_values() -> None:
    (limit,) = parse_limits("10/30 seconds")
    assert (limit.seconds, limit.key, str(limit)) == (
        30,
        "10/30second",
        "10 per 30 seconds",
    )
    (limit,) = parse_limits("5/minute")
    assert (limit.seconds, str(limit)) == (60, "5 per 1 minute")
    assert parse_limits("1/year")[0].seconds == 365 * 86400


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "cannot read ''"),
        ("5", "cannot read '5'"),
        ("five/minute", "cannot read"),
        ("5/fortnight", "cannot read"),
        ("5/minute;", "cannot read ''"),
        ("0/minute", "the amount must be 1 to 1000000000"),
        ("1000000001/minute", "the amount must be 1 to"),
        ("5/0 seconds", "the window must be 1 second to 10 years"),
        ("5/11 years", "the window must be 1 second to 10 years"),
        ("-5/minute", "cannot read"),
        ("5/minutes/hour", "cannot read"),
        ("٥/minute", "cannot read"),  # an Arabic-Indic digit is not a digit here
        ("5 perminute", "cannot read"),
        ("x" * 1001, "longer than 1000 characters"),
    ],
)
def test_bad_limits(text: str, why: str) -> None:
    with pytest.raises(ValueError, match="Invalid rate limit") as info:
        parse_limits(text)
    assert why in str(info.value)
    assert "'5/minute'" in str(info.value)


def test_not_a_string() -> None:
    with pytest.raises(TypeError, match="A rate limit is a string"):
        parse_limits(5)  # type: ignore[arg-type]


units = st.sampled_from(sorted(UNITS))
one = st.tuples(
    st.integers(1, 10**9),
    st.one_of(st.none(), st.integers(1, 1000)),
    units,
    st.sampled_from(["/", " per ", "/ ", " / "]),
    st.booleans(),
    st.booleans(),
)


def _spell(item: tuple[int, int | None, str, str, bool, bool]) -> str:
    amount, multiple, unit, sep, plural, upper = item
    text = f"{amount}{sep}{'' if multiple is None else f'{multiple} '}{unit}"
    text += "s" if plural else ""
    return text.upper() if upper else text


@given(st.lists(one, min_size=1, max_size=5), st.sampled_from([";", ",", "|", " ; "]))
def test_every_spelling_round_trips(
    items: list[tuple[int, int | None, str, str, bool, bool]], joiner: str
) -> None:
    text = joiner.join(_spell(i) for i in items)
    expected = tuple(RateLimit(a, m or 1, u) for a, m, u, *_ in items)
    if any(lim.seconds > 10 * 365 * 86400 for lim in expected):
        with pytest.raises(ValueError, match="the window must be"):
            parse_limits(text)
    else:
        assert parse_limits(text) == expected
        # str() of a limit parses back to itself.
        assert parse_limits(";".join(map(str, expected))) == expected


@given(st.text(max_size=200))
def test_any_text_parses_or_is_a_value_error(text: str) -> None:
    try:
        limits = parse_limits(text)
    except ValueError as e:
        assert str(e).startswith("Invalid rate limit")
    else:
        assert limits and all(1 <= lim.amount <= 10**9 for lim in limits)
        assert all(1 <= lim.seconds <= 10 * 365 * 86400 for lim in limits)


@given(st.from_regex(r"[0-9]{1,12} ?(/|per ) ?[0-9]{0,12} ?[a-z]{3,8}", fullmatch=True))
def test_near_misses(text: str) -> None:
    try:
        parse_limits(text)
    except ValueError as e:
        assert str(e).startswith("Invalid rate limit")
