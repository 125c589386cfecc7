"""SQL databases for carboy apps, on SQLAlchemy 2 (``pip install 'carboy[sqlalchemy]'``).

The API is Flask-SQLAlchemy's (``db.Model``, ``db.session``, ``db.paginate``,
``db.get_or_404``), plus ``db.async_session()`` for ``async def`` views. See
docs/sqlalchemy.md.
"""

from .extension import SQLAlchemy as SQLAlchemy
from .model import ModelMixin as ModelMixin
from .model import snake_case as snake_case
from .pagination import Pagination as Pagination

__all__ = ["ModelMixin", "Pagination", "SQLAlchemy", "snake_case"]
