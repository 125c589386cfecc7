"""Rate limit strings: ``"5/minute"``, ``"100 per hour"``, ``"10/30 seconds"``, and
several at once, ``"5/minute;100/hour"`` (``;``, ``,`` or ``|`` between them).

The grammar (case-insensitive, spaces optional)::

    limits = limit *( (";" / "," / "|") limit )
    limit  = amount ("/" / "per") [multiple] unit ["s"]
    unit   = "second" / "minute" / "hour" / "day" / "month" / "year"

A month is 30 days and a year 365. ``amount`` is 1 to 10**9; a window is at most
10 years long. Anything else is a ``ValueError`` that shows the accepted form.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["RateLimit", "parse_limits"]

UNITS = {
    "second": 1,
    "minute": 60,
    "hour": 3600,
    "day": 86400,
    "month": 30 * 86400,
    "year": 365 * 86400,
}
MAX_AMOUNT = 10**9
MAX_WINDOW = 10 * 365 * 86400
MAX_TEXT = 1000

# NOTE: [0-9], not \d, which also matches other scripts' digits.
_LIMIT = re.compile(
    r"\s*([0-9]{1,10})\s*(?:/|per\s)\s*([0-9]{1,10})?\s*"
    r"(second|minute|hour|day|month|year)s?\s*",
    re.IGNORECASE | re.ASCII,
)
_SEPARATORS = re.compile(r"[;,|]")


@dataclass(frozen=True)
class RateLimit:
    """``amount`` requests per ``multiple`` ``unit`` s (``RateLimit(5, 1, "minute")``)."""

    amount: int
    multiple: int
    unit: str

    @property
    def seconds(self) -> int:
        """The window's length in seconds."""
        return self.multiple * UNITS[self.unit]

    @property
    def key(self) -> str:
        """A short stable name for storage keys, such as ``5/1minute``."""
        return f"{self.amount}/{self.multiple}{self.unit}"

    def __str__(self) -> str:
        if self.multiple == 1:
            return f"{self.amount} per 1 {self.unit}"
        return f"{self.amount} per {self.multiple} {self.unit}s"


def _error(text: str, why: str) -> ValueError:
    shown = text if len(text) <= 80 else text[:77] + "..."
    return ValueError(
        f"Invalid rate limit {shown!r}: {why}. Write it as '5/minute', '100 per hour'"
        " or '10/30 seconds', several separated by ';' ('5/minute;100/hour')."
    )


@functools.lru_cache(maxsize=256)
def parse_limits(text: str) -> tuple[RateLimit, ...]:
    """The limits a string names, in order::

    parse_limits("5/minute;100 per 2 hours")
    # (RateLimit(5, 1, 'minute'), RateLimit(100, 2, 'hour'))
    """
    if not isinstance(text, str):
        raise TypeError(f"A rate limit is a string such as '5/minute', not {text!r}.")
    if len(text) > MAX_TEXT:
        raise _error(text, f"longer than {MAX_TEXT} characters")
    limits = []
    for part in _SEPARATORS.split(text):
        match = _LIMIT.fullmatch(part)
        if match is None:
            raise _error(text, f"cannot read {part.strip()!r}")
        amount = int(match.group(1))
        multiple = int(match.group(2) or 1)
        unit = match.group(3).lower()
        if not 1 <= amount <= MAX_AMOUNT:
            raise _error(text, f"the amount must be 1 to {MAX_AMOUNT}")
        if multiple < 1 or multiple * UNITS[unit] > MAX_WINDOW:
            raise _error(text, "the window must be 1 second to 10 years")
        limits.append(RateLimit(amount, multiple, unit))
    return tuple(limits)
