"""The registration surface shared by :class:`~carboy.Carboy` and ``Blueprint``.

Every decorator is a couple of lines over an explicit ``add_*``/``register_*`` method;
hooks are stored in dicts keyed by blueprint name (``None`` for the application), so the
dispatcher can look them up for a request's blueprint chain.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from .exceptions import HTTPException, default_exceptions

if TYPE_CHECKING:  # pragma: no cover
    from jinja2 import BaseLoader

    from .cli import AppGroup

F = TypeVar("F", bound=Callable[..., Any])
ErrorHandlers = dict[
    str | None, dict[int | None, dict[type[BaseException], Callable[..., Any]]]
]


def get_root_path(import_name: str) -> str:
    """The folder of the module or package ``import_name`` (the cwd when unknown)."""
    mod = sys.modules.get(import_name)
    filename: str | None = getattr(mod, "__file__", None) if mod is not None else None
    if filename:
        return os.path.dirname(os.path.abspath(filename))
    try:
        spec = importlib.util.find_spec(import_name)
    except (ImportError, ValueError):
        spec = None
    if spec is None or spec.origin is None or spec.origin in {"built-in", "frozen"}:
        return os.getcwd()
    return os.path.dirname(os.path.abspath(spec.origin))


def _is_within(path: str, folder: str) -> bool:
    try:
        return os.path.commonpath([path, folder]) == folder
    except ValueError:  # pragma: no cover - different drives (Windows)
        return False


def _package_parent(import_name: str) -> str:
    """The folder that holds the top-level module or package of ``import_name`` (the
    folder on ``sys.path`` it was found in), or the cwd when it cannot be found."""
    top = import_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top)
    except (ImportError, ValueError):
        spec = None
    if spec is None:
        return os.getcwd()
    locations = list(spec.submodule_search_locations or ())
    if not locations:  # a module: its file is directly on the search path
        assert spec.origin is not None
        return os.path.dirname(os.path.abspath(spec.origin))
    if spec.origin not in {
        None,
        "namespace",
    }:  # a regular package: <parent>/pkg/__init__.py
        return os.path.dirname(os.path.dirname(os.path.abspath(spec.origin)))
    # NOTE: a namespace package spans several folders; pick the one that holds the
    # app's own subpackage, else the first.
    chosen = locations[0]
    try:
        sub = importlib.util.find_spec(import_name) if "." in import_name else None
    except (ImportError, ValueError):
        sub = None
    if sub is not None:
        where = list(sub.submodule_search_locations or ())
        if not where and sub.origin:
            where = [os.path.dirname(sub.origin)]
        if where:
            own = os.path.commonpath([os.path.abspath(w) for w in where])
            chosen = next(
                (loc for loc in locations if _is_within(own, os.path.abspath(loc))),
                chosen,
            )
    return os.path.dirname(os.path.abspath(chosen))


def find_package(import_name: str) -> tuple[str | None, str]:
    """``(prefix, folder)`` for ``import_name``: ``folder`` holds its top-level module
    or package; ``prefix`` is the installation prefix when it is installed (in
    ``sys.prefix`` or a ``site-packages`` folder), else ``None``."""
    folder = _package_parent(import_name)
    prefix = os.path.abspath(sys.prefix)
    if _is_within(os.path.abspath(folder), prefix):
        return prefix, folder
    parent, name = os.path.split(folder)
    if name.lower() == "site-packages":
        grandparent, lib = os.path.split(parent)
        if lib.lower() == "lib":  # <prefix>/Lib/site-packages (Windows)
            return grandparent, folder
        if os.path.basename(grandparent).lower() == "lib":  # <prefix>/lib/pythonX.Y/...
            return os.path.dirname(grandparent), folder
        return parent, folder
    return None, folder


def template_decorator(
    add: Callable[..., None], name: str | Callable[..., Any] | None
) -> Any:
    """Support both ``@app.template_filter`` and ``@app.template_filter("name")``."""
    if callable(name):
        add(name)
        return name

    def decorator(f: F) -> F:
        add(f, name)
        return f

    return decorator


def _endpoint_from_view_func(view_func: Callable[..., Any]) -> str:
    assert view_func is not None, "expected view func if endpoint is not provided."
    return view_func.__name__


class Scaffold(ABC):
    """What an app and a blueprint both register: routes, hooks, error handlers."""

    name: str
    _static_folder: str | None = None
    _static_url_path: str | None = None

    def __init__(
        self,
        import_name: str,
        static_folder: str | os.PathLike[str] | None = None,
        static_url_path: str | None = None,
        template_folder: str | os.PathLike[str] | None = None,
        root_path: str | None = None,
    ) -> None:
        self.import_name = import_name
        self.static_folder = static_folder
        self.static_url_path = static_url_path
        self.template_folder = template_folder
        if root_path is None:
            root_path = get_root_path(self.import_name)
        self.root_path = root_path
        self.view_functions: dict[str, Callable[..., Any]] = {}
        self.error_handler_spec: ErrorHandlers = defaultdict(lambda: defaultdict(dict))
        self.before_request_funcs: dict[str | None, list[Callable[..., Any]]] = (
            defaultdict(list)
        )
        self.after_request_funcs: dict[str | None, list[Callable[..., Any]]] = (
            defaultdict(list)
        )
        self.teardown_request_funcs: dict[str | None, list[Callable[..., Any]]] = (
            defaultdict(list)
        )
        self.template_context_processors: dict[str | None, list[Callable[..., Any]]] = (
            defaultdict(list)
        )
        self.url_value_preprocessors: dict[str | None, list[Callable[..., Any]]] = (
            defaultdict(list)
        )
        self.url_default_functions: dict[str | None, list[Callable[..., Any]]] = (
            defaultdict(list)
        )
        self.before_websocket_funcs: dict[str | None, list[Callable[..., Any]]] = (
            defaultdict(list)
        )
        self.after_websocket_funcs: dict[str | None, list[Callable[..., Any]]] = (
            defaultdict(list)
        )

    _cli: AppGroup | None = None

    @property
    def cli(self) -> AppGroup:
        """The click group for this app's or blueprint's commands::

            @app.cli.command("init-db")
            def init_db():
                ...

        PERF: created on first access, so ``import carboy`` does not load click.
        """
        if self._cli is None:
            from .cli import AppGroup

            self._cli = AppGroup(self.name)
        return self._cli

    @cli.setter
    def cli(self, value: AppGroup) -> None:
        self._cli = value

    @abstractmethod
    def _check_setup_finished(self, f_name: str) -> None:
        """Refuse a setup call made too late (after the first request)."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"

    # -- static files -------------------------------------------------------------------

    @property
    def static_folder(self) -> str | None:
        """The absolute path of the static folder, or ``None``."""
        if self._static_folder is not None:
            return os.path.join(self.root_path, self._static_folder)
        return None

    @static_folder.setter
    def static_folder(self, value: str | os.PathLike[str] | None) -> None:
        if value is not None:
            value = os.fspath(value).rstrip(r"\/")
        self._static_folder = value

    @property
    def has_static_folder(self) -> bool:
        return self.static_folder is not None

    @cached_property
    def jinja_loader(self) -> BaseLoader | None:
        """A Jinja2 loader for ``template_folder``, or ``None`` when there is none."""
        from .jinja import folder_loader

        return folder_loader(self)

    @property
    def static_url_path(self) -> str | None:
        """The URL prefix static files are served under (``/static`` by default)."""
        if self._static_url_path is not None:
            return self._static_url_path
        if self.static_folder is not None:
            basename = os.path.basename(self.static_folder)
            return f"/{basename}".rstrip("/")
        return None

    @static_url_path.setter
    def static_url_path(self, value: str | None) -> None:
        if value is not None:
            value = value.rstrip("/")
        self._static_url_path = value

    # -- routes ----------------------------------------------------------------------------

    def route(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Register the decorated function as the view for URL ``rule``.

        ::

            @app.route("/users/<int:id>", methods=["GET", "POST"])
            def user(id): ...
        """

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(rule, endpoint, f, **options)
            return f

        return decorator

    def _method_route(
        self, method: str, rule: str, options: dict[str, Any]
    ) -> Callable[[F], F]:
        if "methods" in options:
            raise TypeError("Use the 'route' decorator to use the 'methods' argument.")
        return self.route(rule, methods=[method], **options)

    def get(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["GET"])``."""
        return self._method_route("GET", rule, options)

    def post(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["POST"])``."""
        return self._method_route("POST", rule, options)

    def put(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PUT"])``."""
        return self._method_route("PUT", rule, options)

    def delete(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["DELETE"])``."""
        return self._method_route("DELETE", rule, options)

    def patch(self, rule: str, **options: Any) -> Callable[[F], F]:
        """``route(rule, methods=["PATCH"])``."""
        return self._method_route("PATCH", rule, options)

    def websocket(self, rule: str, **options: Any) -> Callable[[F], F]:
        """Register the decorated function as the handler of WebSocket connections to
        URL ``rule`` (ASGI; see ``docs/websockets-and-streaming.md``).

        ::

            @app.websocket("/echo")
            async def echo():
                async for message in websocket:
                    await websocket.send(message)
        """

        def decorator(f: F) -> F:
            endpoint = options.pop("endpoint", None)
            self.add_url_rule(
                rule,
                endpoint,
                f,
                provide_automatic_options=False,
                methods=["GET"],
                websocket=True,
                **options,
            )
            return f

        return decorator

    @abstractmethod
    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Connect URL ``rule`` to ``view_func`` (an app registers it now, a blueprint
        records it for registration)."""

    def endpoint(self, endpoint: str) -> Callable[[F], F]:
        """Register the decorated function as the view for ``endpoint``."""

        def decorator(f: F) -> F:
            self._check_setup_finished("endpoint")
            self.view_functions[endpoint] = f
            return f

        return decorator

    # -- hooks -----------------------------------------------------------------------------

    def before_request(self, f: F) -> F:
        """Run ``f()`` before each request; a non-``None`` return is the response."""
        self._check_setup_finished("before_request")
        self.before_request_funcs.setdefault(None, []).append(f)
        return f

    def after_request(self, f: F) -> F:
        """Run ``f(response)`` after each request; it returns the response to send."""
        self._check_setup_finished("after_request")
        self.after_request_funcs.setdefault(None, []).append(f)
        return f

    def teardown_request(self, f: F) -> F:
        """Run ``f(exc)`` when each request ends, even after an error."""
        self._check_setup_finished("teardown_request")
        self.teardown_request_funcs.setdefault(None, []).append(f)
        return f

    def before_websocket(self, f: F) -> F:
        """Run ``f()`` before each WebSocket handler; a non-``None`` return is an HTTP
        response that refuses the connection (when it was not accepted yet)."""
        self._check_setup_finished("before_websocket")
        self.before_websocket_funcs[None].append(f)
        return f

    def after_websocket(self, f: F) -> F:
        """Run ``f(response)`` after each WebSocket handler returns; ``response`` is the
        refusal the handler returned, or ``None``; ``f`` returns it (or a new one)."""
        self._check_setup_finished("after_websocket")
        self.after_websocket_funcs[None].append(f)
        return f

    def context_processor(self, f: F) -> F:
        """Merge the dict ``f()`` returns into every template's context."""
        self._check_setup_finished("context_processor")
        self.template_context_processors[None].append(f)
        return f

    def url_value_preprocessor(self, f: F) -> F:
        """Run ``f(endpoint, values)`` after matching, before the view (may edit values)."""
        self._check_setup_finished("url_value_preprocessor")
        self.url_value_preprocessors[None].append(f)
        return f

    def url_defaults(self, f: F) -> F:
        """Run ``f(endpoint, values)`` in ``url_for`` to fill in missing values."""
        self._check_setup_finished("url_defaults")
        self.url_default_functions[None].append(f)
        return f

    def errorhandler(
        self, code_or_exception: type[BaseException] | int
    ) -> Callable[[F], F]:
        """Handle an HTTP status code or an exception class with the decorated function.

        ::

            @app.errorhandler(404)
            def not_found(e):
                return "Nothing here", 404
        """

        def decorator(f: F) -> F:
            self.register_error_handler(code_or_exception, f)
            return f

        return decorator

    def register_error_handler(
        self, code_or_exception: type[BaseException] | int, f: Callable[..., Any]
    ) -> None:
        """The method behind :meth:`errorhandler`."""
        self._check_setup_finished("register_error_handler")
        exc_class, code = self._get_exc_class_and_code(code_or_exception)
        self.error_handler_spec[None][code][exc_class] = f

    @staticmethod
    def _get_exc_class_and_code(
        exc_class_or_code: type[BaseException] | int,
    ) -> tuple[type[BaseException], int | None]:
        exc_class: type[BaseException]
        if isinstance(exc_class_or_code, int):
            try:
                exc_class = default_exceptions[exc_class_or_code]
            except KeyError:
                raise ValueError(
                    f"'{exc_class_or_code}' is not a recognized HTTP error code. Use a"
                    " subclass of HTTPException with that code instead."
                ) from None
        else:
            exc_class = exc_class_or_code
        if isinstance(exc_class, Exception):
            raise TypeError(
                f"{exc_class!r} is an instance, not a class. Handlers can only be"
                " registered for Exception classes or HTTP error codes."
            )
        if not issubclass(exc_class, Exception):
            raise ValueError(
                f"'{exc_class.__name__}' is not a subclass of Exception. Handlers can only"
                " be registered for Exception classes or HTTP error codes."
            )
        if issubclass(exc_class, HTTPException):
            return exc_class, exc_class.code
        return exc_class, None
