"""The application: :class:`Carboy`, one object that is a WSGI and an ASGI application."""

from __future__ import annotations

import inspect
import logging
import os
import sys
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .config import Config, ConfigAttribute
from .ctx import Context, _AppCtxGlobals, _cv_ctx
from .dispatch import (
    Hooks,
    blueprint_chain,
    collect_hooks,
    drive_sync,
    is_http_exception,
    teardown,
)
from .exceptions import Aborter, BadHost, HTTPException, NotFound
from .json import DefaultJSONProvider, JSONProvider
from .loops import run_coroutine_sync
from .routing import BuildError, Map, RequestRedirect, Rule
from .sansio.datastructures import Headers
from .sansio.request import host_without_port
from .sansio.response import Response as _SansioResponse
from .sansio.urls import iri_to_uri, url_quote
from .scaffold import Scaffold, get_root_path, template_decorator
from .templating import select_autoescape, update_context
from .wrappers import Request as Request
from .wrappers import Response as Response

if TYPE_CHECKING:  # pragma: no cover
    from jinja2 import BaseLoader

    from .jinja import Environment
    from .sessions import SessionInterface, SessionMixin
    from .testing import CarboyClient

F = TypeVar("F", bound=Callable[..., Any])
ExcInfo = (
    tuple[type[BaseException], BaseException, TracebackType] | tuple[None, None, None]
)


_default_config: dict[str, Any] = {
    "DEBUG": None,
    "TESTING": False,
    "PROPAGATE_EXCEPTIONS": None,
    "SECRET_KEY": None,
    "SECRET_KEY_FALLBACKS": None,
    "PERMANENT_SESSION_LIFETIME": timedelta(days=31),
    "USE_X_SENDFILE": False,
    "TRUSTED_HOSTS": None,
    "SERVER_NAME": None,
    "APPLICATION_ROOT": "/",
    "SESSION_COOKIE_NAME": "session",
    "SESSION_COOKIE_DOMAIN": None,
    "SESSION_COOKIE_PATH": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_PARTITIONED": False,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_REFRESH_EACH_REQUEST": True,
    # NOTE: Flask has no body limit by default; carboy bounds bodies (16 MiB).
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "MAX_FORM_MEMORY_SIZE": 500_000,
    "MAX_FORM_PARTS": 1_000,
    "SEND_FILE_MAX_AGE_DEFAULT": None,
    "TRAP_BAD_REQUEST_ERRORS": None,
    "TRAP_HTTP_EXCEPTIONS": False,
    "EXPLAIN_TEMPLATE_LOADING": False,
    "PREFERRED_URL_SCHEME": "http",
    "TEMPLATES_AUTO_RELOAD": None,
    "MAX_COOKIE_SIZE": 4093,
    "PROVIDE_AUTOMATIC_OPTIONS": True,
    # Seconds an ASGI request body may stall between messages before a 408.
    "BODY_TIMEOUT": 60.0,
}


#: The subdomain of a host outside SERVER_NAME: no rule's subdomain can equal it.
_NO_SUBDOMAIN = "<invalid>"
_ANCHOR_SAFE = "%!#$&'()*+,/:;=?@"
# PERF: tuples, not ``A | B`` unions, which are built anew at each isinstance call.
_BODY_TYPES = (str, bytes, bytearray)
_JSON_TYPES = (dict, list)
_HEADER_SHAPES = (dict, tuple, list)


class Carboy(Scaffold):
    """The application object: a WSGI application and an ASGI application at once.

    ::

        from carboy import Carboy

        app = Carboy(__name__)

        @app.get("/")
        def index():
            return "Hello, World!"

    Serve it with ``gunicorn module:app`` (WSGI) or ``uvicorn module:app`` (ASGI).
    """

    request_class: type[Request] = Request
    response_class: type[Response] = Response
    json_provider_class: type[JSONProvider] = DefaultJSONProvider
    app_ctx_globals_class = _AppCtxGlobals
    config_class = Config
    aborter_class = Aborter
    url_rule_class = Rule
    url_map_class = Map
    default_config = _default_config
    test_client_class: type[Any] | None = None
    #: The ``jinja_env`` class; ``None`` means :class:`carboy.templating.Environment`.
    jinja_environment: type[Environment] | None = None

    testing = ConfigAttribute("TESTING")
    secret_key = ConfigAttribute("SECRET_KEY")
    permanent_session_lifetime = ConfigAttribute(
        "PERMANENT_SESSION_LIFETIME",
        lambda v: v if isinstance(v, timedelta) else timedelta(seconds=v),
    )

    def __init__(
        self,
        import_name: str,
        static_url_path: str | None = None,
        static_folder: str | os.PathLike[str] | None = "static",
        static_host: str | None = None,
        host_matching: bool = False,
        subdomain_matching: bool = False,
        template_folder: str | os.PathLike[str] | None = "templates",
        instance_path: str | None = None,
        instance_relative_config: bool = False,
        root_path: str | None = None,
    ) -> None:
        super().__init__(
            import_name,
            static_folder=static_folder,
            static_url_path=static_url_path,
            template_folder=template_folder,
            root_path=root_path,
        )
        if instance_path is None:
            instance_path = self.auto_find_instance_path()
        elif not os.path.isabs(instance_path):
            raise ValueError("If an instance path is provided it must be absolute.")
        self.instance_path = instance_path
        self.config = self.make_config(instance_relative_config)
        self.aborter = self.aborter_class()
        self.json: JSONProvider = self.json_provider_class(self)
        self.url_build_error_handlers: list[
            Callable[[Exception, str, dict[str, Any]], str]
        ] = []
        self.teardown_appcontext_funcs: list[Callable[..., Any]] = []
        self.shell_context_processors: list[Callable[[], dict[str, Any]]] = []
        self.before_serving_funcs: list[Callable[[], Any]] = []
        self.after_serving_funcs: list[Callable[[], Any]] = []
        self.blueprints: dict[str, Any] = {}
        self.extensions: dict[str, Any] = {}
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        self._hooks_cache: dict[str | None, Hooks] = {}
        self._async_cache: dict[Any, bool] = {}
        self._logger: logging.Logger | None = None
        self._jinja_env: Any = None
        self._session_interface: SessionInterface | None = None
        self.cli: Any = None
        self.jinja_options: dict[str, Any] = {}
        self.template_filters: dict[str, Callable[..., Any]] = {}
        self.template_tests: dict[str, Callable[..., Any]] = {}
        self.template_globals: dict[str, Any] = {}
        if self.has_static_folder:
            assert bool(static_host) == host_matching, (
                "Invalid static_host/host_matching combination"
            )
            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=self.send_static_file,
            )

    # -- setup -----------------------------------------------------------------------------

    @property
    def name(self) -> str:  # type: ignore[override]
        """The application's name: the import name, or the script's name for ``__main__``."""
        if self.import_name == "__main__":
            fn: str | None = getattr(sys.modules["__main__"], "__file__", None)
            if fn is None:
                return "__main__"
            return os.path.splitext(os.path.basename(fn))[0]
        return self.import_name

    @property
    def debug(self) -> bool:
        """Debug mode: detailed errors, template reloading, pretty JSON."""
        return bool(self.config["DEBUG"])

    @debug.setter
    def debug(self, value: bool) -> None:
        self.config["DEBUG"] = value
        if self.config["TEMPLATES_AUTO_RELOAD"] is None and self._jinja_env is not None:
            self._jinja_env.auto_reload = value

    @property
    def logger(self) -> logging.Logger:
        """A ``logging.Logger`` named after the app (``app.name``)."""
        if self._logger is None:
            from .logging import create_logger

            self._logger = create_logger(self)
        return self._logger

    @property
    def propagate_exceptions(self) -> bool:
        rv = self.config["PROPAGATE_EXCEPTIONS"]
        if rv is not None:
            return bool(rv)
        return self.testing or self.debug

    def make_config(self, instance_relative: bool = False) -> Config:
        root_path = self.instance_path if instance_relative else self.root_path
        defaults = dict(self.default_config)
        defaults["DEBUG"] = os.environ.get("CARBOY_DEBUG", "").lower() in {
            "1",
            "true",
            "yes",
        }
        return self.config_class(root_path, defaults)

    def auto_find_instance_path(self) -> str:
        """``<root>/instance`` beside the app's package or module."""
        return os.path.join(get_root_path(self.import_name), "instance")

    def open_instance_resource(self, resource: str, mode: str = "rb") -> Any:
        return open(os.path.join(self.instance_path, resource), mode)

    def open_resource(
        self, resource: str, mode: str = "rb", encoding: str | None = None
    ) -> Any:
        if mode not in {"r", "rt", "rb"}:
            raise ValueError("Resources can only be opened for reading.")
        path = os.path.join(self.root_path, resource)
        if mode == "rb":
            return open(path, mode)
        return open(path, mode, encoding=encoding)

    def _check_setup_finished(self, f_name: str) -> None:
        if self._got_first_request:
            raise AssertionError(
                f"The setup method '{f_name}' can no longer be called on the application."
                " It has already handled its first request, any changes will not be"
                " applied consistently.\nMake sure all imports, decorators, functions,"
                " etc. needed to set up the application are done before running it."
            )

    def add_url_rule(
        self,
        rule: str,
        endpoint: str | None = None,
        view_func: Callable[..., Any] | None = None,
        provide_automatic_options: bool | None = None,
        **options: Any,
    ) -> None:
        """Connect URL ``rule`` to ``view_func`` under ``endpoint`` (the function name
        by default). Options: ``methods``, ``defaults``, ``strict_slashes``,
        ``redirect_to``, ``host``, ``subdomain``, ``websocket``."""
        self._check_setup_finished("add_url_rule")
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint or a view_func.")
            endpoint = view_func.__name__
        options["endpoint"] = endpoint
        methods = options.pop("methods", None)
        if methods is None:
            methods = getattr(view_func, "methods", None) or ("GET",)
        if isinstance(methods, str):
            raise TypeError(
                "Allowed methods must be a list of strings, for example:"
                ' @app.route(..., methods=["POST"])'
            )
        methods = {item.upper() for item in methods}
        methods |= set(getattr(view_func, "required_methods", ()))
        if provide_automatic_options is None:
            provide_automatic_options = getattr(
                view_func, "provide_automatic_options", None
            )
        if provide_automatic_options is None:
            provide_automatic_options = (
                "OPTIONS" not in methods and self.config["PROVIDE_AUTOMATIC_OPTIONS"]
            )
        if provide_automatic_options:
            methods.add("OPTIONS")
        rule_obj = self.url_rule_class(
            rule,
            methods=methods,
            provide_automatic_options=provide_automatic_options,
            **options,
        )
        self.url_map.add(rule_obj)
        if view_func is not None:
            old = self.view_functions.get(endpoint)
            if old is not None and old != view_func:
                raise AssertionError(
                    "View function mapping is overwriting an existing endpoint function:"
                    f" {endpoint}"
                )
            self.view_functions[endpoint] = view_func
        self._hooks_cache.clear()

    def teardown_appcontext(self, f: F) -> F:
        """Run ``f(exc)`` when the app context ends (after every request)."""
        self._check_setup_finished("teardown_appcontext")
        self.teardown_appcontext_funcs.append(f)
        return f

    def before_serving(self, f: F) -> F:
        """Run ``f()`` (plain or async) once when an ASGI server starts (lifespan)."""
        self.before_serving_funcs.append(f)
        return f

    def after_serving(self, f: F) -> F:
        """Run ``f()`` (plain or async) once when an ASGI server shuts down (lifespan)."""
        self.after_serving_funcs.append(f)
        return f

    def shell_context_processor(self, f: F) -> F:
        self._check_setup_finished("shell_context_processor")
        self.shell_context_processors.append(f)
        return f

    def register_blueprint(self, blueprint: Any, **options: Any) -> None:
        """Register a ``Blueprint``: its routes, hooks and handlers join the app."""
        blueprint.register(self, options)
        self._hooks_cache.clear()

    def iter_blueprints(self) -> Iterator[Any]:
        return iter(self.blueprints.values())

    # -- sync and async --------------------------------------------------------------------

    def is_async(self, func: Callable[..., Any]) -> bool:
        """Whether calling ``func`` gives a coroutine (cached per function)."""
        try:
            return self._async_cache[func]
        except (KeyError, TypeError):
            pass
        target = func
        while True:
            wrapped = getattr(target, "__wrapped__", None)
            if wrapped is None or inspect.iscoroutinefunction(target):
                break
            target = wrapped
        result = inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
            type(target).__call__  # the method of a callable object
        )
        try:
            self._async_cache[func] = result
        except TypeError:  # pragma: no cover - unhashable callables
            pass
        return result

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` as a plain callable: an ``async def`` one is run to completion."""
        if self.is_async(func):
            return self.async_to_sync(func)
        return func

    def async_to_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return run_coroutine_sync(func(*args, **kwargs))

        return wrapper

    # -- requests ----------------------------------------------------------------------

    def _hooks_for(self, request: Request) -> Hooks:
        rule = request.url_rule
        endpoint = rule.endpoint if rule is not None else None
        hooks = self._hooks_cache.get(endpoint)
        if hooks is None:
            hooks = self._hooks_cache[endpoint] = collect_hooks(
                self, blueprint_chain(endpoint)
            )
        return hooks

    def match_request(self, ctx: Context, websocket: bool = False) -> None:
        """Match the request's URL, storing the rule and values or the routing error."""
        request = ctx.request
        assert request is not None
        try:
            if self.config["TRUSTED_HOSTS"]:
                self.check_trusted_host(request)
            if self.url_map.host_matching or self.subdomain_matching:
                domain = self._request_domain(request)
            else:
                domain = ""
            rule, values = self.url_map.match(
                request.path, request.method, domain, websocket
            )
        except HTTPException as e:
            request.routing_exception = e
        else:
            request.url_rule = rule
            request.view_args = values

    @property
    def _domain_matching(self) -> bool:
        return self.url_map.host_matching or self.subdomain_matching

    def _request_domain(self, request: Request) -> str:
        host = host_without_port(request.host)
        if self.url_map.host_matching:
            return host
        server_name = host_without_port(self.config["SERVER_NAME"] or "").lower()
        if not server_name or host == server_name:
            return ""
        if not host.endswith("." + server_name):
            # NOTE: a host outside SERVER_NAME ("evilexample.com" for "example.com")
            # has no subdomain any rule can match, as in Flask.
            return _NO_SUBDOMAIN
        return host[: -len(server_name) - 1]

    def check_trusted_host(self, request: Request) -> None:
        """Raise 400 unless the request's host is in ``TRUSTED_HOSTS`` (when set)."""
        trusted = self.config["TRUSTED_HOSTS"]
        if not trusted:
            return
        host = host_without_port(request.host)
        for pattern in trusted:
            pattern = pattern.lower()
            if pattern.startswith("."):
                if host == pattern[1:] or host.endswith(pattern):
                    return
            elif host == pattern:
                return
        raise BadHost(f"Host {request.host!r} is not trusted.")

    def _find_error_handler(
        self, e: BaseException, ctx: Context
    ) -> Callable[..., Any] | None:
        spec = self.error_handler_spec
        if not spec:  # PERF: no handlers registered at all
            return None
        code = getattr(e, "code", None) if is_http_exception(e) else None
        request = ctx.request
        names: tuple[str | None, ...] = (
            (*blueprint_chain(request.endpoint), None)
            if request is not None
            else (None,)
        )
        for c in (code, None) if code is not None else (None,):
            for name in names:
                handler_map = spec.get(name, {}).get(c)
                if not handler_map:
                    continue
                for cls in type(e).__mro__:
                    handler = handler_map.get(cls)
                    if handler is not None:
                        return handler
        return None

    def log_exception(self, ctx: Context, exc_info: ExcInfo) -> None:
        """Log an unhandled exception with its traceback (the path is escaped)."""
        request = ctx.request
        where = ""
        if request is not None:
            path = request.path.encode("unicode_escape").decode("ascii")
            where = f" on {path} [{request.method}]"
        self.logger.error("Exception%s", where, exc_info=exc_info)

    def make_default_options_response(self, ctx: Context) -> Response:
        """The automatic ``OPTIONS`` answer: empty, with ``Allow``."""
        request = ctx.request
        assert request is not None
        domain = self._request_domain(request) if self._domain_matching else ""
        methods = self.url_map.allowed_methods(request.path, domain)
        rv = self.response_class()
        rv.headers.set("Allow", ", ".join(sorted(methods)))
        return rv

    def redirect_response(self, ctx: Context, e: RequestRedirect) -> Response:
        """The 308 for a strict-slash or ``redirect_to`` rule, with a safe ``Location``.

        NOTE: the target is made relative to the request path ("./name/"), so a path
        such as ``//evil.example`` can never become a protocol-relative redirect.
        """
        request = ctx.request
        assert request is not None
        target = e.new_url
        location = _relative_location(
            request.root_path + request.path, request.root_path + target
        )
        query = request.query_string.decode("latin-1")
        if query and "?" not in target:
            location = f"{location}?{query}"
        rv = self.response_class(status=e.code)
        rv.headers.set("Location", iri_to_uri(location))
        return rv

    def make_response(self, rv: Any) -> Response:
        """Turn a view's return value into a :class:`Response`, as Flask does.

        ``str``/``bytes`` (HTML body), ``dict``/``list`` (JSON), a ``Response``, an
        iterator of ``str``/``bytes`` (streamed), or a tuple ``(body, status)``,
        ``(body, headers)`` or ``(body, status, headers)``.
        """
        status = headers = None
        if type(rv) is tuple:
            rv, status, headers = _unpack_tuple(rv)
        if isinstance(rv, _BODY_TYPES):  # PERF: the common case first
            return self.response_class(rv, status, headers)
        if not isinstance(rv, _SansioResponse):
            if isinstance(rv, Iterator) or hasattr(rv, "__aiter__"):
                return self.response_class(rv, status, headers)
            rv = self._coerce_return_value(rv)
        if status is not None:
            rv.status = status
        if headers:
            rv.headers.update(headers)
        response: Response = rv
        return response

    def _coerce_return_value(self, rv: Any) -> Response:
        """A response from a view's ``None``, JSON value or error object."""
        if rv is None:
            raise TypeError(
                f"The view function for {self._current_endpoint()!r} did not return a valid"
                " response. The function either returned None or ended without a return"
                " statement."
            )
        if isinstance(rv, _JSON_TYPES):
            return self.json.response(rv)
        if isinstance(rv, HTTPException):
            return rv.get_response()  # type: ignore[return-value]
        if is_http_exception(rv):
            return _foreign_response(self, rv.get_response())
        if hasattr(rv, "status_code") and hasattr(rv, "get_data"):
            return _foreign_response(self, rv)
        raise TypeError(
            f"The view function for {self._current_endpoint()!r} did not return a"
            " valid response. The return type must be a string, dict, list,"
            " tuple with headers or status, Response instance, or iterator, but"
            f" it was a {type(rv).__name__}."
        )

    def _current_endpoint(self) -> str | None:
        ctx = _cv_ctx.get(None)
        if ctx is not None and ctx.request is not None:
            return ctx.request.endpoint
        return None

    def _teardown(self, ctx: Context, exc: BaseException | None) -> None:
        drive_sync(teardown(self, ctx, exc), self._call_sync)

    def _call_sync(self, step: Any) -> Any:
        func, args, kwargs = step
        rv = func(*args, **kwargs) if kwargs else func(*args)
        if inspect.iscoroutine(rv):
            rv = run_coroutine_sync(rv)
        return rv

    def do_teardown_request(self, exc: BaseException | None = None) -> None:
        """Run the teardown functions of the current request's context now."""
        self._teardown(_cv_ctx.get(), exc)

    # -- sessions ----------------------------------------------------------------------

    @property
    def session_interface(self) -> SessionInterface:
        """How sessions are loaded and saved (signed cookies by default)."""
        if self._session_interface is None:
            from .sessions import SecureCookieSessionInterface

            self._session_interface = SecureCookieSessionInterface()
        return self._session_interface

    @session_interface.setter
    def session_interface(self, value: SessionInterface) -> None:
        self._session_interface = value

    def _open_session(self, ctx: Context) -> SessionMixin:
        interface = self.session_interface
        session = None
        if ctx.request is not None:
            session = interface.open_session(self, ctx.request)
        if session is None:
            session = interface.make_null_session(self)
        return session

    def _save_session(self, ctx: Context, response: Response) -> None:
        interface = self.session_interface
        session = ctx._session
        assert session is not None
        if not interface.is_null_session(session):
            interface.save_session(self, session, response)
        else:
            interface.save_null_session(self, session, response)

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

        return create_environment(self)

    def create_global_jinja_loader(self) -> BaseLoader:
        """The loader searching the app's template folder, then each blueprint's."""
        from .jinja import DispatchingJinjaLoader

        return DispatchingJinjaLoader(self)

    def select_jinja_autoescape(self, filename: str | None) -> bool:
        """Whether to autoescape template ``filename`` (``None`` for a string)."""
        return select_autoescape(filename)

    def update_template_context(self, context: dict[str, Any]) -> None:
        """Merge the context processors' values into ``context`` (``context`` wins)."""
        update_context(self, _cv_ctx.get(None), context)

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

    # -- URLs ----------------------------------------------------------------------------

    def url_for(
        self,
        endpoint: str,
        *,
        _anchor: str | None = None,
        _method: str | None = None,
        _scheme: str | None = None,
        _external: bool | None = None,
        **values: Any,
    ) -> str:
        """The URL for ``endpoint`` with ``values`` (unknown ones become the query).

        ``url_for(".view")`` is relative to the current request's blueprint.
        """
        ctx = _cv_ctx.get(None)
        request = ctx.request if ctx is not None else None
        if request is not None:
            blueprint = request.blueprint
            if endpoint[:1] == ".":
                endpoint = f"{blueprint}{endpoint}" if blueprint else endpoint[1:]
            if _external is None:
                _external = _scheme is not None
            scheme = _scheme or request.scheme
            host = request.host
            root = request.root_path
        else:
            if endpoint[:1] == ".":
                endpoint = endpoint[1:]
            if _external is None:
                _external = True
            server_name = self.config["SERVER_NAME"]
            if server_name is None and _external:
                raise RuntimeError(
                    "Unable to build URLs outside an active request without"
                    " 'SERVER_NAME' configured. Also configure 'APPLICATION_ROOT' and"
                    " 'PREFERRED_URL_SCHEME' as needed."
                )
            scheme = _scheme or self.config["PREFERRED_URL_SCHEME"]
            host = server_name or ""
            root = (self.config["APPLICATION_ROOT"] or "/").rstrip("/")
        if _scheme is not None and not _external:
            raise ValueError("When specifying '_scheme', '_external' must be True.")
        self.inject_url_defaults(endpoint, values)
        try:
            domain, path = self.url_map.build(endpoint, values, _method)
        except BuildError as error:
            values.update(
                _anchor=_anchor, _method=_method, _scheme=_scheme, _external=_external
            )
            return self.handle_url_build_error(error, endpoint, values)
        if domain:
            if self.url_map.host_matching:
                host = domain
            else:
                base = self.config["SERVER_NAME"] or host
                host = f"{domain}.{base}"
            _external = True
        rv = f"{url_quote(root)}{path}" if root else path
        if _external:
            rv = f"{scheme}://{host}{rv}"
        if _anchor is not None:
            rv = f"{rv}#{url_quote(_anchor, safe=_ANCHOR_SAFE)}"
        return rv

    def inject_url_defaults(self, endpoint: str, values: dict[str, Any]) -> None:
        """Let ``url_defaults`` functions fill ``values`` for ``endpoint``."""
        names: tuple[str | None, ...] = (None, *reversed(blueprint_chain(endpoint)))
        for name in names:
            for func in self.url_default_functions.get(name, ()):
                func(endpoint, values)

    def handle_url_build_error(
        self, error: BuildError, endpoint: str, values: dict[str, Any]
    ) -> str:
        """Give ``url_build_error_handlers`` a chance; re-raise if none returns a URL."""
        for handler in self.url_build_error_handlers:
            try:
                rv = handler(error, endpoint, values)
            except BuildError as e:
                error = e
            else:
                if rv is not None:
                    return rv
        raise error

    # -- contexts ----------------------------------------------------------------------

    def app_context(self) -> Context:
        """An application context: ``with app.app_context(): ...``."""
        return Context(self)

    def request_context(self, request: Request) -> Context:
        ctx = Context(self, request)
        self.match_request(ctx)
        return ctx

    def test_request_context(self, *args: Any, **kwargs: Any) -> Context:
        """A request context for a request built like the test client's arguments."""
        from .testing import build_request

        return self.request_context(build_request(self, *args, **kwargs))

    def test_client(self, use_cookies: bool = True, **kwargs: Any) -> CarboyClient:
        """A client that sends requests to the app without a server (``app.testing``
        makes errors propagate to the test)."""
        from .testing import CarboyClient

        cls = self.test_client_class or CarboyClient
        return cls(self, use_cookies=use_cookies, **kwargs)

    # -- static files ------------------------------------------------------------------

    def send_static_file(self, filename: str) -> Response:
        """The view behind the ``static`` endpoint."""
        if not self.has_static_folder:
            raise NotFound()
        from .helpers import send_from_directory

        return send_from_directory(self.static_folder, filename)

    def get_send_file_max_age(self, filename: str | None) -> int | None:
        value = self.config["SEND_FILE_MAX_AGE_DEFAULT"]
        if value is None:
            return None
        if isinstance(value, timedelta):
            return int(value.total_seconds())
        return int(value)

    # -- protocols ---------------------------------------------------------------------

    def wsgi_app(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Any:
        """The WSGI application (PEP 3333); wrap this, not the app, with middleware."""
        # NOTE: adapters import the application layer, never the reverse; the adapter
        # is imported on first use and bound to this instance, so later calls go
        # straight to it.
        from .wsgi import wsgi_app

        self.wsgi_app = wsgi_app.__get__(self)  # type: ignore[method-assign]
        return self.wsgi_app(environ, start_response)

    async def asgi_app(
        self,
        scope: dict[str, Any],
        receive: Callable[..., Any],
        send: Callable[..., Any],
    ) -> None:
        """The ASGI 3 application (HTTP, WebSocket, lifespan)."""
        from .asgi import asgi_app

        self.asgi_app = asgi_app.__get__(self)  # type: ignore[method-assign]
        await self.asgi_app(scope, receive, send)

    def __call__(
        self,
        environ_or_scope: dict[str, Any],
        start_response_or_receive: Any = None,
        send: Any = None,
    ) -> Any:
        """WSGI (``app(environ, start_response)``) or ASGI (``app(scope, receive, send)``).

        NOTE: servers that test ``__call__`` for a coroutine function (uvicorn's "auto"
        interface) call the app ASGI-2 style, ``app(scope)`` and then
        ``instance(receive, send)``; that works too.
        """
        if send is not None:
            return self.asgi_app(environ_or_scope, start_response_or_receive, send)
        if start_response_or_receive is not None:
            return self.wsgi_app(environ_or_scope, start_response_or_receive)

        def asgi2_instance(receive: Any, send: Any) -> Any:
            return self.asgi_app(environ_or_scope, receive, send)

        return asgi2_instance

    def run(
        self,
        host: str | None = None,
        port: int | None = None,
        debug: bool | None = None,
        load_dotenv: bool = True,
        **options: Any,
    ) -> None:
        """Start the development server (uvicorn) on 127.0.0.1:5000 by default."""
        from .serving import run_simple

        if debug is not None:
            self.debug = debug
        run_simple(self, host or "127.0.0.1", port or 5000, **options)


def _unpack_tuple(rv: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    """``(body, status, headers)`` from any of the three tuple shapes a view returns."""
    n = len(rv)
    if n == 3:
        return rv
    if n == 2:
        if isinstance(rv[1], _HEADER_SHAPES) or _is_headers(rv[1]):
            return rv[0], None, rv[1]
        return rv[0], rv[1], None
    raise TypeError(
        "The view function did not return a valid response tuple. The tuple must have"
        " the form (body, status, headers), (body, status), or (body, headers)."
    )


def _is_headers(value: Any) -> bool:
    return isinstance(value, Headers)


def _foreign_response(app: Carboy, rv: Any) -> Response:
    """A carboy response from another toolkit's response object (mid-port apps)."""
    headers = (
        list(rv.headers.items()) if hasattr(rv.headers, "items") else list(rv.headers)
    )
    return app.response_class(rv.get_data(), rv.status_code, headers)


def _relative_location(current: str, target: str) -> str:
    """A relative reference from path ``current`` to path ``target``, such as "./b/"."""
    base_dir = current.rpartition("/")[0] + "/"
    if target.startswith(base_dir):
        rest = target[len(base_dir) :]
        return "./" + url_quote(rest, safe="/:@!$&'()*+,;=?")
    return url_quote(target, safe="/:@!$&'()*+,;=?").replace("//", "/%2F")
