"""Converters: turn one URL part into a Python value and back.

A converter class is registered by name in ``Map.converters`` and used in rule
strings as ``<name:var>`` or ``<name(args):var>``::

    class ListConverter(BaseConverter):
        def to_python(self, value):
            return value.split(",")

        def to_url(self, value):
            return ",".join(super().to_url(item) for item in value)

    url_map.converters["list"] = ListConverter

A converter matches when its ``regex`` matches the whole part and ``to_python`` does
not raise :class:`ValidationError`. ``to_url`` percent-encodes; the characters kept
as they are, besides letters, digits and ``-._~``, are the RFC 3986 sub-delimiters and
``:@`` (:data:`SEGMENT_SAFE`), plus ``/`` for the ``path`` converter.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .exceptions import ValidationError

if TYPE_CHECKING:  # pragma: no cover
    from .map import Map

__all__ = [
    "NO_MATCH",
    "SEGMENT_SAFE",
    "AnyConverter",
    "BaseConverter",
    "FloatConverter",
    "IntegerConverter",
    "NumberConverter",
    "PathConverter",
    "UUIDConverter",
    "UnicodeConverter",
]

#: Characters ``to_url`` leaves unencoded in a path segment (besides ``A-Za-z0-9-._~``).
SEGMENT_SAFE = "!$&'()*+,;=:@"

#: Returned by a part matcher when the part does not match (cheaper than raising).
NO_MATCH: Any = object()

#: Digits beyond which an integer is no match: Python refuses to parse more by default.
MAX_INT_DIGITS = 4300

PartMatcher = Callable[[str], Any]


class BaseConverter:
    """Base class of all converters: matches one ``[^/]+`` part, keeps it a string.

    ``weight`` orders converters at the same position: lower is tried first.
    ``part_isolating`` is ``False`` for converters whose matches may contain ``/``
    (a regex containing ``/`` is treated the same way).
    """

    regex: str = "[^/]+"
    weight: int = 100
    part_isolating: bool = True

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:
        self.map = map

    def to_python(self, value: str) -> Any:
        return value

    def to_url(self, value: Any) -> str:
        return quote(str(value), safe=SEGMENT_SAFE)

    def part_matcher(self) -> PartMatcher:
        """A function from a URL part to its value, or :data:`NO_MATCH`.

        Called once at registration. The default checks ``regex`` and calls
        ``to_python``; built-in converters return faster equivalents.
        """
        compiled = re.compile(self.regex, re.DOTALL)
        fullmatch = compiled.fullmatch
        to_python = self.to_python

        def match(value: str) -> Any:
            if fullmatch(value) is None:
                return NO_MATCH
            try:
                return to_python(value)
            except ValidationError:
                return NO_MATCH

        return match

    def _is_pristine(self, cls: type[BaseConverter]) -> bool:
        """True if a subclass kept ``cls``'s regex and ``to_python`` (fast path OK)."""
        kind = type(self)
        return kind.regex == cls.regex and kind.to_python is cls.to_python


class UnicodeConverter(BaseConverter):
    """The default converter (``string``): any text without a slash.

    ``<string(minlength=2, maxlength=8):code>``, ``<string(length=2):lang>``.
    A subclass that sets its own ``regex`` keeps it (the length arguments then only
    affect ``weight``).
    """

    def __init__(
        self,
        map: Map,
        minlength: int = 1,
        maxlength: int | None = None,
        length: int | None = None,
    ) -> None:
        super().__init__(map)
        if length is not None:
            minlength = maxlength = length
            regex = f"[^/]{{{length}}}"
            self.weight = 80
        else:
            upper = "" if maxlength is None else str(maxlength)
            regex = f"[^/]{{{minlength},{upper}}}"
            if maxlength is not None:
                self.weight = 90
        if type(self).regex == BaseConverter.regex:
            self.regex = regex
        self.minlength = minlength
        self.maxlength = maxlength

    def part_matcher(self) -> PartMatcher:
        if not self._is_pristine(UnicodeConverter):
            return super().part_matcher()
        low = self.minlength
        high = self.maxlength if self.maxlength is not None else math.inf

        def match(value: str) -> Any:
            # PERF: a segment never contains "/", so the regex is a length check.
            if low <= len(value) <= high and "/" not in value:
                return value
            return NO_MATCH

        return match


class NumberConverter(BaseConverter):
    """Shared parts of ``int`` and ``float``: bounds, fixed digits, sign."""

    weight = 50
    num_convert: Callable[[str], int | float]

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map)
        self.fixed_digits = fixed_digits
        self.min = min
        self.max = max
        self.signed = signed
        if signed:
            self.regex = "-?" + self.regex

    def _in_bounds(self, value: float) -> bool:
        return not (
            (self.min is not None and value < self.min)
            or (self.max is not None and value > self.max)
        )

    def to_python(self, value: str) -> Any:
        if self.fixed_digits and len(value.lstrip("-")) != self.fixed_digits:
            raise ValidationError()
        try:
            number = self.num_convert(value)
        except (ValueError, OverflowError):
            raise ValidationError() from None
        if not self._in_bounds(number):
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        text = str(self.num_convert(value))
        if self.fixed_digits:
            text = text.zfill(self.fixed_digits)
        return text

    def _split_sign(self, value: str) -> str:
        if self.signed and value[:1] == "-":
            value = value[1:]
        return value


class IntegerConverter(NumberConverter):
    """``int``: ASCII digits only (``٣`` is no match), optional ``-`` when ``signed``.

    ``<int:id>``, ``<int(min=1, max=99):page>``, ``<int(fixed_digits=4):year>``.
    More than 4,300 digits is no match.
    """

    regex = "[0-9]+"
    num_convert = int

    def part_matcher(self) -> PartMatcher:
        if not self._is_pristine(IntegerConverter):
            return super().part_matcher()
        if not (self.signed or self.fixed_digits) and self.min is self.max is None:

            def match_plain(value: str) -> Any:
                # PERF: the common <int:id>. isdigit() alone accepts "٣" and "²".
                if len(value) <= MAX_INT_DIGITS and value.isdigit() and value.isascii():
                    try:
                        return int(value)
                    except ValueError:  # NOTE: sys.set_int_max_str_digits() set lower
                        return NO_MATCH
                return NO_MATCH

            return match_plain

        fixed = self.fixed_digits
        split_sign = self._split_sign
        in_bounds = self._in_bounds

        def match(value: str) -> Any:
            digits = split_sign(value)
            if not (
                digits
                and digits.isdigit()
                and digits.isascii()
                and len(digits) <= MAX_INT_DIGITS
                and (not fixed or len(digits) == fixed)
            ):
                return NO_MATCH
            number = int(value)
            return number if in_bounds(number) else NO_MATCH

        return match


class FloatConverter(NumberConverter):
    """``float``: ``digits.digits`` (``1.5``, not ``1``, ``1e3``, ``nan`` or ``inf``).

    Values too large for a float are no match. ``to_url`` never uses exponent
    notation, so every finite float round-trips.
    """

    regex = r"[0-9]+\.[0-9]+"
    num_convert = float

    def __init__(
        self,
        map: Map,
        min: float | None = None,
        max: float | None = None,
        signed: bool = False,
    ) -> None:
        super().__init__(map, min=min, max=max, signed=signed)

    def to_python(self, value: str) -> Any:
        number = super().to_python(value)
        if not math.isfinite(number):
            raise ValidationError()
        return number

    def to_url(self, value: Any) -> str:
        number = float(value)
        if not math.isfinite(number):
            raise ValueError(f"cannot build a URL part from the float {number!r}")
        # NOTE: repr() gives the shortest round-tripping digits; Decimal lays them
        # out without an exponent, which the float regex requires.
        text = format(Decimal(repr(number)), "f")
        return text if "." in text else text + ".0"

    def part_matcher(self) -> PartMatcher:
        if not self._is_pristine(FloatConverter):
            return super().part_matcher()
        split_sign = self._split_sign
        in_bounds = self._in_bounds

        def match(value: str) -> Any:
            digits = split_sign(value)
            whole, dot, fraction = digits.partition(".")
            if not (
                dot and whole.isdigit() and fraction.isdigit() and digits.isascii()
            ):
                return NO_MATCH
            number = float(value)
            if math.isfinite(number) and in_bounds(number):
                return number
            return NO_MATCH

        return match


class PathConverter(BaseConverter):
    """``path``: like the default but also takes slashes (``a/b/c.txt``).

    Must not start with ``/``; matches the rest of the URL when last in the rule.
    """

    regex = "[^/].*?"
    weight = 200
    part_isolating = False

    def to_url(self, value: Any) -> str:
        return quote(str(value), safe=SEGMENT_SAFE + "/")


class AnyConverter(BaseConverter):
    """``any(a, b, c)``: exactly one of the listed words. ``to_url`` refuses others."""

    weight = 20

    def __init__(self, map: Map, *items: str) -> None:
        super().__init__(map)
        if not items:
            raise ValueError("any() needs at least one item")
        self.items = tuple(str(item) for item in items)
        self.regex = "(?:" + "|".join(re.escape(item) for item in self.items) + ")"

    def to_url(self, value: Any) -> str:
        if value not in self.items:
            choices = ", ".join(map(repr, self.items))
            raise ValueError(f"{value!r} is not one of the allowed values: {choices}")
        return super().to_url(value)

    def part_matcher(self) -> PartMatcher:
        if not self._is_pristine(AnyConverter):
            return super().part_matcher()
        items = frozenset(self.items)

        def match(value: str) -> Any:
            return value if value in items else NO_MATCH

        return match


class UUIDConverter(BaseConverter):
    """``uuid``: a hyphenated UUID such as ``12345678-1234-5678-1234-567812345678``."""

    regex = (
        "[A-Fa-f0-9]{8}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{4}-[A-Fa-f0-9]{12}"
    )
    weight = 30

    def to_python(self, value: str) -> Any:
        return uuid.UUID(value)

    def to_url(self, value: Any) -> str:
        return str(value)


#: The converters every :class:`Map` starts with.
DEFAULT_CONVERTERS: dict[str, type[BaseConverter]] = {
    "default": UnicodeConverter,
    "string": UnicodeConverter,
    "any": AnyConverter,
    "path": PathConverter,
    "int": IntegerConverter,
    "float": FloatConverter,
    "uuid": UUIDConverter,
}
