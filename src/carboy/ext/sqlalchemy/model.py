"""``db.Model``: a typed declarative base with automatic table names and binds."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Column, MetaData
from sqlalchemy.orm import DeclarativeBase, MappedColumn

_WORD = re.compile(r"((?<=[a-z0-9])[A-Z]|(?!^)[A-Z](?=[a-z]))")


def snake_case(name: str) -> str:
    """``"UserAccount"`` -> ``"user_account"``, ``"HTTPLog"`` -> ``"http_log"``."""
    return _WORD.sub(r"_\1", name).lower()


def _declares_primary_key(cls: type) -> bool:
    for value in vars(cls).values():
        if isinstance(value, MappedColumn):
            value = value.column
        if isinstance(value, Column) and value.primary_key:
            return True
    return False


def _is_mapped(cls: type) -> bool:
    return any("__table__" in vars(base) for base in cls.__mro__[1:])


class ModelMixin:
    """What carboy adds to a declarative base.

    - ``__tablename__`` defaults to the class name in snake_case, for a class that is
      not abstract, has no ``__table__``, and either is the first mapped class of its
      hierarchy or declares its own primary key (joined-table inheritance). A subclass
      without either shares its parent's table (single-table inheritance).
    - ``__bind_key__ = "name"`` puts the model's table on the ``SQLALCHEMY_BINDS``
      database of that name (recorded as ``table.info["bind_key"]``).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        own = vars(cls)
        if (
            DeclarativeBase not in cls.__bases__
            and not own.get("__abstract__", False)
            and "__tablename__" not in own
            and "__table__" not in own
            and (not _is_mapped(cls) or _declares_primary_key(cls))
        ):
            cls.__tablename__ = snake_case(cls.__name__)  # type: ignore[attr-defined]
        super().__init_subclass__(**kwargs)
        table = own.get("__table__")
        key = getattr(cls, "__bind_key__", None)
        if table is not None and key is not None:
            table.info["bind_key"] = key


def make_model(metadata: MetaData | None) -> type[Any]:
    """A new declarative base (its own registry and metadata) with :class:`ModelMixin`."""
    namespace: dict[str, Any] = {"__module__": __name__, "__doc__": "db.Model"}
    if metadata is not None:
        namespace["metadata"] = metadata
    return type("Model", (ModelMixin, DeclarativeBase), namespace)
