"""Tagged JSON: compact JSON that round-trips Python types JSON has no word for.

The session cookie is written with it, in Flask's format, so a session made by a Flask
app reads the same here. A value of such a type is written as a one-key object whose
key is the tag (``{" t": [1, 2]}`` is the tuple ``(1, 2)``); reading turns it back.

Add a type by subclassing :class:`JSONTag` and registering it::

    from collections import OrderedDict
    from carboy.json.tag import JSONTag

    class TagOrderedDict(JSONTag):
        key = " od"

        def check(self, value):
            return isinstance(value, OrderedDict)

        def to_json(self, value):
            return [[k, self.serializer.tag(v)] for k, v in value.items()]

        def to_python(self, value):
            return OrderedDict(value)

    app.session_interface.serializer.register(TagOrderedDict, index=0)
"""

from __future__ import annotations

import json
from base64 import b64decode, b64encode
from datetime import datetime
from typing import Any
from uuid import UUID

from markupsafe import Markup

from ..sansio.http import http_date, parse_date

__all__ = [
    "JSONTag",
    "PassDict",
    "PassList",
    "TagBytes",
    "TagDateTime",
    "TagDict",
    "TagMarkup",
    "TagTuple",
    "TagUUID",
    "TaggedJSONSerializer",
]


class JSONTag:
    """One type the :class:`TaggedJSONSerializer` can write and read back.

    Set :attr:`key` (by convention a space and a short name, ``" od"``) and implement
    :meth:`check`, :meth:`to_json` and :meth:`to_python`. A tag with an empty key
    only rewrites the value's contents (as ``dict`` and ``list`` do) and is never
    read back by key.
    """

    __slots__ = ("serializer",)

    #: The one key of the object that marks a tagged value.
    key: str = ""

    def __init__(self, serializer: TaggedJSONSerializer) -> None:
        self.serializer = serializer

    def check(self, value: Any) -> bool:
        """Whether this tag writes ``value``."""
        raise NotImplementedError

    def to_json(self, value: Any) -> Any:
        """``value`` as JSON-able data (call ``self.serializer.tag`` on its parts)."""
        raise NotImplementedError

    def to_python(self, value: Any) -> Any:
        """The Python value back from what :meth:`to_json` made."""
        raise NotImplementedError

    def tag(self, value: Any) -> Any:
        """``value`` written as ``{key: to_json(value)}``."""
        return {self.key: self.to_json(value)}


class TagDict(JSONTag):
    """A one-key dict whose key looks like a tag: the key gets a ``__`` suffix so it
    is not read as a tag."""

    __slots__ = ()
    key = " di"

    def check(self, value: Any) -> bool:
        return (
            isinstance(value, dict)
            and len(value) == 1
            and next(iter(value)) in self.serializer.tags
        )

    def to_json(self, value: Any) -> Any:
        (name, item), *_ = value.items()
        return {f"{name}__": self.serializer.tag(item)}

    def to_python(self, value: Any) -> Any:
        (name, item), *_ = value.items()
        return {name[:-2]: item}


class PassDict(JSONTag):
    """Any other dict: its values are tagged, the dict stays a JSON object."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, dict)

    def to_json(self, value: Any) -> Any:
        tag = self.serializer.tag
        return {name: tag(item) for name, item in value.items()}

    tag = to_json


class TagTuple(JSONTag):
    __slots__ = ()
    key = " t"

    def check(self, value: Any) -> bool:
        return isinstance(value, tuple)

    def to_json(self, value: Any) -> Any:
        return [self.serializer.tag(item) for item in value]

    def to_python(self, value: Any) -> Any:
        return tuple(value)


class PassList(JSONTag):
    """A list: its items are tagged, it stays a JSON array."""

    __slots__ = ()

    def check(self, value: Any) -> bool:
        return isinstance(value, list)

    def to_json(self, value: Any) -> Any:
        return [self.serializer.tag(item) for item in value]

    tag = to_json


class TagBytes(JSONTag):
    __slots__ = ()
    key = " b"

    def check(self, value: Any) -> bool:
        return isinstance(value, bytes)

    def to_json(self, value: Any) -> Any:
        return b64encode(value).decode("ascii")

    def to_python(self, value: Any) -> Any:
        return b64decode(value)


class TagMarkup(JSONTag):
    """Anything with ``__html__`` (``Markup``), read back as ``Markup``."""

    __slots__ = ()
    key = " m"

    def check(self, value: Any) -> bool:
        return callable(getattr(value, "__html__", None))

    def to_json(self, value: Any) -> Any:
        return str(value.__html__())

    def to_python(self, value: Any) -> Any:
        return Markup(value)


class TagUUID(JSONTag):
    __slots__ = ()
    key = " u"

    def check(self, value: Any) -> bool:
        return isinstance(value, UUID)

    def to_json(self, value: Any) -> Any:
        return value.hex

    def to_python(self, value: Any) -> Any:
        return UUID(value)


class TagDateTime(JSONTag):
    """A datetime, as an HTTP date (whole seconds, UTC)."""

    __slots__ = ()
    key = " d"

    def check(self, value: Any) -> bool:
        return isinstance(value, datetime)

    def to_json(self, value: Any) -> Any:
        return http_date(value)

    def to_python(self, value: Any) -> Any:
        parsed = parse_date(value)
        if parsed is None:
            raise ValueError(f"Invalid tagged date {value!r}.")
        return parsed


class TaggedJSONSerializer:
    """Writes and reads tagged JSON with an ordered list of :class:`JSONTag`.

    The first tag whose ``check`` accepts a value writes it. ``register`` adds a tag
    (at the end, or at ``index``; ``index=0`` makes it win over the built-in ones).
    """

    __slots__ = ("tags", "order")

    #: The tags every serializer starts with, in order.
    default_tags: list[type[JSONTag]] = [
        TagDict,
        PassDict,
        TagTuple,
        PassList,
        TagBytes,
        TagMarkup,
        TagUUID,
        TagDateTime,
    ]

    def __init__(self) -> None:
        self.tags: dict[str, JSONTag] = {}
        self.order: list[JSONTag] = []
        for cls in self.default_tags:
            self.register(cls)

    def register(
        self, tag_class: type[JSONTag], force: bool = False, index: int | None = None
    ) -> None:
        """Add ``tag_class``. A key already registered raises ``KeyError`` unless
        ``force`` replaces it."""
        tag = tag_class(self)
        key = tag.key
        if key:
            if key in self.tags and not force:
                raise KeyError(
                    f"The tag key {key!r} is already registered by"
                    f" {type(self.tags[key]).__name__}; pass force=True to replace it."
                )
            self.tags[key] = tag
        if index is None:
            self.order.append(tag)
        else:
            self.order.insert(index, tag)

    def tag(self, value: Any) -> Any:
        """``value`` as JSON-able data, tagged where needed."""
        for tag in self.order:
            if tag.check(value):
                return tag.tag(value)
        return value

    def untag(self, value: dict[str, Any]) -> Any:
        """The Python value of one JSON object (tagged, or left as it is)."""
        if len(value) != 1:
            return value
        key = next(iter(value))
        tag = self.tags.get(key)
        if tag is None:
            return value
        return tag.to_python(value[key])

    def dumps(self, value: Any) -> str:
        """Tag ``value`` and write it as compact JSON."""
        return json.dumps(self.tag(value), separators=(",", ":"))

    def loads(self, value: str | bytes) -> Any:
        """Read tagged JSON; nested values are untagged innermost first."""
        # NOTE: object_hook sees every object after its contents are decoded, which
        # is exactly innermost-first untagging.
        return json.loads(value, object_hook=self.untag)
