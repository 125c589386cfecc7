"""The page of results :meth:`SQLAlchemy.paginate` returns, and the query-string rules
it reads ``page`` and ``per_page`` by."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Sequence
from typing import Any

from ...exceptions import NotFound

_DIGITS = re.compile(r"[0-9]{1,18}")
#: NOTE: SQL OFFSET is a signed 64-bit integer on SQLite and PostgreSQL; a page past it
#: would be a database error (a 500), so it is a 404 instead.
MAX_OFFSET = 2**62


def parse_positive(value: str | None, name: str) -> int | None:
    """``value`` as an int >= 1, ``None`` when absent, a 404 for anything else.

    NOTE: only ASCII digits: ``int()`` would also accept ``"+1"``, ``" 1"``, ``"1_0"``
    and other scripts' digits.
    """
    if value is None:
        return None
    if _DIGITS.fullmatch(value) is None or int(value) < 1:
        raise NotFound(f"The {name!r} parameter must be a whole number of at least 1.")
    return int(value)


class Pagination:
    """One page of ``items`` out of ``total``, with the numbers a page footer needs."""

    def __init__(
        self, items: Sequence[Any], page: int, per_page: int, total: int
    ) -> None:
        self.items = list(items)
        self.page = page
        self.per_page = per_page
        self.total = total

    @property
    def pages(self) -> int:
        """The number of pages (0 when there is nothing)."""
        return math.ceil(self.total / self.per_page) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    @property
    def first(self) -> int:
        """The 1-based number of the first item on this page (0 when it is empty)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        """The 1-based number of the last item on this page (0 when it is empty)."""
        return self.first + len(self.items) - 1 if self.items else 0

    def iter_pages(
        self,
        *,
        left_edge: int = 2,
        left_current: int = 2,
        right_current: int = 4,
        right_edge: int = 2,
    ) -> Iterator[int | None]:
        """Page numbers for a footer: both edges and those around the current page,
        with ``None`` where numbers are skipped (render it as an ellipsis)."""
        pages = self.pages
        shown = [
            n
            for n in range(1, pages + 1)
            if n <= left_edge
            or self.page - left_current <= n < self.page + 1 + right_current
            or n > pages - right_edge
        ]
        previous = 0
        for n in shown:
            if n != previous + 1:
                yield None
            yield n
            previous = n

    def __iter__(self) -> Iterator[Any]:
        return iter(self.items)

    def __repr__(self) -> str:
        return f"<Pagination page={self.page} of {self.pages} ({self.total} items)>"
