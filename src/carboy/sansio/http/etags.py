"""Entity tags: quoting, generating and parsing ``If-None-Match`` lists.

Plain values in, plain values out; standard library only. Parsers never raise on
client input and run in time linear in the length of their input.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

# ------------------------------------------------------------------------- ETags


def quote_etag(etag: str, weak: bool = False) -> str:
    """Quote an entity tag for a header: ``"abc"``, or ``W/"abc"`` when weak.

    Raises ``ValueError`` if ``etag`` contains a double quote.
    """
    if '"' in etag:
        raise ValueError(f"Invalid ETag {etag!r}: an entity tag cannot contain '\"'.")
    return f'W/"{etag}"' if weak else f'"{etag}"'


def unquote_etag(value: str | None) -> tuple[str | None, bool]:
    """Split a header entity tag into ``(etag, weak)``.

    ``W/"abc"`` gives ``("abc", True)``; ``None`` or an empty value gives
    ``(None, False)``. An unquoted value is returned as it is.
    """
    if not value:
        return None, False
    value = value.strip()
    weak = value[:2] in ("W/", "w/")
    if weak:
        value = value[2:]
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        value = value[1:-1]
    return value, weak


def generate_etag(data: bytes) -> str:
    """Return an entity tag (unquoted) for ``data``: the SHA-1 hex digest."""
    return hashlib.sha1(data, usedforsecurity=False).hexdigest()


class ETags:
    """A set of entity tags from ``If-Match`` or ``If-None-Match``.

    Tags are stored unquoted. ``etag in etags`` and :meth:`contains` use strong
    comparison (for ``If-Match`` and ``If-Range``); ``If-None-Match`` needs
    :meth:`contains_weak`. ``*`` matches any tag (:attr:`is_any`).
    """

    __slots__ = ("_strong", "_weak", "star_tag")

    def __init__(
        self,
        strong_etags: Iterable[str] = (),
        weak_etags: Iterable[str] = (),
        star_tag: bool = False,
    ) -> None:
        self._strong = frozenset(strong_etags)
        self._weak = frozenset(weak_etags)
        self.star_tag = star_tag

    @property
    def is_any(self) -> bool:
        """Whether the header was ``*`` (any current representation matches)."""
        return self.star_tag

    def is_weak(self, etag: str) -> bool:
        """Whether ``etag`` was sent as a weak tag."""
        return etag in self._weak

    def is_strong(self, etag: str) -> bool:
        """Whether ``etag`` was sent as a strong tag."""
        return etag in self._strong

    def contains(self, etag: str) -> bool:
        """Strong comparison: ``etag`` matches a strong tag (or ``*`` was sent)."""
        return self.star_tag or etag in self._strong

    def contains_weak(self, etag: str) -> bool:
        """Weak comparison: ``etag`` matches a strong or a weak tag (or ``*``)."""
        return self.star_tag or etag in self._strong or etag in self._weak

    def as_set(self, include_weak: bool = False) -> set[str]:
        """The tags as a set; weak tags only when ``include_weak`` is true."""
        result = set(self._strong)
        if include_weak:
            result.update(self._weak)
        return result

    def to_header(self) -> str:
        """Serialise back to a header value."""
        if self.star_tag:
            return "*"
        return ", ".join(
            [f'"{tag}"' for tag in sorted(self._strong)]
            + [f'W/"{tag}"' for tag in sorted(self._weak)]
        )

    def __contains__(self, etag: object) -> bool:
        return isinstance(etag, str) and self.contains(etag)

    def __bool__(self) -> bool:
        return bool(self.star_tag or self._strong or self._weak)

    def __iter__(self) -> Iterator[str]:
        return iter(self._strong)

    def __repr__(self) -> str:
        return f"<ETags {self.to_header()!r}>"


_ETAG_SKIP = re.compile(r"[\s,]*")
_ETAG_ITEM = re.compile(r'([Ww]/)?"([^"]*)"|[^\s,]+')


#: The most entity tags read from one header (see :func:`parse_etags`).
MAX_ETAGS = 100


def parse_etags(value: str | None, max_tags: int = MAX_ETAGS) -> ETags:
    """Parse an ``If-Match`` / ``If-None-Match`` header into :class:`ETags`.

    Unquoted tags are accepted leniently as strong tags. Never raises. Only the first
    ``max_tags`` tags are read, so a client cannot make the server parse and compare
    100,000 of them. Ignoring the rest is safe both ways: ``If-None-Match`` then
    matches less often (a full 200 instead of a 304) and ``If-Match`` fails more
    often (a 412 instead of going ahead).
    """
    if not value:
        return ETags()
    strong: list[str] = []
    weak: list[str] = []
    pos, end = 0, len(value)
    # PERF/NOTE: each pass reads one tag, so the work is bounded by max_tags, not by
    # the length of the header.
    for _ in range(max_tags):
        pos = _ETAG_SKIP.match(value, pos).end()  # type: ignore[union-attr]
        if pos >= end:
            break
        # NOTE: never None here: any non-separator character starts an item.
        match = _ETAG_ITEM.match(value, pos)
        assert match is not None
        pos = match.end()
        quoted = match.group(2)
        if quoted is None:
            if match.group() == "*":
                return ETags(star_tag=True)
            strong.append(match.group())
        elif match.group(1):
            weak.append(quoted)
        else:
            strong.append(quoted)
    return ETags(strong, weak)
