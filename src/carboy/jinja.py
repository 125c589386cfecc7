"""The Jinja2 environment behind ``app.jinja_env`` and its loader.

Imported only when the environment is first needed, so ``import carboy`` does not load
Jinja2 (see ``carboy.templating`` for the render functions).
"""

from __future__ import annotations

import os
import weakref
from collections import ChainMap
from collections.abc import Callable, Iterator, MutableMapping
from typing import TYPE_CHECKING, Any

from jinja2 import BaseLoader, FileSystemLoader, Template, TemplateNotFound
from jinja2 import Environment as BaseEnvironment

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy
    from .scaffold import Scaffold


class _KnowsItsApp:
    """``app`` without a strong reference: the app holds its environment and loader,
    which must not hold it back (a cycle outlives the app's last reference)."""

    _app_ref: weakref.ref[Carboy]

    @property
    def app(self) -> Carboy:
        app = self._app_ref()
        assert app is not None, "the application was freed"
        return app

    @app.setter
    def app(self, app: Carboy) -> None:
        self._app_ref = weakref.ref(app)


class Environment(_KnowsItsApp, BaseEnvironment):
    """A Jinja2 environment that knows its app and loads from its template folders."""

    def __init__(self, app: Carboy, **options: Any) -> None:
        if "loader" not in options:
            options["loader"] = app.create_global_jinja_loader()
        super().__init__(**options)
        self.app = app

    def make_globals(
        self, d: MutableMapping[str, Any] | None
    ) -> MutableMapping[str, Any]:
        """A template's globals: the environment's own dict when the template has none
        of its own (Jinja's layering, a ``ChainMap``, when it has).

        PERF: every render copies the template's globals into its context. Copying a
        ``ChainMap`` goes key by key through Python code, about 5,000 instructions per
        global, and an app has a dozen; a dict is copied in one C call. The globals
        stay live: a global added to ``jinja_env.globals`` later is seen as before.
        """
        if not d:
            return self.globals
        return super().make_globals(d)

    def _load_template(
        self, name: str, globals: MutableMapping[str, Any] | None
    ) -> Template:
        if globals and self.cache is not None and self.loader is not None:
            # NOTE: Jinja adds ``globals`` to a cached template's own globals in place;
            # one that shares the environment's dict (make_globals) gets its own
            # layer first, so the values reach that template only, as in Jinja.
            cached = self.cache.get((weakref.ref(self.loader), name))
            if cached is not None and cached.globals is self.globals:
                cached.globals = ChainMap({}, self.globals)
        return super()._load_template(name, globals)


class DispatchingJinjaLoader(_KnowsItsApp, BaseLoader):
    """Looks in the app's loader, then in each blueprint's (registration order)."""

    def __init__(self, app: Carboy) -> None:
        self.app = app

    def get_source(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        if self.app.config["EXPLAIN_TEMPLATE_LOADING"]:
            return self._get_source_explained(environment, template)
        for _owner, loader in self._iter_loaders():
            try:
                return loader.get_source(environment, template)
            except TemplateNotFound:
                continue
        raise TemplateNotFound(template)

    def _get_source_explained(
        self, environment: BaseEnvironment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        attempts: list[str] = []
        found = None
        for owner, loader in self._iter_loaders():
            try:
                rv = loader.get_source(environment, template)
            except TemplateNotFound:
                attempts.append(f"{owner!r}: no match")
                continue
            attempts.append(f"{owner!r}: found at {rv[1]}")
            if found is None:
                found = rv
        self.app.logger.info(
            "Locating template %r:\n  %s",
            template,
            "\n  ".join(attempts) or "no loaders",
        )
        if found is None:
            raise TemplateNotFound(template)
        return found

    def _iter_loaders(self) -> Iterator[tuple[Scaffold, BaseLoader]]:
        loader = self.app.jinja_loader
        if loader is not None:
            yield self.app, loader
        for blueprint in self.app.iter_blueprints():
            loader = blueprint.jinja_loader
            if loader is not None:
                yield blueprint, loader

    def list_templates(self) -> list[str]:
        result: set[str] = set()
        for _owner, loader in self._iter_loaders():
            result.update(loader.list_templates())
        return sorted(result)


def folder_loader(scaffold: Scaffold) -> FileSystemLoader | None:
    """A loader for ``scaffold.template_folder`` (relative to its root path), or ``None``."""
    if scaffold.template_folder is None:
        return None
    return FileSystemLoader(os.path.join(scaffold.root_path, scaffold.template_folder))


def create_environment(app: Carboy) -> Environment:
    """The environment behind ``app.jinja_env`` (see ``Carboy.create_jinja_environment``)."""
    from .globals import g, request, session
    from .helpers import get_flashed_messages

    app_ref = weakref.ref(app)

    def select_autoescape(filename: str | None) -> bool:
        return app_ref().select_jinja_autoescape(filename)  # type: ignore[union-attr]

    def url_for(endpoint: str, /, **values: Any) -> str:
        return app_ref().url_for(endpoint, **values)  # type: ignore[union-attr]

    options = dict(app.jinja_options)
    if "autoescape" not in options:
        options["autoescape"] = select_autoescape
    if "auto_reload" not in options:
        auto_reload = app.config["TEMPLATES_AUTO_RELOAD"]
        options["auto_reload"] = app.debug if auto_reload is None else bool(auto_reload)
    env_class: type[Environment] = app.jinja_environment or Environment
    env = env_class(app, **options)
    # NOTE: the proxies are resolved only when a template uses them, so a template that
    # never mentions ``session`` never opens it (no cookie, no ``Vary``).
    # NOTE: functions that find the app through a weak reference, not its bound
    # methods, so the environment does not keep the app alive.
    env.globals.update(
        url_for=url_for,
        get_flashed_messages=get_flashed_messages,
        config=app.config,
        request=request,
        session=session,
        g=g,
    )
    env.filters.update(app.template_filters)
    env.tests.update(app.template_tests)
    env.globals.update(app.template_globals)
    env.policies["json.dumps_function"] = app.json.dumps
    return env
