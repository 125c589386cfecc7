"""Byte ranges: ``Range``, ``Content-Range`` and ``If-Range`` (RFC 9110 §14).

Plain values in, plain values out; standard library only. Parsers never raise on
client input and run in time linear in the length of their input.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime

from .dates import http_date, parse_date
from .etags import quote_etag, unquote_etag

# ------------------------------------------------------------------------ ranges


class Range:
    """A parsed ``Range`` header.

    ``ranges`` holds ``(start, stop)`` pairs with an *exclusive* stop:
    ``bytes=0-99`` is ``(0, 100)``, ``bytes=500-`` is ``(500, None)`` and the suffix
    ``bytes=-500`` is ``(-500, None)``.
    """

    __slots__ = ("units", "ranges")

    def __init__(self, units: str, ranges: list[tuple[int, int | None]]) -> None:
        self.units = units
        self.ranges = ranges

    def range_for_length(self, length: int) -> tuple[int, int] | None:
        """The half-open ``(start, stop)`` this single range selects in a body of
        ``length`` bytes, or ``None`` if it is unsatisfiable, not ``bytes`` or
        holds several ranges."""
        if self.units != "bytes" or len(self.ranges) != 1 or length <= 0:
            return None
        start, stop = self.ranges[0]
        if start < 0:
            return max(0, length + start), length
        if start >= length:
            return None
        if stop is None or stop > length:
            return start, length
        return start, stop

    def make_content_range(self, length: int) -> ContentRange | None:
        """The :class:`ContentRange` answering this range for ``length`` bytes."""
        selected = self.range_for_length(length)
        if selected is None:
            return None
        return ContentRange(self.units, selected[0], selected[1], length)

    def to_content_range_header(self, length: int) -> str | None:
        """The ``Content-Range`` value answering this range, e.g.
        ``bytes 0-99/1000``, or ``None`` if unsatisfiable."""
        content_range = self.make_content_range(length)
        return None if content_range is None else content_range.to_header()

    def to_header(self) -> str:
        """Serialise back to a ``Range`` header value."""
        specs = []
        for start, stop in self.ranges:
            if start < 0:
                specs.append(str(start))
            elif stop is None:
                specs.append(f"{start}-")
            else:
                specs.append(f"{start}-{stop - 1}")
        return f"{self.units}={','.join(specs)}"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Range):
            return NotImplemented
        return (self.units, self.ranges) == (other.units, other.ranges)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"<Range {self.to_header()!r}>"


class ContentRange:
    """A ``Content-Range`` value; ``stop`` is exclusive, ``length`` may be unknown.

    ``ContentRange("bytes", 0, 100, 1000)`` is ``bytes 0-99/1000``;
    ``ContentRange("bytes", None, None, 1000)`` is the unsatisfiable
    ``bytes */1000``. On a response (``response.content_range``) every change
    rewrites the header; :meth:`unset` removes it.
    """

    __slots__ = ("_units", "_start", "_stop", "_length", "on_update")

    def __init__(
        self,
        units: str | None,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        on_update: Callable[[ContentRange], None] | None = None,
    ) -> None:
        self.on_update = on_update
        self._units = units
        self._start = start
        self._stop = stop
        self._length = length

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    @property
    def units(self) -> str | None:
        """The range unit, ``"bytes"`` (``None`` once :meth:`unset`)."""
        return self._units

    @units.setter
    def units(self, value: str | None) -> None:
        self._units = value
        self._changed()

    @property
    def start(self) -> int | None:
        """The first byte position."""
        return self._start

    @start.setter
    def start(self, value: int | None) -> None:
        self._start = value
        self._changed()

    @property
    def stop(self) -> int | None:
        """The position after the last byte (exclusive)."""
        return self._stop

    @stop.setter
    def stop(self, value: int | None) -> None:
        self._stop = value
        self._changed()

    @property
    def length(self) -> int | None:
        """The complete length, ``None`` when unknown (``*``)."""
        return self._length

    @length.setter
    def length(self, value: int | None) -> None:
        self._length = value
        self._changed()

    def set(
        self,
        start: int | None,
        stop: int | None,
        length: int | None = None,
        units: str | None = "bytes",
    ) -> None:
        """Change every part at once (one header update)."""
        self._units, self._start, self._stop, self._length = units, start, stop, length
        self._changed()

    def unset(self) -> None:
        """Clear it; on a response this removes the header."""
        self.set(None, None, None, None)

    def to_header(self) -> str:
        """Serialise to a header value (``""`` once :meth:`unset`)."""
        if self._units is None:
            return ""
        length = "*" if self._length is None else str(self._length)
        if self._start is None or self._stop is None:
            return f"{self._units} */{length}"
        return f"{self._units} {self._start}-{self._stop - 1}/{length}"

    def __bool__(self) -> bool:
        return self._units is not None

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ContentRange):
            return NotImplemented
        return (self.units, self.start, self.stop, self.length) == (
            other.units,
            other.start,
            other.stop,
            other.length,
        )

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<ContentRange {self.to_header()!r}>"


_CONTENT_RANGE = re.compile(
    r"([!#$%&'*+\-.^_`|~0-9A-Za-z]+) +(?:([0-9]{1,18})-([0-9]{1,18})|\*)/([0-9]{1,18}|\*)"
)


def parse_content_range_header(
    value: str | None,
    on_update: Callable[[ContentRange], None] | None = None,
) -> ContentRange | None:
    """Parse a ``Content-Range`` header, or ``None`` if it is missing or malformed
    (a last position before the first, a range past a known length, ``*/*``)."""
    if not value:
        return None
    match = _CONTENT_RANGE.fullmatch(value.strip())
    if match is None:
        return None
    units, first, last, raw_length = match.groups()
    length = None if raw_length == "*" else int(raw_length)
    if first is None:
        if length is None:
            return None
        return ContentRange(units, None, None, length, on_update)
    start, stop = int(first), int(last) + 1
    if stop <= start or (length is not None and stop > length):
        return None
    return ContentRange(units, start, stop, length, on_update)


# NOTE: no whitespace inside a range spec (RFC 9110 section 14.1.1); only around the
# list items, which are stripped first.
_RANGE_SPEC = re.compile(r"([0-9]*)-([0-9]*)")
# PERF/NOTE: longer numbers are beyond any body (and int() would refuse very long
# digit strings).
_MAX_DIGITS = 18


def parse_range_header(value: str | None, max_ranges: int = 100) -> Range | None:
    """Parse a ``Range`` header (RFC 9110 section 14.2).

    Returns ``None`` if the header is missing or malformed, its unit is not
    ``bytes``, a range ends before it starts, or it holds more than ``max_ranges``
    ranges; a server then ignores it and sends the whole body. A suffix of zero
    (``bytes=-0``) can select nothing and is dropped. A last position too large to
    matter means "to the end".
    """
    if not value:
        return None
    units, eq, specs = value.partition("=")
    units = units.strip().lower()
    if units != "bytes" or not eq or specs.count(",") >= max_ranges:
        return None
    ranges: list[tuple[int, int | None]] = []
    for spec in specs.split(","):
        spec = spec.strip(" \t")
        if not spec:
            continue
        match = _RANGE_SPEC.fullmatch(spec)
        if match is None:
            return None
        first, last = match.groups()
        if len(first) > _MAX_DIGITS:
            return None
        if not first:
            if not last:
                return None
            if len(last) > _MAX_DIGITS:
                # A suffix longer than any body selects all of it.
                ranges.append((0, None))
                continue
            suffix = int(last)
            if suffix:
                ranges.append((-suffix, None))
        elif not last or len(last) > _MAX_DIGITS:
            ranges.append((int(first), None))
        else:
            start, end = int(first), int(last)
            if end < start:
                return None
            ranges.append((start, end + 1))
    return Range("bytes", ranges) if ranges else None


class IfRange:
    """A parsed ``If-Range`` header: an entity tag or a date (or neither).

    Use :meth:`matches` to decide whether to honour the ``Range`` header.
    """

    __slots__ = ("etag", "date")

    def __init__(self, etag: str | None = None, date: datetime | None = None) -> None:
        self.etag = etag
        self.date = date

    def matches(self, etag: str | None, last_modified: datetime | None) -> bool:
        """Whether the current representation (its strong ``etag``, unquoted, and
        ``last_modified`` time) still matches, so the range may be served.

        False for a malformed or weak validator: the whole body is sent then.
        """
        if self.etag is not None:
            return etag is not None and etag == self.etag
        if self.date is not None and last_modified is not None:
            if last_modified.tzinfo is None:
                last_modified = last_modified.replace(tzinfo=UTC)
            return last_modified.replace(microsecond=0) == self.date
        return False

    def to_header(self) -> str:
        """Serialise back to a header value (empty if there is no validator)."""
        if self.etag is not None:
            return quote_etag(self.etag)
        if self.date is not None:
            return http_date(self.date)
        return ""

    def __repr__(self) -> str:
        return f"<IfRange {self.to_header()!r}>"


def parse_if_range_header(value: str | None) -> IfRange:
    """Parse an ``If-Range`` header into an :class:`IfRange`.

    A weak entity tag cannot be used with ``If-Range`` (RFC 9110 section 13.1.5),
    so it gives an empty :class:`IfRange`, as does a malformed value. Never raises.
    """
    if not value:
        return IfRange()
    value = value.strip()
    if value[:1] == '"' or value[:2] in ("W/", "w/"):
        etag, weak = unquote_etag(value)
        return IfRange() if weak else IfRange(etag=etag)
    return IfRange(date=parse_date(value))
