"""``Cache-Control`` (RFC 9111 §5.2) as typed, mutable objects.

``response.cache_control.max_age = 300`` rewrites the response's header;
``request.cache_control.no_cache`` reads the client's. Plain values in, plain values
out; standard library only. Parsing never raises on client input and runs in time
linear in the length of the input.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar, overload

from ._common import _TOKEN, _quote_string
from .headers import parse_dict_header

_D = TypeVar("_D", bound="Directives")
_T = TypeVar("_T")

_BOOL, _INT, _FLAG_OR_TEXT, _FLAG_OR_INT = range(4)
# NOTE: RFC 9111 sections 5.2.2.4 and 5.2.2.7: field names after no-cache= and
# private= should be sent as a quoted-string, even a single token.
_QUOTED_ARGUMENTS = frozenset({"no-cache", "private"})


class _Directive(Generic[_T]):
    """A typed property over one directive of a :class:`Directives` mapping.

    Kinds: a flag (present or not, ``bool``); a number of seconds (``int``, ``None``
    when absent or malformed); a flag that may carry field names (``True``, the
    names, or ``None``); a flag that may carry seconds (``True``, an ``int``, or
    ``None``). Assigning ``None`` or ``False`` removes the directive.
    """

    __slots__ = ("name", "kind")

    def __init__(self, name: str, kind: int) -> None:
        self.name = name
        self.kind = kind

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> _Directive[_T]: ...
    @overload
    def __get__(self, obj: Directives, owner: type[Any]) -> _T: ...
    def __get__(self, obj: Directives | None, owner: type[Any]) -> Any:
        if obj is None:
            return self
        if self.name not in obj:
            return False if self.kind == _BOOL else None
        value = dict.__getitem__(obj, self.name)
        if self.kind == _BOOL:
            return True
        if value is None:
            return None if self.kind == _INT else True
        if self.kind == _FLAG_OR_TEXT:
            return value
        value = value.strip()
        # NOTE: RFC 9111 delta-seconds: ASCII digits only; anything else is malformed.
        if value.isascii() and value.isdigit():
            return int(value)
        return None

    def __set__(self, obj: Directives, value: Any) -> None:
        if value is None or value is False:
            obj.pop(self.name, None)
        elif value is True:
            if self.kind == _INT:
                raise TypeError(f"{self.name!r} needs a number of seconds, not True.")
            obj[self.name] = None
        elif self.kind == _BOOL:
            raise TypeError(f"{self.name!r} is a flag: set it to True or False.")
        elif self.kind == _FLAG_OR_TEXT:
            obj[self.name] = str(value)
        else:
            obj[self.name] = str(int(value))

    def __delete__(self, obj: Directives) -> None:
        obj.pop(self.name, None)


class Directives(dict[str, "str | None"]):
    """Header directives as a dict of lower-case name to value (``None`` for a bare
    flag), with ``on_update`` called after every change.

    The base of :class:`RequestCacheControl` and :class:`ResponseCacheControl`.
    """

    on_update: Callable[[Any], None] | None = None
    #: The separator between directives in the header.
    separator = ", "

    def __init__(
        self,
        values: Any = (),
        on_update: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(values)
        self.on_update = on_update

    def _changed(self) -> None:
        if self.on_update is not None:
            self.on_update(self)

    def __setitem__(self, key: str, value: str | None) -> None:
        super().__setitem__(key.lower(), value)
        self._changed()

    def __delitem__(self, key: str) -> None:
        super().__delitem__(key.lower())
        self._changed()

    def pop(self, key: str, *default: Any) -> Any:
        had = key.lower() in self
        value = super().pop(key.lower(), *default)
        if had:
            self._changed()
        return value

    def clear(self) -> None:
        super().clear()
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            super().__setitem__(key.lower(), value)
        self._changed()

    def setdefault(self, key: str, default: str | None = None) -> str | None:
        if key.lower() in self:
            return dict.__getitem__(self, key.lower())
        self[key] = default
        return default

    def popitem(self) -> tuple[str, str | None]:
        item = super().popitem()
        self._changed()
        return item

    def to_header(self) -> str:
        """The header value, such as ``public, max-age=60``."""
        parts = []
        for name, value in self.items():
            if value is None:
                parts.append(name)
            elif _TOKEN.fullmatch(value) and name not in _QUOTED_ARGUMENTS:
                parts.append(f"{name}={value}")
            else:
                parts.append(f"{name}={_quote_string(value)}")
        return self.separator.join(parts)

    def __str__(self) -> str:
        return self.to_header()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.to_header()!r}>"


class _ReadOnly:
    """Refuses changes: the request's headers are the client's."""

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{type(self).__name__} is read-only (it is the client's).")

    __setitem__ = __delitem__ = pop = clear = update = setdefault = popitem = _refuse


class _CacheControl(Directives):
    no_cache: _Directive[bool | str | None]
    no_store: _Directive[bool] = _Directive("no-store", _BOOL)
    max_age: _Directive[int | None] = _Directive("max-age", _INT)
    no_transform: _Directive[bool] = _Directive("no-transform", _BOOL)
    stale_if_error: _Directive[int | None] = _Directive("stale-if-error", _INT)


class RequestCacheControl(_ReadOnly, _CacheControl):
    """The client's ``Cache-Control`` (``request.cache_control``), read-only.

    ``no_cache``, ``no_store``, ``no_transform`` and ``only_if_cached`` are flags;
    ``max_age`` and ``min_fresh`` are seconds or ``None``; ``max_stale`` is seconds,
    ``True`` (any staleness) or ``None``.
    """

    no_cache: _Directive[bool] = _Directive("no-cache", _BOOL)
    max_stale: _Directive[int | bool | None] = _Directive("max-stale", _FLAG_OR_INT)
    min_fresh: _Directive[int | None] = _Directive("min-fresh", _INT)
    only_if_cached: _Directive[bool] = _Directive("only-if-cached", _BOOL)


class ResponseCacheControl(_CacheControl):
    """The response's ``Cache-Control`` (``response.cache_control``); changes rewrite
    the header.

    ``public``, ``no_store``, ``must_revalidate``, ``proxy_revalidate``,
    ``immutable``, ``no_transform`` and ``must_understand`` are flags. ``max_age``,
    ``s_maxage``, ``stale_while_revalidate`` and ``stale_if_error`` are seconds.
    ``no_cache`` and ``private`` are ``True`` when present alone, the field names
    when given some (``private="Set-Cookie"``), else ``None``.
    """

    no_cache: _Directive[bool | str | None] = _Directive("no-cache", _FLAG_OR_TEXT)
    public: _Directive[bool] = _Directive("public", _BOOL)
    private: _Directive[bool | str | None] = _Directive("private", _FLAG_OR_TEXT)
    must_revalidate: _Directive[bool] = _Directive("must-revalidate", _BOOL)
    proxy_revalidate: _Directive[bool] = _Directive("proxy-revalidate", _BOOL)
    s_maxage: _Directive[int | None] = _Directive("s-maxage", _INT)
    immutable: _Directive[bool] = _Directive("immutable", _BOOL)
    must_understand: _Directive[bool] = _Directive("must-understand", _BOOL)
    stale_while_revalidate: _Directive[int | None] = _Directive(
        "stale-while-revalidate", _INT
    )


def parse_cache_control_header(
    value: str | None,
    on_update: Callable[[Any], None] | None = None,
    cls: type[_D] = ResponseCacheControl,  # type: ignore[assignment]
) -> _D:
    """Parse a ``Cache-Control`` header into ``cls`` (a :class:`Directives` class).

    Directive names are lower-cased; for a repeated directive the first wins; quoted
    values are unquoted. Never raises.
    """
    directives: dict[str, str | None] = {}
    if value:
        for name, raw in parse_dict_header(value).items():
            directives.setdefault(name.lower(), raw)
    return cls(directives, on_update)
