"""Multi-valued dictionaries and HTTP headers.

``MultiDict`` keeps every value of a repeated key (``?tag=a&tag=b``) while ``d[key]`` and
``d.get(key)`` return the first one, as in Flask. ``Headers`` is an ordered list of
``(name, value)`` pairs with case-insensitive lookup.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, TypeVar, overload

from ..exceptions import BadRequestKeyError
from .http import parse_options_header

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

_MISSING: Any = object()


def _iter_pairs(data: Any) -> Iterator[tuple[Any, Any]]:
    """Pairs from a mapping (list values repeat the key) or from an iterable of pairs."""
    if isinstance(data, MultiDict):
        yield from data.items(multi=True)
    elif isinstance(data, Mapping):
        for key, value in data.items():
            if isinstance(value, (list, tuple)):
                for item in value:
                    yield key, item
            else:
                yield key, value
    else:
        yield from data


class MultiDict(dict[K, Any], Generic[K, V]):
    """A ``dict`` that stores a list of values per key and returns the first by default.

    >>> d = MultiDict([("tag", "a"), ("tag", "b")])
    >>> d["tag"], d.getlist("tag")
    ('a', ['a', 'b'])
    """

    # NOTE: the dict maps each key to a non-empty list of values; every accessor below
    # reads through that. ``dict.__getitem__`` is used directly for speed.

    def __init__(self, data: Any = None) -> None:
        super().__init__()
        if data is not None:
            for key, value in _iter_pairs(data):
                self.add(key, value)

    def __getitem__(self, key: K) -> V:
        try:
            return dict.__getitem__(self, key)[0]  # type: ignore[no-any-return]
        except KeyError:
            raise BadRequestKeyError(str(key)) from None

    def __setitem__(self, key: K, value: V) -> None:
        dict.__setitem__(self, key, [value])

    def add(self, key: K, value: V) -> None:
        """Append a value for ``key``, keeping existing ones."""
        values = dict.get(self, key)
        if values is None:
            dict.__setitem__(self, key, [value])
        else:
            values.append(value)

    @overload
    def get(self, key: K, default: None = None) -> V | None: ...
    @overload
    def get(self, key: K, default: V | T) -> V | T: ...
    @overload
    def get(
        self, key: K, default: Any = None, *, type: Callable[[V], T]
    ) -> T | Any: ...
    def get(
        self, key: K, default: Any = None, type: Callable[[V], Any] | None = None
    ) -> Any:
        """The first value for ``key``, or ``default``.

        With ``type``, the value is converted by it; a ``ValueError`` or ``TypeError``
        from the conversion gives ``default``: ``request.args.get("page", 1, type=int)``.
        """
        values = dict.get(self, key)
        if values is None:
            return default
        if type is None:
            return values[0]
        try:
            return type(values[0])
        except (ValueError, TypeError):
            return default

    def getlist(self, key: K, type: Callable[[V], Any] | None = None) -> list[Any]:
        """Every value for ``key`` (an empty list when absent); ``type`` filters too."""
        values = dict.get(self, key)
        if values is None:
            return []
        if type is None:
            return list(values)
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    def setlist(self, key: K, values: Iterable[V]) -> None:
        """Replace the values for ``key`` (removing it for an empty list)."""
        values = list(values)
        if values:
            dict.__setitem__(self, key, values)
        else:
            dict.pop(self, key, None)

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[assignment,override]
        if key not in self:
            self[key] = default
        return self[key]

    def setlistdefault(self, key: K, default: Iterable[V] = ()) -> list[V]:
        if key not in self:
            dict.__setitem__(self, key, list(default))
        return dict.__getitem__(self, key)

    def items(self, multi: bool = False) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        """Pairs of key and first value; every pair with ``multi=True``."""
        for key, values in dict.items(self):
            if multi:
                for value in values:
                    yield key, value
            else:
                yield key, values[0]

    def lists(self) -> Iterator[tuple[K, list[V]]]:
        """Pairs of key and list of all its values."""
        for key, values in dict.items(self):
            yield key, list(values)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """The first value of each key."""
        for values in dict.values(self):
            yield values[0]

    def listvalues(self) -> Iterator[list[V]]:
        return (list(v) for v in dict.values(self))

    def to_dict(self, flat: bool = True) -> dict[K, Any]:
        """A plain dict: first values, or lists with ``flat=False``."""
        if flat:
            return {key: values[0] for key, values in dict.items(self)}
        return {key: list(values) for key, values in dict.items(self)}

    def update(self, other: Any = (), /, **kwargs: Any) -> None:
        """Add values from a mapping or pairs (extending lists, unlike ``dict.update``)."""
        for key, value in _iter_pairs(other):
            self.add(key, value)
        for key, value in kwargs.items():
            self.add(key, value)  # type: ignore[arg-type]

    @overload
    def pop(self, key: K) -> V: ...
    @overload
    def pop(self, key: K, default: V | T) -> V | T: ...
    def pop(self, key: K, default: Any = _MISSING) -> Any:
        try:
            return dict.pop(self, key)[0]
        except KeyError:
            if default is not _MISSING:
                return default
            raise BadRequestKeyError(str(key)) from None

    def poplist(self, key: K) -> list[V]:
        return dict.pop(self, key, [])

    def popitem(self) -> tuple[K, V]:
        key, values = dict.popitem(self)
        return key, values[0]

    def copy(self) -> MultiDict[K, V]:
        return type(self)(self)

    def __copy__(self) -> MultiDict[K, V]:
        return self.copy()

    def __iter__(self) -> Iterator[K]:
        return dict.__iter__(self)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({list(self.items(multi=True))!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, MultiDict):
            return dict(self.lists()) == dict(other.lists())
        if isinstance(other, Mapping):
            return dict(self.items()) == dict(other)
        return NotImplemented

    __hash__ = None


def _immutable(self: Any, *args: Any, **kwargs: Any) -> Any:
    raise TypeError(f"{type(self).__name__!r} objects are immutable")


class ImmutableMultiDict(MultiDict[K, V]):
    """A read-only :class:`MultiDict`, as ``request.args``, ``form`` and ``files`` are."""

    def __init__(self, data: Any = None) -> None:
        if type(data) is list:
            # PERF: pairs from a parser (query strings, forms) gathered in a plain
            # dict (its own fast item access), then copied in at once.
            lists: dict[K, list[V]] = {}
            for key, value in data:
                if key in lists:
                    lists[key].append(value)
                else:
                    lists[key] = [value]
            dict.__init__(self, lists)
            return
        MultiDict.__init__(self)
        if data is None:
            return
        for key, value in _iter_pairs(data):
            MultiDict.add(self, key, value)

    __setitem__ = _immutable
    __delitem__ = _immutable
    add = _immutable
    setlist = _immutable
    setdefault = _immutable
    setlistdefault = _immutable
    update = _immutable
    pop = _immutable
    poplist = _immutable
    popitem = _immutable
    clear = _immutable

    def copy(self) -> MultiDict[K, V]:
        """A mutable copy."""
        return MultiDict(self)

    def __hash__(self) -> int:  # type: ignore[override]
        return hash(tuple(self.items(multi=True)))


class CombinedMultiDict(ImmutableMultiDict[K, V]):
    """A read-only view of several multi dicts, as ``request.values`` is."""

    def __init__(self, dicts: Iterable[MultiDict[K, V]]) -> None:
        ImmutableMultiDict.__init__(self)
        for d in dicts:
            for key, value in d.items(multi=True):
                MultiDict.add(self, key, value)


def _check_value(value: str) -> str:
    # NOTE: RFC 9110 §5.5: CR, LF and NUL are never allowed in a field value; letting
    # them through would let a value start a new header (response splitting).
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(
            f"Header values must not contain CR, LF or NUL characters: {value!r}."
        )
    return value


#: RFC 9110 §5.1: a field name is a token.
_FIELD_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_COMMON_NAMES = frozenset({"Content-Type", "Content-Length", "Location", "Set-Cookie"})


_valid_names: set[str] = set(_COMMON_NAMES)


def _check_name(name: str) -> str:
    # NOTE: a name with ":" or whitespace ("Set-Cookie:x") would let a client read a
    # different header than the one set; only tokens are allowed.
    if name not in _valid_names:
        if type(name) is not str or not _FIELD_NAME.fullmatch(name):
            raise ValueError(f"Header names must be HTTP tokens: {name!r}.")
        if len(_valid_names) < 4096:  # PERF: names an app uses are checked once
            _valid_names.add(name)
    return name


def _str_pairs(headers: dict[str, Any]) -> list[tuple[str, str]] | None:
    """A dict of ``str`` values (a view's ``(body, {...})``) as validated pairs, in
    one loop; ``None`` when a value is not a ``str`` (the general path converts it)."""
    pairs = []
    valid = _valid_names
    for name, value in headers.items():
        if type(value) is not str:
            return None
        # PERF: the checks of _check_name and _check_value, inline (a known name
        # and a clean value cost no call).
        if name not in valid:
            _check_name(name)
        if "\n" in value or "\r" in value or "\0" in value:
            _check_value(value)
        pairs.append((name, value))
    return pairs


def _header_str(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return str(value)


class Headers:
    """HTTP headers: ordered ``(name, value)`` pairs, looked up case-insensitively.

    ``headers["Content-Type"]`` gives the first value, ``headers.getlist("Set-Cookie")``
    every value. Setting a value containing CR, LF or NUL raises ``ValueError``.
    """

    __slots__ = ("_list",)

    def __init__(self, defaults: Any = None) -> None:
        if defaults is None:
            self._list: list[tuple[str, str]] = []
            return
        if type(defaults) is dict:
            pairs = _str_pairs(defaults)
            if pairs is not None:
                self._list = pairs
                return
        self._list = []
        self.extend(defaults)

    @classmethod
    def _trusted(cls, pairs: list[tuple[str, str]]) -> Headers:
        """Headers over an already-validated list, which is used as it is (no copy)."""
        headers = cls.__new__(cls)
        headers._list = pairs
        return headers

    def __getitem__(self, key: str) -> str:
        lower = key.lower()
        for name, value in self._list:
            if name.lower() == lower:
                return value
        raise BadRequestKeyError(key)

    def get(
        self, key: str, default: Any = None, type: Callable[[str], Any] | None = None
    ) -> Any:
        """The first value of header ``key``, or ``default``; converted by ``type``."""
        lower = key.lower()
        for name, value in self._list:
            if name.lower() == lower:
                if type is None:
                    return value
                try:
                    return type(value)
                except (ValueError, TypeError):
                    return default
        return default

    def getlist(self, key: str, type: Callable[[str], Any] | None = None) -> list[Any]:
        """Every value of header ``key``, in order."""
        lower = key.lower()
        values = [v for k, v in self._list if k.lower() == lower]
        if type is None:
            return values
        result = []
        for value in values:
            try:
                result.append(type(value))
            except (ValueError, TypeError):
                pass
        return result

    get_all = getlist

    def __contains__(self, key: object) -> bool:
        if not isinstance(key, str):
            return False
        lower = key.lower()
        return any(k.lower() == lower for k, _ in self._list)

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return iter(self._list)

    def __len__(self) -> int:
        return len(self._list)

    def __bool__(self) -> bool:
        return bool(self._list)

    def keys(self, lower: bool = False) -> Iterator[str]:
        for key, _ in self._list:
            yield key.lower() if lower else key

    def values(self) -> Iterator[str]:
        for _, value in self._list:
            yield value

    def items(self, lower: bool = False) -> Iterator[tuple[str, str]]:
        for key, value in self._list:
            yield (key.lower() if lower else key), value

    def add(self, key: str, value: Any, **params: Any) -> None:
        """Append a header; keyword ``params`` become ``; name=value`` parameters."""
        value = _header_str(value)
        if params:
            value = _with_params(value, params)
        self._list.append((_check_name(key), _check_value(value)))

    def add_header(self, key: str, value: Any, **params: Any) -> None:
        self.add(key, value, **params)

    def set(self, key: str, value: Any, **params: Any) -> None:
        """Replace every ``key`` header with one value, kept at the first one's place."""
        value = _header_str(value)
        if params:
            value = _with_params(value, params)
        _check_name(key)
        _check_value(value)
        lower = key.lower()
        pairs = self._list
        for i, (name, _) in enumerate(pairs):
            if name.lower() == lower:
                pairs[i] = (key, value)
                self._list = pairs[: i + 1] + [
                    p for p in pairs[i + 1 :] if p[0].lower() != lower
                ]
                return
        pairs.append((key, value))

    def setdefault(self, key: str, default: Any) -> str:
        if key in self:
            return self[key]
        self.set(key, default)
        return self[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.set(key, value)

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self.remove(key)

    def remove(self, key: str) -> None:
        """Remove every ``key`` header (no error when absent)."""
        lower = key.lower()
        self._list = [p for p in self._list if p[0].lower() != lower]

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        try:
            value = self[key]
        except KeyError:
            if default is _MISSING:
                raise
            return default
        self.remove(key)
        return value

    def extend(self, other: Any = None, **kwargs: Any) -> None:
        """Append headers from a mapping, ``Headers`` or pairs (list values repeat)."""
        if other is not None:
            source = other._list if isinstance(other, Headers) else _iter_pairs(other)
            for key, value in source:
                self.add(key, value)
        for key, value in kwargs.items():
            self.add(key, value)

    def update(self, other: Any = None, **kwargs: Any) -> None:
        """Replace headers by name from a mapping, ``Headers`` or pairs."""
        pairs = list(
            other._list if isinstance(other, Headers) else _iter_pairs(other or ())
        )
        pairs.extend(kwargs.items())
        seen: set[str] = set()
        for key, value in pairs:
            if key.lower() in seen:
                self.add(key, value)
            else:
                seen.add(key.lower())
                self.set(key, value)

    def clear(self) -> None:
        self._list.clear()

    def copy(self) -> Headers:
        return Headers._trusted(list(self._list))

    def to_wsgi_list(self) -> list[tuple[str, str]]:
        """The pairs as a list, as WSGI's ``start_response`` takes them."""
        return self._list

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Headers):
            return self._list == other._list
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Headers({self._list!r})"

    def __str__(self) -> str:
        return "".join(f"{k}: {v}\r\n" for k, v in self._list) + "\r\n"


def _with_params(value: str, params: Mapping[str, Any]) -> str:
    parts = [value]
    for key, param in params.items():
        key = key.replace("_", "-")
        if param is None:
            parts.append(key)
        else:
            text = str(param).replace("\\", "\\\\").replace('"', '\\"')
            parts.append(f'{key}="{text}"')
    return "; ".join(parts)


class EnvironHeaders(Headers):
    """Request headers: read-only, built once from the server's pairs."""

    __slots__ = ()

    def _readonly(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("Request headers are immutable.")

    add = set = remove = extend = update = clear = pop = setdefault = _readonly
    __setitem__ = __delitem__ = _readonly


class FileStorage:
    """An uploaded file from a multipart body, as ``request.files["f"]`` gives it.

    ``filename`` is what the client sent: never use it as a path as it is (see
    ``carboy.files.secure_filename``). The data is in ``stream``, a file object
    positioned at its start; ``save()`` copies it to a path or file object. Reading
    methods (``read``, ``readline``, ``seek``, ...) are those of ``stream``. A
    ``FileStorage`` is false when no file was chosen (an empty ``filename``).
    """

    __slots__ = ("stream", "filename", "name", "headers")

    def __init__(
        self,
        stream: Any = None,
        filename: str | None = None,
        name: str | None = None,
        content_type: str | None = None,
        content_length: int | None = None,
        headers: Headers | None = None,
    ) -> None:
        if stream is None:
            stream = io.BytesIO()
        self.stream = stream
        if filename is None:
            raw = getattr(stream, "name", None)
            filename = raw if isinstance(raw, str) else None
        self.filename = filename
        self.name = name
        if headers is None:
            headers = Headers()
        self.headers = headers
        if content_type is not None:
            headers.set("Content-Type", content_type)
        if content_length is not None:
            headers.set("Content-Length", str(content_length))

    @property
    def content_type(self) -> str | None:
        """The part's ``Content-Type`` header, as the client sent it."""
        return self.headers.get("content-type")  # type: ignore[no-any-return]

    @property
    def content_length(self) -> int:
        """The part's ``Content-Length`` header (``0`` when absent or malformed)."""
        value = self.headers.get("content-length", "")
        return int(value) if value.isascii() and value.isdigit() else 0

    @property
    def mimetype(self) -> str:
        """The content type without parameters, lower-cased (``""`` if none)."""
        return parse_options_header(self.content_type)[0]

    @property
    def mimetype_params(self) -> dict[str, str]:
        """The content type's parameters, such as ``{"charset": "utf-8"}``."""
        return parse_options_header(self.content_type)[1]

    def save(self, dst: Any, buffer_size: int = 16384) -> None:
        """Copy the file to ``dst``: a path (created or truncated) or a binary file.

        The stream is read from where it is; a path is opened and closed here, a
        file object is left open.
        """
        if isinstance(dst, str | os.PathLike):
            with open(dst, "wb") as file:
                shutil.copyfileobj(self.stream, file, buffer_size)
        else:
            shutil.copyfileobj(self.stream, dst, buffer_size)

    def close(self) -> None:
        """Close the stream (the request also does this when it ends)."""
        self.stream.close()

    def __getattr__(self, name: str) -> Any:
        # NOTE: file methods (read, seek, tell, ...) are the stream's.
        try:
            stream = object.__getattribute__(self, "stream")
        except AttributeError:
            raise AttributeError(name) from None
        return getattr(stream, name)

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.stream)

    def __bool__(self) -> bool:
        return bool(self.filename)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self.filename!r} ({self.content_type!r})>"
