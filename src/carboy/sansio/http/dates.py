"""HTTP dates: writing IMF-fixdate and reading all three RFC 9110 formats.

Plain values in, plain values out; standard library only. Parsers never raise on
client input and run in time linear in the length of their input.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime

# ------------------------------------------------------------------------- dates

_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
_MONTH_NUMBERS = {name.lower(): i for i, name in enumerate(_MONTHS, 1)}


def http_date(value: datetime | date | int | float | None = None) -> str:
    """Format a time as an HTTP date (IMF-fixdate), e.g.

    ``Sun, 06 Nov 1994 08:49:37 GMT``. ``None`` means now; a naive datetime is
    taken as UTC; a date means its midnight UTC; numbers are Unix timestamps.
    """
    if value is None:
        value = time.time()
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        t = value.timetuple()
    elif isinstance(value, date):
        t = value.timetuple()
    else:
        t = time.gmtime(value)
    return (
        f"{_WEEKDAYS[t.tm_wday]}, {t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]}"
        f" {t.tm_year:04d} {t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} GMT"
    )


_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_LONG_DAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_MONTH = r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_TIME = r"([0-9]{2}):([0-9]{2}):([0-9]{2})"
# NOTE: RFC 9110 section 5.6.7: IMF-fixdate, the obsolete RFC 850 form and asctime.
# Recipients are lenient about case, one-digit days and "UTC" for "GMT".
_IMF_FIXDATE = re.compile(
    rf"{_DAY}, ([0-9]{{1,2}}) {_MONTH} ([0-9]{{4}}) {_TIME} (?:GMT|UTC)",
    re.I,
)
_RFC850_DATE = re.compile(
    rf"{_LONG_DAY}, ([0-9]{{1,2}})-{_MONTH}-([0-9]{{2}}|[0-9]{{4}}) {_TIME}"
    r" (?:GMT|UTC)",
    re.I,
)
_ASCTIME_DATE = re.compile(
    rf"{_DAY} {_MONTH} +([0-9]{{1,2}}) {_TIME} ([0-9]{{4}})",
    re.I,
)


def _make_date(
    year: int, month: str, day: str, hour: str, minute: str, second: str
) -> datetime | None:
    try:
        return datetime(
            year,
            _MONTH_NUMBERS[month.lower()],
            int(day),
            int(hour),
            int(minute),
            # NOTE: a leap second (60) is read as the last second of the minute.
            min(int(second), 59),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def _full_year(two_digits: int, this_year: int) -> int:
    # NOTE: RFC 9110 section 5.6.7: a two-digit year more than 50 years in the
    # future means the most recent past year with the same last two digits; any
    # other means the nearest year not more than 50 years ahead.
    year = this_year - this_year % 100 + two_digits
    if year > this_year + 50:
        year -= 100
    elif year + 100 <= this_year + 50:
        year += 100
    return year


def parse_date(value: str | None) -> datetime | None:
    """Parse an HTTP date into an aware UTC datetime, or ``None`` if malformed.

    Accepts IMF-fixdate (``Sun, 06 Nov 1994 08:49:37 GMT``), the obsolete RFC 850
    form (``Sunday, 06-Nov-94 08:49:37 GMT``) and asctime
    (``Sun Nov  6 08:49:37 1994``). Never raises.
    """
    if not value:
        return None
    value = value.strip()
    match = _IMF_FIXDATE.fullmatch(value)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        return _make_date(int(year), month, day, hour, minute, second)
    match = _RFC850_DATE.fullmatch(value)
    if match is not None:
        day, month, year, hour, minute, second = match.groups()
        if len(year) == 2:
            full = _full_year(int(year), datetime.now(UTC).year)
        else:
            full = int(year)
        return _make_date(full, month, day, hour, minute, second)
    match = _ASCTIME_DATE.fullmatch(value)
    if match is not None:
        month, day, hour, minute, second, year = match.groups()
        return _make_date(int(year), month, day, hour, minute, second)
    return None
