"""The :class:`SQLAlchemy` extension object: engines per app, ``db.session`` per app
context, ``db.async_session()`` for ``async def`` views, and the 404 helpers."""

from __future__ import annotations

import asyncio
import os
import weakref
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import MultipleResultsFound, NoResultFound
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, create_async_engine
from sqlalchemy.orm import Session, scoped_session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

from ...ctx import _cv_ctx
from ...exceptions import NotFound
from ...globals import current_app, request
from .model import make_model
from .pagination import MAX_OFFSET, Pagination, parse_positive

if TYPE_CHECKING:  # pragma: no cover
    from ...app import Carboy

T = TypeVar("T")

#: The async driver for each sync one, for :meth:`SQLAlchemy.async_engine`.
ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "sqlite+pysqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg2": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+aiomysql",
    "mysql+pymysql": "mysql+aiomysql",
}


def _scope() -> int:
    """The key of ``db.session``: the current app or request context.

    NOTE: the context (one per request, or per ``app.app_context()``) is held in a
    contextvar, so a sync view run in a worker thread under ASGI sees its own request's
    context, and two concurrent requests never share a session even on one thread.
    """
    try:
        ctx = _cv_ctx.get()
    except LookupError:
        raise RuntimeError(
            "db.session was used outside an application context. Use it in a view, or"
            " inside 'with app.app_context():'."
        ) from None
    return id(ctx)


#: Pool sizing options a ``NullPool`` does not take.
_POOL_SIZING = ("pool_size", "max_overflow", "pool_timeout", "pool_use_lifo")


def async_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """The sync engine's options, for its async twin (see :meth:`SQLAlchemy.async_engine`)."""
    if "poolclass" in options:
        return dict(options)
    result = {k: v for k, v in options.items() if k not in _POOL_SIZING}
    result["poolclass"] = NullPool
    return result


def resolve_url(url: str | URL, instance_path: str) -> tuple[URL, dict[str, Any]]:
    """The URL to connect to, and the engine options a SQLite URL needs.

    A relative SQLite file (``sqlite:///name.db``) lives in the instance folder, which is
    created; an in-memory one is shared by all threads (one connection).
    """
    url = make_url(url)
    options: dict[str, Any] = {}
    if url.get_backend_name() != "sqlite":
        return url, options
    database = url.database
    if not database or database == ":memory:" or url.query.get("mode") == "memory":
        options["poolclass"] = StaticPool
        options["connect_args"] = {"check_same_thread": False}
        return url, options
    if not database.startswith("file:") and not os.path.isabs(database):
        os.makedirs(instance_path, exist_ok=True)
        url = url.set(database=os.path.join(instance_path, database))
    return url, options


class _State:
    """One app's engines (sync ones built at ``init_app``, async ones per event loop)."""

    def __init__(
        self, db: SQLAlchemy, urls: dict[str | None, tuple[URL, dict[str, Any]]]
    ) -> None:
        self.db = db
        self.urls = urls
        self.engines = {key: sa.create_engine(u, **o) for key, (u, o) in urls.items()}
        self.async_engines: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[str | None, AsyncEngine]
        ] = weakref.WeakKeyDictionary()
        self._binds: dict[Any, Any] = {}
        self._binds_for = -1

    def binds(self, metadata: sa.MetaData) -> dict[Any, Any]:
        """Tables with a ``__bind_key__`` -> their engine (recomputed when tables are
        added)."""
        if self._binds_for != len(metadata.tables):
            self._binds = {
                table: self.engine(table.info["bind_key"])
                for table in metadata.tables.values()
                if table.info.get("bind_key") is not None
            }
            self._binds_for = len(metadata.tables)
        return self._binds

    def engine(self, key: str | None) -> Engine:
        try:
            return self.engines[key]
        except KeyError:
            raise KeyError(
                f"No database is configured for bind key {key!r}: add it to"
                " SQLALCHEMY_BINDS."
            ) from None


class _AppSession(Session):
    """A session on the current app's engines (the default one, and a table's bind)."""

    def __init__(self, db: SQLAlchemy, **options: Any) -> None:
        state = db._state()
        options["bind"] = options.get("bind") or state.engines[None]
        options.setdefault("binds", state.binds(db.metadata))
        super().__init__(**options)


class SQLAlchemy:
    """SQLAlchemy 2 for a carboy app::

        db = SQLAlchemy(app)            # or SQLAlchemy() and db.init_app(app)

        class User(db.Model):           # table "user"
            id: Mapped[int] = mapped_column(primary_key=True)
            name: Mapped[str]

        @app.get("/users/<int:id>")
        def show(id):
            return {"name": db.get_or_404(User, id).name}

    Config keys: ``SQLALCHEMY_DATABASE_URI`` (default ``sqlite:///app.db``, a file in
    the instance folder), ``SQLALCHEMY_BINDS`` (bind key -> URL or dict of engine
    options with ``"url"``), ``SQLALCHEMY_ENGINE_OPTIONS`` and ``SQLALCHEMY_ECHO``.
    """

    def __init__(
        self,
        app: Carboy | None = None,
        *,
        metadata: sa.MetaData | None = None,
        session_options: Mapping[str, Any] | None = None,
        engine_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.Model: Any = make_model(metadata)
        self.metadata: sa.MetaData = self.Model.metadata
        self._engine_options = dict(engine_options or {})
        self._session_options = dict(session_options or {})
        #: The session of the current app context; removed (closed, its transaction
        #: rolled back) when the context ends.
        self.session: scoped_session[Session] = scoped_session(
            sessionmaker(class_=_AppSession, db=self, **self._session_options),
            scopefunc=_scope,
        )
        if app is not None:
            self.init_app(app)

    # -- setup ------------------------------------------------------------------------

    def init_app(self, app: Carboy) -> None:
        """Build ``app``'s engines from its config and close sessions at teardown."""
        config = app.config
        config.setdefault("SQLALCHEMY_DATABASE_URI", "sqlite:///app.db")
        config.setdefault("SQLALCHEMY_BINDS", {})
        config.setdefault("SQLALCHEMY_ENGINE_OPTIONS", {})
        config.setdefault("SQLALCHEMY_ECHO", False)
        base = {**self._engine_options, **config["SQLALCHEMY_ENGINE_OPTIONS"]}
        if config["SQLALCHEMY_ECHO"]:
            base["echo"] = True
        specs: dict[str | None, Any] = {None: config["SQLALCHEMY_DATABASE_URI"]}
        specs.update(config["SQLALCHEMY_BINDS"])
        urls = {}
        for key, spec in specs.items():
            options = dict(base)
            if isinstance(spec, Mapping):
                options.update(spec)
                spec = options.pop("url")
            url, extra = resolve_url(spec, app.instance_path)
            urls[key] = url, {**extra, **options}
        app.extensions["sqlalchemy"] = _State(self, urls)
        app.teardown_appcontext(self._teardown)
        from .migrations import db_cli

        app.cli.add_command(db_cli)  # carboy db ...

    def _teardown(self, exc: BaseException | None) -> None:
        registry = self.session.registry
        if registry.has():
            if exc is not None:
                registry().rollback()
            self.session.remove()

    def _state(self, app: Carboy | None = None) -> _State:
        app = app if app is not None else current_app._get_current_object()  # type: ignore[attr-defined]
        try:
            state: _State = app.extensions["sqlalchemy"]
        except KeyError:
            raise RuntimeError(
                "The SQLAlchemy extension is not registered on this app: call"
                " db.init_app(app) (or SQLAlchemy(app)) first."
            ) from None
        return state

    # -- engines ----------------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The current app's default engine."""
        return self._state().engines[None]

    @property
    def engines(self) -> Mapping[str | None, Engine]:
        """The current app's engines by bind key (``None`` is the default database)."""
        return self._state().engines

    def get_engine(self, bind_key: str | None = None) -> Engine:
        return self._state().engine(bind_key)

    def async_engine(self, bind_key: str | None = None) -> AsyncEngine:
        """The current app's engine for ``async`` code, on the async driver of its URL
        (aiosqlite for SQLite, psycopg for PostgreSQL).

        NOTE: async connections belong to the event loop that opened them, and under
        WSGI each worker thread runs async views on a loop of its own, so there is one
        async engine per loop. Its connections are not pooled (a ``NullPool``): each
        ``async with db.async_session()`` opens and closes its own, so none outlives
        its loop. Pass ``poolclass`` in ``SQLALCHEMY_ENGINE_OPTIONS`` to choose another
        pool (and close it with ``await db.async_engine().dispose()``).
        """
        state = self._state()
        loop = asyncio.get_running_loop()
        engines = state.async_engines.setdefault(loop, {})
        engine = engines.get(bind_key)
        if engine is None:
            url, options = state.urls.get(bind_key) or (state.engine(bind_key), {})
            assert isinstance(url, URL)
            engine = create_async_engine(
                url.set(drivername=ASYNC_DRIVERS.get(url.drivername, url.drivername)),
                **async_options(options),
            )
            engines[bind_key] = engine
        return engine

    def async_session(self, **options: Any) -> AsyncSession:
        """A new async session on the current app's databases; use it as
        ``async with db.async_session() as session:`` so it is closed (and an unfinished
        transaction rolled back) when the block ends."""
        state = self._state()
        binds: dict[Any, Any] = {
            table: self.async_engine(table.info["bind_key"])
            for table in state.binds(self.metadata)
        }
        return AsyncSession(
            bind=self.async_engine(),
            binds=binds,
            **{"expire_on_commit": False, **self._session_options, **options},
        )

    # -- tables -----------------------------------------------------------------------

    def _tables(self, bind_key: str | None) -> list[sa.Table]:
        return [
            t for t in self.metadata.sorted_tables if t.info.get("bind_key") == bind_key
        ]

    def create_all(self, bind_key: str | None | list[str | None] = "__all__") -> None:
        """Create the tables that do not exist yet, on every database (or those of
        ``bind_key``)."""
        for key, engine in self._engines_for(bind_key):
            self.metadata.create_all(engine, tables=self._tables(key))

    def drop_all(self, bind_key: str | None | list[str | None] = "__all__") -> None:
        """Drop the models' tables, on every database (or those of ``bind_key``)."""
        for key, engine in self._engines_for(bind_key):
            self.metadata.drop_all(engine, tables=self._tables(key))

    def _engines_for(
        self, bind_key: str | None | list[str | None]
    ) -> list[tuple[str | None, Engine]]:
        state = self._state()
        if bind_key == "__all__":
            return list(state.engines.items())
        keys = bind_key if isinstance(bind_key, list) else [bind_key]
        return [(key, state.engine(key)) for key in keys]

    # -- helpers ----------------------------------------------------------------------

    def get_or_404(
        self, entity: type[T], ident: Any, *, description: str | None = None
    ) -> T:
        """``db.session.get(entity, ident)``, or a 404."""
        value = self.session.get(entity, ident)
        if value is None:
            raise NotFound(description)
        return value

    def first_or_404(
        self, statement: sa.Select[Any], *, description: str | None = None
    ) -> Any:
        """The first row's first column of ``statement``, or a 404 when there is none."""
        value = self.session.execute(statement).scalar()
        if value is None:
            raise NotFound(description)
        return value

    def one_or_404(
        self, statement: sa.Select[Any], *, description: str | None = None
    ) -> Any:
        """The only row's first column of ``statement``; a 404 when there are no rows
        or more than one."""
        try:
            return self.session.execute(statement).scalar_one()
        except (NoResultFound, MultipleResultsFound):
            raise NotFound(description) from None

    def paginate(
        self,
        select: sa.Select[Any],
        *,
        page: int | None = None,
        per_page: int | None = None,
        max_per_page: int | None = None,
        error_out: bool = True,
        count: bool = True,
    ) -> Pagination:
        """One page of ``select``'s results (its first column, as ``scalars()``).

        ``page`` and ``per_page`` default to the request's query string (``?page=2``),
        then to 1 and 20; ``per_page`` is capped by ``max_per_page`` (100 when it comes
        from the query string). A page that is not a whole number >= 1, or an empty
        page past the first, is a 404 (with ``error_out=False``: page 1, 20 a page).
        """
        page, per_page = self._page_args(page, per_page, max_per_page, error_out)
        offset = (page - 1) * per_page
        if offset > MAX_OFFSET:
            if error_out:
                raise NotFound("The page number is too large.")
            page, offset = 1, 0
        items = self.session.execute(select.limit(per_page).offset(offset)).scalars()
        rows = items.all()
        if error_out and page > 1 and not rows:
            raise NotFound("There is no such page.")
        total = len(rows) + offset
        if count and (page > 1 or len(rows) == per_page):
            counted = sa.select(sa.func.count()).select_from(
                select.order_by(None).subquery()
            )
            total = self.session.execute(counted).scalar_one()
        return Pagination(rows, page, per_page, total)

    @staticmethod
    def _page_args(
        page: int | None,
        per_page: int | None,
        max_per_page: int | None,
        error_out: bool,
    ) -> tuple[int, int]:
        from_args = per_page is None
        if page is None or per_page is None:
            args = request.args if request else {}
            try:
                if page is None:
                    page = parse_positive(args.get("page"), "page")
                if per_page is None:
                    per_page = parse_positive(args.get("per_page"), "per_page")
            except NotFound:
                if error_out:
                    raise
                page, per_page = 1, 20
        if max_per_page is None and from_args:
            max_per_page = 100
        page = 1 if page is None else page
        per_page = 20 if per_page is None else per_page
        if page < 1 or per_page < 1:
            if error_out:
                raise NotFound("The page and per_page must be at least 1.")
            page, per_page = max(page, 1), 20 if per_page < 1 else per_page
        if max_per_page is not None:
            per_page = min(per_page, max_per_page)
        return page, per_page
