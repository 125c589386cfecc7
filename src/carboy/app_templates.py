"""The application's templates: the Jinja2 environment, and the filters, tests and
globals registered on the app."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from .ctx import _cv_ctx
from .scaffold import template_decorator
from .templating import select_autoescape, update_context

if TYPE_CHECKING:  # pragma: no cover
    from jinja2 import BaseLoader

    from .app import Carboy
    from .jinja import Environment


class Templates:
    """Jinja2 setup; a part of :class:`carboy.Carboy`."""

    _jinja_env: Any
    template_filters: dict[str, Callable[..., Any]]
    template_tests: dict[str, Callable[..., Any]]
    template_globals: dict[str, Any]

    if TYPE_CHECKING:  # pragma: no cover

        def _check_setup_finished(self, f_name: str) -> None: ...

    # -- templates -------------------------------------------------------------------------

    @property
    def jinja_env(self) -> Environment:
        """The app's Jinja2 environment, created on first use (see ``carboy.templating``)."""
        env = self._jinja_env
        if env is None:
            env = self._jinja_env = self.create_jinja_environment()
        return env  # type: ignore[no-any-return]

    def create_jinja_environment(self) -> Environment:
        """Build ``jinja_env`` from ``jinja_options`` and the template filters, tests and
        globals; ``TEMPLATES_AUTO_RELOAD`` (default: on in debug) sets ``auto_reload``."""
        from .jinja import create_environment

        return create_environment(cast("Carboy", self))

    def create_global_jinja_loader(self) -> BaseLoader:
        """The loader searching the app's template folder, then each blueprint's."""
        from .jinja import DispatchingJinjaLoader

        return DispatchingJinjaLoader(cast("Carboy", self))

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether to autoescape template ``filename`` (``None`` for a string)."""
        return select_autoescape(filename)

    def update_template_context(self, context: dict[str, Any]) -> None:
        """Merge the context processors' values into ``context`` (``context`` wins)."""
        update_context(cast("Carboy", self), _cv_ctx.get(None), context)

    def template_filter(self, name: str | Callable[..., Any] | None = None) -> Any:
        """Register a Jinja2 filter: ``@app.template_filter()`` or ``("name")``."""
        return template_decorator(self.add_template_filter, name)

    def add_template_filter(
        self, f: Callable[..., Any], name: str | None = None
    ) -> None:
        self._check_setup_finished("add_template_filter")
        self._add_template_item("filters", self.template_filters, f, name)

    def template_test(self, name: str | Callable[..., Any] | None = None) -> Any:
        """Register a Jinja2 test: ``@app.template_test()`` or ``("name")``."""
        return template_decorator(self.add_template_test, name)

    def add_template_test(
        self, f: Callable[..., bool], name: str | None = None
    ) -> None:
        self._check_setup_finished("add_template_test")
        self._add_template_item("tests", self.template_tests, f, name)

    def template_global(self, name: str | Callable[..., Any] | None = None) -> Any:
        """Register a Jinja2 global function: ``@app.template_global()`` or ``("name")``."""
        return template_decorator(self.add_template_global, name)

    def add_template_global(
        self, f: Callable[..., Any], name: str | None = None
    ) -> None:
        self._check_setup_finished("add_template_global")
        self._add_template_item("globals", self.template_globals, f, name)

    def _add_template_item(
        self, kind: str, store: dict[str, Any], f: Callable[..., Any], name: str | None
    ) -> None:
        name = name or f.__name__
        store[name] = f
        if self._jinja_env is not None:
            getattr(self._jinja_env, kind)[name] = f
