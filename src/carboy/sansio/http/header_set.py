"""``HeaderSet``: a comma-separated set of names such as ``Vary`` or ``Allow``.

Plain values in, plain values out; standard library only. Parsing never raises on
client input and runs in time linear in the length of the input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from .headers import parse_list_header


class HeaderSet:
    """An ordered set of header items, compared without regard to case.

    ``response.vary.add("Accept-Language")`` or ``"GET" in response.allow``. Items keep
    the case they were added with. When the set belongs to a response, every change
    rewrites the header (``on_update``); an empty set removes it.
    """

    __slots__ = ("_items", "_keys", "on_update")

    def __init__(
        self,
        items: Iterable[str] = (),
        on_update: Callable[[HeaderSet], None] | None = None,
    ) -> None:
        self._items: list[str] = []
        self._keys: set[str] = set()
        self.on_update = on_update
        for item in items:
            self._add(item)

    def _add(self, item: str) -> bool:
        key = item.lower()
        if key in self._keys:
            return False
        self._keys.add(key)
        self._items.append(item)
        return True

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def add(self, item: str) -> None:
        """Add ``item`` unless an item equal to it (ignoring case) is there."""
        if self._add(item):
            self._changed()

    def update(self, items: Iterable[str]) -> None:
        """Add every item of ``items``."""
        changed = False
        for item in items:
            changed = self._add(item) or changed
        if changed:
            self._changed()

    def discard(self, item: str) -> None:
        """Remove ``item`` if it is there."""
        key = item.lower()
        if key in self._keys:
            self._keys.discard(key)
            self._items = [each for each in self._items if each.lower() != key]
            self._changed()

    def remove(self, item: str) -> None:
        """Remove ``item``; ``KeyError`` if it is not there."""
        if item.lower() not in self._keys:
            raise KeyError(item)
        self.discard(item)

    def clear(self) -> None:
        """Remove every item."""
        self._items.clear()
        self._keys.clear()
        self._changed()

    def find(self, item: str) -> int:
        """The position of ``item``, or -1."""
        key = item.lower()
        for index, each in enumerate(self._items):
            if each.lower() == key:
                return index
        return -1

    def index(self, item: str) -> int:
        """The position of ``item``; ``IndexError`` if it is not there."""
        index = self.find(item)
        if index < 0:
            raise IndexError(item)
        return index

    def as_set(self, preserve_casing: bool = False) -> set[str]:
        """The items as a plain set (lower-cased unless ``preserve_casing``)."""
        if preserve_casing:
            return set(self._items)
        return set(self._keys)

    def to_header(self) -> str:
        """The header value: the items joined with ``", "``."""
        return ", ".join(self._items)

    def __getitem__(self, index: int) -> str:
        return self._items[index]

    def __delitem__(self, index: int) -> None:
        self.discard(self._items[index])

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str) and item.lower() in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return bool(self._items)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, HeaderSet):
            return self._keys == other._keys
        if isinstance(other, set | frozenset | list | tuple):
            return self._keys == {str(item).lower() for item in other}
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"HeaderSet({self._items!r})"


def parse_set_header(
    value: str | None, on_update: Callable[[HeaderSet], None] | None = None
) -> HeaderSet:
    """Parse a comma-separated header (``Vary``, ``Allow``...) into a :class:`HeaderSet`.

    Quoted items are unquoted; empty items are dropped. Never raises.
    """
    return HeaderSet(parse_list_header(value) if value else (), on_update)
