"""The application: :class:`Carboy`, one object that is a WSGI and an ASGI application."""

from __future__ import annotations

import importlib
import logging
import os
import sys
import weakref
from collections.abc import Callable, Iterator
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from .app_requests import Requests
from .app_responses import Responses
from .app_templates import Templates
from .app_urls import URLs
from .bridge import AsyncFlags
from .config import Config, ConfigAttribute
from .ctx import Context, _AppCtxGlobals
from .dispatch import Hooks
from .exceptions import Aborter, NotFound
from .json import DefaultJSONProvider, JSONProvider
from .routing import Map, Rule
from .scaffold import Scaffold, find_package
from .wrappers import Request as Request
from .wrappers import Response as Response

if TYPE_CHECKING:  # pragma: no cover
    from .cli import CarboyCliRunner
    from .jinja import Environment
    from .sessions import SessionInterface
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
    # Seconds an ASGI request body may take, first message to last, before a 408.
    "BODY_TIMEOUT": 60.0,
    # Under ASGI, plain (``def``) views, hooks and handlers run in a worker thread, so
    # a blocking one never stalls the event loop. ``False`` declares that none of the
    # app's plain functions blocks: they run on the loop's thread, without the
    # thread's hand-off. A route's ``sync_to_thread`` option overrides it per view.
    "SYNC_TO_THREAD": True,
    # The largest WebSocket message a handler receives (bytes); a larger one closes
    # the connection with 1009. ``None`` lifts the limit.
    "WEBSOCKET_MAX_MESSAGE_SIZE": 1024 * 1024,
    # Seconds ``websocket.receive()`` waits for a message before closing with 1001;
    # ``None`` waits forever.
    "WEBSOCKET_IDLE_TIMEOUT": None,
}


#: The subdomain of a host outside SERVER_NAME: no rule's subdomain can equal it.


class _Adapter:
    """``Carboy.wsgi_app`` and ``Carboy.asgi_app``: the adapter's function, imported on
    first use.

    NOTE: adapters import the application layer, never the reverse. The first look-up
    (a request, or ``app.wsgi_app`` read to wrap it in middleware) imports the adapter
    and puts its function on the class in this descriptor's place, so every later call,
    also through middleware that kept the bound method, goes straight to it. Nothing is
    set on the instance: an instance attribute is the user's middleware.
    """

    def __init__(self, module: str, doc: str) -> None:
        self.module = module
        self.__doc__ = doc

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner
        self.name = name

    def __get__(self, instance: object, owner: type | None = None) -> Any:
        adapter = importlib.import_module(f".{self.module}", __package__)
        function = getattr(adapter, self.name)
        setattr(self.owner, self.name, function)
        return function if instance is None else function.__get__(instance, owner)


class Carboy(URLs, Responses, Templates, Requests, Scaffold):
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
    test_cli_runner_class: type[Any] | None = None
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
        #: Called with the app when its setup is frozen (the first request, or ASGI
        #: lifespan startup), before each function's kind is recorded: an extension
        #: that plans its work from the final registries (``carboy.ext.api`` wraps
        #: the typed views) appends here instead of costing each request.
        self._start_funcs: list[Callable[[Carboy], None]] = []
        self.url_map = self.url_map_class(host_matching=host_matching)
        self.subdomain_matching = subdomain_matching
        self._got_first_request = False
        self._hooks_cache: dict[str | None, Hooks] = {}
        self._async_flags = AsyncFlags()
        #: Endpoint -> its route's ``sync_to_thread`` option, where one was given.
        self._sync_to_thread: dict[str, bool] = {}
        self._logger: logging.Logger | None = None
        self._jinja_env: Any = None
        self._session_interface: SessionInterface | None = None
        self.jinja_options: dict[str, Any] = {}
        self.template_filters: dict[str, Callable[..., Any]] = {}
        self.template_tests: dict[str, Callable[..., Any]] = {}
        self.template_globals: dict[str, Any] = {}
        if self.has_static_folder:
            assert bool(static_host) == host_matching, (
                "Invalid static_host/host_matching combination"
            )
            # NOTE: a weak reference, not the bound method: the app must not hold
            # itself through its own view, so that dropping it frees it at once.
            self_ref = weakref.ref(self)

            def send_static(filename: str) -> Response:
                app = self_ref()
                assert app is not None
                return app.send_static_file(filename)

            self.add_url_rule(
                f"{self.static_url_path}/<path:filename>",
                endpoint="static",
                host=static_host,
                view_func=send_static,
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
        """The instance folder, as Flask finds it: ``instance`` beside the app's
        top-level package or module, or ``<prefix>/var/<name>-instance`` when it is
        installed."""
        prefix, folder = find_package(self.import_name)
        if prefix is None:
            return os.path.join(folder, "instance")
        return os.path.join(prefix, "var", f"{self.name}-instance")

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
        ``redirect_to``, ``host``, ``subdomain``, ``websocket``, and
        ``sync_to_thread``: ``False`` declares that a plain (``def``) view never
        blocks, so under ASGI it runs on the event loop's thread instead of a worker
        thread (``True`` sends it to a thread even when the app's ``SYNC_TO_THREAD``
        is ``False``; a ``sync_to_thread`` attribute on the view does the same)."""
        self._check_setup_finished("add_url_rule")
        if endpoint is None:
            if view_func is None:
                raise TypeError("add_url_rule() needs an endpoint or a view_func.")
            endpoint = view_func.__name__
        sync_to_thread = options.pop("sync_to_thread", None)
        if sync_to_thread is not None:
            self._sync_to_thread[endpoint] = bool(sync_to_thread)
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
        if rule_obj.websocket:
            self._has_websocket_rules = True
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

    def test_cli_runner(self, **kwargs: Any) -> CarboyCliRunner:
        """A click runner that invokes the app's commands (``app.cli``) in tests."""
        from .cli import CarboyCliRunner

        cls = self.test_cli_runner_class or CarboyCliRunner
        return cls(self, **kwargs)

    def make_shell_context(self) -> dict[str, Any]:
        """The names ``carboy shell`` defines: ``app``, ``g`` and the shell context
        processors' values."""
        from .globals import g

        rv: dict[str, Any] = {"app": self, "g": g}
        for processor in self.shell_context_processors:
            rv.update(processor())
        return rv

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

    if TYPE_CHECKING:

        def wsgi_app(
            self, environ: dict[str, Any], start_response: Callable[..., Any]
        ) -> Any:
            """The WSGI application (PEP 3333); wrap this, not the app, with
            middleware: ``app.wsgi_app = ProxyFix(app.wsgi_app)``."""

        async def asgi_app(
            self,
            scope: dict[str, Any],
            receive: Callable[..., Any],
            send: Callable[..., Any],
        ) -> None:
            """The ASGI 3 application (HTTP, WebSocket, lifespan); wrap this, not the
            app, with middleware: ``app.asgi_app = Middleware(app.asgi_app)``."""

    else:
        wsgi_app = _Adapter(
            "wsgi",
            "The WSGI application (PEP 3333); wrap this, not the app, with middleware:"
            " ``app.wsgi_app = ProxyFix(app.wsgi_app)``.",
        )
        asgi_app = _Adapter(
            "asgi",
            "The ASGI 3 application (HTTP, WebSocket, lifespan); wrap this, not the"
            " app, with middleware: ``app.asgi_app = Middleware(app.asgi_app)``.",
        )

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
        """Start the development server (uvicorn) on 127.0.0.1:5000 by default.

        ``debug=True`` turns on the debug page and the reloader. ``load_dotenv`` loads
        ``.env`` and ``.carboyenv`` first (with python-dotenv). ``options``:
        ``use_reloader``, ``use_debugger``, ``extra_files``, ``exclude_patterns``,
        ``ssl_context=(cert_file, key_file)``; anything else goes to ``uvicorn.run``.
        Under ``carboy run`` (or in a reloaded process) this call does nothing.
        """
        from .serving import CHILD_ENV, run_simple

        if os.environ.get(CHILD_ENV):
            return
        if os.environ.get("CARBOY_RUN_FROM_CLI") == "true":
            print(
                " * Ignoring a call to 'app.run()': the 'carboy' command is already"
                " serving. Call 'app.run()' only under 'if __name__ == \"__main__\":'.",
                file=sys.stderr,
            )
            return
        if load_dotenv:
            from .cli import get_debug_flag
            from .cli import load_dotenv as _load_dotenv

            _load_dotenv()
            if "CARBOY_DEBUG" in os.environ:
                self.debug = get_debug_flag()
        if debug is not None:
            self.debug = debug
        options.setdefault("use_reloader", self.debug)
        run_simple(self, host or "127.0.0.1", 5000 if port is None else port, **options)
