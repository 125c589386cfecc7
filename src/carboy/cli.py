"""The ``carboy`` command line, on click.

``carboy --app module run`` finds an application the way ``flask`` does (``--app``,
``CARBOY_APP``, or ``app.py``/``wsgi.py`` in the current folder), then runs a built-in
command (``run``, ``routes``, ``shell``) or one the app registered on ``app.cli``.

This is the only module that imports click at import time; ``import carboy`` does not
load it (``app.cli`` imports this module on first access).
"""

from __future__ import annotations

import ast
import inspect
import os
import re
import sys
import traceback
from collections.abc import Callable
from functools import update_wrapper
from types import ModuleType
from typing import TYPE_CHECKING, Any, TypeVar, cast

import click
from click.core import ParameterSource
from click.testing import CliRunner, Result

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy

F = TypeVar("F", bound=Callable[..., Any])

#: The environment variable names, in one place.
APP_ENV = "CARBOY_APP"
DEBUG_ENV = "CARBOY_DEBUG"
SKIP_DOTENV_ENV = "CARBOY_SKIP_DOTENV"
FROM_CLI_ENV = "CARBOY_RUN_FROM_CLI"
_PARSING = "carboy.parsing"


class NoAppException(click.UsageError):
    """No application could be found or loaded; the message says what was tried."""


# -- finding the application -------------------------------------------------------------


def _is_app(value: Any) -> bool:
    from .app import Carboy

    return isinstance(value, Carboy)


def find_best_app(module: ModuleType) -> Carboy:
    """The app in ``module``: a variable ``app`` or ``application``, the only
    :class:`~carboy.Carboy` instance, or what ``create_app()``/``make_app()`` returns."""
    for name in ("app", "application"):
        value = getattr(module, name, None)
        if _is_app(value):
            return cast("Carboy", value)
    found = [v for v in vars(module).values() if _is_app(v)]
    if len(found) == 1:
        return cast("Carboy", found[0])
    if len(found) > 1:
        raise NoAppException(
            f"Found several Carboy apps in module {module.__name__!r}. Name the one to"
            f" use: '--app {module.__name__}:name'."
        )
    for name in ("create_app", "make_app"):
        factory = getattr(module, name, None)
        if inspect.isfunction(factory):
            try:
                app = factory()
            except TypeError as e:
                if not _called_with_wrong_args(factory):
                    raise
                raise NoAppException(
                    f"Found the factory {name!r} in module {module.__name__!r}, but it"
                    f" needs arguments. Give them: '--app {module.__name__}:{name}(...)'."
                ) from e
            if _is_app(app):
                return cast("Carboy", app)
    raise NoAppException(
        f"Could not find a Carboy app in module {module.__name__!r}: tried the names"
        " 'app' and 'application', any Carboy instance, and the factories 'create_app'"
        f" and 'make_app'. Name it: '--app {module.__name__}:name'."
    )


def _called_with_wrong_args(f: Callable[..., Any]) -> bool:
    """Whether the ``TypeError`` being handled came from calling ``f`` itself (the
    traceback stops in this frame) rather than from inside ``f``."""
    tb = sys.exc_info()[2]
    try:
        while tb is not None:
            if tb.tb_frame.f_code is getattr(f, "__code__", None):
                return False  # raised inside the factory
            tb = tb.tb_next
        return True
    finally:
        del tb


def find_app_by_string(module: ModuleType, app_name: str) -> Carboy:
    """The app named by ``app_name`` in ``module``: a variable name, or a call of a
    factory with literal arguments such as ``create_app("testing", debug=True)``."""
    try:
        expr = ast.parse(app_name.strip(), mode="eval").body
    except SyntaxError:
        raise NoAppException(
            f"Could not parse {app_name!r} as an attribute name or a function call."
        ) from None
    if isinstance(expr, ast.Name):
        name, args, kwargs = expr.id, [], {}
    elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
        name = expr.func.id
        try:
            args = [ast.literal_eval(arg) for arg in expr.args]
            kwargs = {
                kw.arg: ast.literal_eval(kw.value)
                for kw in expr.keywords
                if kw.arg is not None
            }
        except ValueError:
            raise NoAppException(
                f"Failed to parse the arguments in {app_name!r}: only literal values"
                " (strings, numbers, lists, ...) can be given to a factory."
            ) from None
    else:
        raise NoAppException(
            f"Could not parse {app_name!r} as an attribute name or a function call."
        )
    try:
        attr = getattr(module, name)
    except AttributeError:
        raise NoAppException(
            f"Failed to find attribute {name!r} in module {module.__name__!r}."
        ) from None
    if inspect.isfunction(attr):
        try:
            app = attr(*args, **kwargs)
        except TypeError as e:
            if not _called_with_wrong_args(attr):
                raise
            raise NoAppException(
                f"The factory {app_name!r} in module {module.__name__!r} could not be"
                f" called with the given arguments: {e}."
            ) from e
    else:
        app = attr
    if _is_app(app):
        return cast("Carboy", app)
    raise NoAppException(
        f"{app_name!r} in module {module.__name__!r} is a {type(app).__name__}, not a"
        " Carboy application."
    )


def prepare_import(path: str) -> str:
    """The module name for ``path`` (a module name or a file), with the folder that
    contains its top package put first on ``sys.path``."""
    path = os.path.realpath(path)
    fname, ext = os.path.splitext(path)
    if ext == ".py":
        path = fname
    if os.path.basename(path) == "__init__":
        path = os.path.dirname(path)
    names = []
    # Climb while the folder is a package, so "pkg/sub/app.py" imports as pkg.sub.app.
    while True:
        path, name = os.path.split(path)
        names.append(name)
        if not os.path.exists(os.path.join(path, "__init__.py")):
            break
    if sys.path[0] != path:
        sys.path.insert(0, path)
    return ".".join(reversed(names))


class AppImportError(click.ClickException):
    """Importing the app's module raised: the traceback is printed above the message."""

    exit_code = 2

    def __init__(self, module_name: str, exc: BaseException) -> None:
        self.module_name = module_name
        self.exc = exc
        super().__init__(
            f"While importing {module_name!r}, {type(exc).__name__} was raised:"
            f" {exc} (the traceback is above)."
        )

    def show(self, file: Any = None) -> None:
        click.echo(
            "".join(traceback.format_exception(self.exc)), file=sys.stderr, nl=False
        )
        super().show(file)


def locate_app(
    module_name: str, app_name: str | None, raise_if_not_found: bool = True
) -> Carboy | None:
    """Import ``module_name`` and find the app in it (see :func:`find_app_by_string`)."""
    try:
        __import__(module_name)
    except ImportError as e:
        # Only "this module does not exist" is a lookup failure; an import that fails
        # inside the module is a bug in it, shown with its traceback.
        if getattr(e, "name", None) in _parents(module_name) and not _raised_inside(e):
            if not raise_if_not_found:
                return None
            raise NoAppException(
                f"Could not import {module_name!r}: there is no module of that name"
                f" in {os.getcwd()!r} or on sys.path."
            ) from None
        raise AppImportError(module_name, e) from e
    except Exception as e:
        raise AppImportError(module_name, e) from e
    module = sys.modules[module_name]
    if app_name is None:
        return find_best_app(module)
    return find_app_by_string(module, app_name)


def _parents(module_name: str) -> set[str]:
    parts = module_name.split(".")
    return {".".join(parts[: i + 1]) for i in range(len(parts))}


def _raised_inside(e: ImportError) -> bool:
    """Whether the traceback of ``e`` went through a frame of the imported module."""
    tb = e.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith("<frozen ") and filename != __file__:
            return True
        tb = tb.tb_next
    return False


def get_debug_flag() -> bool:
    """Whether ``CARBOY_DEBUG`` asks for debug mode."""
    value = os.environ.get(DEBUG_ENV) or ""
    return bool(value) and value.lower() not in {"0", "false", "no", "off"}


def _split_import(value: str) -> tuple[str, str | None]:
    # A Windows drive ("C:\\app.py") is not a module:name separator.
    match = re.match(r"^([A-Za-z]:)?([^:]*)(?::(.*))?$", value, re.S)
    assert match is not None
    drive, path, name = match.groups()
    return (drive or "") + path, name


class ScriptInfo:
    """What a command needs to load the application, passed down by the group."""

    def __init__(
        self,
        app_import_path: str | None = None,
        create_app: Callable[..., Carboy] | None = None,
        set_debug_flag: bool = True,
        load_dotenv_defaults: bool = True,
    ) -> None:
        #: ``module``, ``module:name``, ``module:factory(args)`` or a file path.
        self.app_import_path = app_import_path
        #: A function returning the app (used instead of the import path).
        self.create_app = create_app
        #: Free-form data for commands and extensions.
        self.data: dict[Any, Any] = {}
        self.set_debug_flag = set_debug_flag
        self.load_dotenv_defaults = load_dotenv_defaults
        self._loaded_app: Carboy | None = None

    def load_app(self) -> Carboy:
        """Load (once) and return the app, or raise :class:`NoAppException`."""
        if self._loaded_app is not None:
            return self._loaded_app
        app: Carboy | None = None
        import_path = self.app_import_path or os.environ.get(APP_ENV) or None
        if self.create_app is not None:
            app = self.create_app()
        elif import_path:
            path, name = _split_import(import_path)
            app = locate_app(prepare_import(path), name)
        else:
            for candidate in ("wsgi.py", "app.py"):
                module_name = prepare_import(candidate)
                app = locate_app(module_name, None, raise_if_not_found=False)
                if app is not None:
                    break
        if app is None:
            raise NoAppException(
                "Could not locate a Carboy application. Use 'carboy --app module' (or"
                f" set {APP_ENV}), or put an 'app.py' or 'wsgi.py' in the current"
                " folder. Tried: wsgi.py, app.py."
            )
        if self.set_debug_flag and DEBUG_ENV in os.environ:
            app.debug = get_debug_flag()
        self._loaded_app = app
        return app


pass_script_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def with_appcontext(f: F) -> F:
    """Run the command inside the app's application context (loading the app if no
    context is active yet). Commands registered on ``app.cli`` get this by default."""

    @click.pass_context
    def decorator(ctx: click.Context, /, *args: Any, **kwargs: Any) -> Any:
        from .ctx import has_app_context

        if not has_app_context():
            app = ctx.ensure_object(ScriptInfo).load_app()
            ctx.with_resource(app.app_context())
        return ctx.invoke(f, *args, **kwargs)

    return cast(F, update_wrapper(decorator, f))


class AppGroup(click.Group):
    """A click group whose commands run in the app context (``with_appcontext``)
    unless registered with ``with_appcontext=False``. ``app.cli`` is one."""

    def command(self, *args: Any, **kwargs: Any) -> Any:
        wrap = kwargs.pop("with_appcontext", True)

        def decorator(f: Callable[..., Any]) -> click.Command:
            if wrap:
                f = with_appcontext(f)
            command: click.Command = click.Group.command(self, *args, **kwargs)(f)
            return command

        if len(args) == 1 and not kwargs and callable(args[0]):
            func = args[0]
            args = ()
            return decorator(func)
        return decorator

    def group(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("cls", AppGroup)
        return click.Group.group(self, *args, **kwargs)


# -- .env files -------------------------------------------------------------------------

#: Variables this process took from dotenv files, so an explicit ``--env-file`` may
#: override them (while the real environment always wins).
_from_dotenv: dict[str, str] = {}


def load_dotenv(
    path: str | os.PathLike[str] | None = None, load_defaults: bool = True
) -> bool:
    """Load ``.carboyenv`` and ``.env`` (found from the current folder upwards) and the
    file ``path`` into ``os.environ``, with python-dotenv.

    Precedence: the real environment, then ``path``, then ``.env``, then
    ``.carboyenv``. Returns whether any file was loaded. Without python-dotenv
    installed, prints a tip if such files exist and loads nothing.
    """
    try:
        import dotenv
    except ImportError:
        if path or os.path.isfile(".env") or os.path.isfile(".carboyenv"):
            click.secho(
                " * Tip: there are .env or .carboyenv files present. Install"
                " python-dotenv ('pip install carboy[dotenv]') to use them.",
                fg="yellow",
                err=True,
            )
        return False
    layers: list[dict[str, str | None]] = []
    if load_defaults:
        for name in (".carboyenv", ".env"):
            found = dotenv.find_dotenv(name, usecwd=True)
            if found:
                layers.append(dotenv.dotenv_values(found, encoding="utf-8"))
    if path is not None and os.path.isfile(path):
        layers.append(dotenv.dotenv_values(path, encoding="utf-8"))
    merged: dict[str, str] = {}
    for layer in layers:
        merged.update({k: v for k, v in layer.items() if v is not None})
    for key, value in merged.items():
        if key not in os.environ or os.environ[key] == _from_dotenv.get(key):
            os.environ[key] = value
            _from_dotenv[key] = value
    return bool(layers)


def _env_file_callback(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> None:
    if value is not None:
        load_dotenv(value, load_defaults=False)


def _app_option_callback(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> None:
    if value:
        ctx.ensure_object(ScriptInfo).app_import_path = value


def _debug_option_callback(
    ctx: click.Context, param: click.Parameter, value: bool | None
) -> None:
    source = ctx.get_parameter_source(param.name or "debug")
    if value is not None and source in {
        ParameterSource.COMMANDLINE,
        ParameterSource.ENVIRONMENT,
    }:
        os.environ[DEBUG_ENV] = "1" if value else "0"


def _version_callback(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import version

    click.echo(f"Python {sys.version.split()[0]}\ncarboy {version('carboy')}")
    ctx.exit()


_env_file_option = click.Option(
    ["-e", "--env-file"],
    type=click.Path(exists=True, dir_okay=False),
    help="Load environment variables from this file (python-dotenv).",
    is_eager=True,
    expose_value=False,
    callback=_env_file_callback,
)
_app_option = click.Option(
    ["-A", "--app"],
    metavar="IMPORT",
    help=(
        "The app to load: 'module:name', 'module:create_app(\"arg\")', or a file."
        f" Read from {APP_ENV} when not given; otherwise app.py or wsgi.py is used."
    ),
    is_eager=True,
    expose_value=False,
    callback=_app_option_callback,
)
_debug_option = click.Option(
    ["--debug/--no-debug"],
    default=None,
    help=f"Debug mode (sets {DEBUG_ENV}).",
    expose_value=False,
    callback=_debug_option_callback,
)
_version_option = click.Option(
    ["--version"],
    is_flag=True,
    is_eager=True,
    expose_value=False,
    callback=_version_callback,
    help="Show the carboy and Python versions.",
)


class CarboyGroup(AppGroup):
    """The ``carboy`` command: built-in commands plus the loaded app's ``app.cli``.

    ``create_app`` (a function returning the app) replaces discovery, for a project's
    own management script::

        cli = CarboyGroup(create_app=create_app)
    """

    def __init__(
        self,
        add_default_commands: bool = True,
        create_app: Callable[..., Carboy] | None = None,
        add_version_option: bool = True,
        load_dotenv: bool = True,
        set_debug_flag: bool = True,
        **extra: Any,
    ) -> None:
        params = list(extra.pop("params", None) or ())
        params.extend((_env_file_option, _app_option, _debug_option))
        if add_version_option:
            params.append(_version_option)
        extra.setdefault("help", _GROUP_HELP)
        super().__init__(params=params, **extra)
        self.create_app = create_app
        self.load_dotenv = load_dotenv
        self.set_debug_flag = set_debug_flag
        if add_default_commands:
            self.add_command(run_command)
            self.add_command(shell_command)
            self.add_command(routes_command)
        self._load_failed = False

    def _app_commands(self, ctx: click.Context) -> AppGroup | None:
        info = ctx.ensure_object(ScriptInfo)
        try:
            return info.load_app().cli
        except click.ClickException as e:
            if not self._load_failed:
                self._load_failed = True
                e.show()
            return None

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        rv = super().get_command(ctx, name)
        if rv is not None:
            return rv
        info = ctx.ensure_object(ScriptInfo)
        # A missing app is an error for an unknown command name: let it propagate.
        app = info.load_app()
        command = app.cli.get_command(ctx, name)
        if command is not None and not ctx.meta.get(_PARSING):
            # The command is about to run: give it the app context even when it is a
            # plain click command. (While parsing, the help only reads its name; a
            # context pushed then would outlive the help, which closes no context.)
            ctx.with_resource(app.app_context())
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = set(super().list_commands(ctx))
        group = self._app_commands(ctx)
        if group is not None:
            names.update(group.list_commands(ctx))
        return sorted(names)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # An app.run() call in the loaded module must not start a second server.
        previous = os.environ.get(FROM_CLI_ENV)
        os.environ[FROM_CLI_ENV] = "true"
        if self.load_dotenv and not os.environ.get(SKIP_DOTENV_ENV):
            load_dotenv()
        if "obj" not in extra and "obj" not in self.context_settings:
            extra["obj"] = ScriptInfo(
                create_app=self.create_app, set_debug_flag=self.set_debug_flag
            )
        ctx = super().make_context(info_name, args, parent=parent, **extra)
        ctx.call_on_close(lambda: _restore_env(FROM_CLI_ENV, previous))
        return ctx

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args and self.no_args_is_help:
            # The help lists the app's commands: read --env-file and --app first.
            _env_file_option.handle_parse_result(ctx, {}, [])
            _app_option.handle_parse_result(ctx, {}, [])
        ctx.meta[_PARSING] = True
        try:
            return super().parse_args(ctx, args)
        finally:
            ctx.meta[_PARSING] = False


def _restore_env(name: str, value: str | None) -> None:
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = value


_GROUP_HELP = f"""\
A command line for carboy applications.

Give the app with '--app' (or {APP_ENV}); otherwise app.py or wsgi.py in the current
folder is used. '--debug' turns debug mode on.

\b
  carboy --app hello run --debug
  carboy --app 'project:create_app("dev")' routes
"""


# -- built-in commands ------------------------------------------------------------------


class _SeparatedPaths(click.Path):
    """A list of paths separated by ``os.pathsep`` (``:`` on Unix, ``;`` on Windows)."""

    envvar_list_splitter = os.pathsep

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Any:
        if not isinstance(value, str):
            return value
        items = self.split_envvar_value(value)
        return [
            super(_SeparatedPaths, self).convert(item, param, ctx) for item in items
        ]


@click.command("run", short_help="Run the development server.")
@click.option(
    "--host",
    "-h",
    default="127.0.0.1",
    show_default=True,
    help="The interface to bind to.",
)
@click.option(
    "--port",
    "-p",
    default=5000,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="The port to bind to.",
)
@click.option(
    "--cert",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    help="A certificate file for HTTPS (needs --key).",
)
@click.option(
    "--key",
    type=click.Path(exists=True, dir_okay=False, resolve_path=True),
    help="The certificate's key file.",
)
@click.option(
    "--debug/--no-debug",
    default=None,
    help="Debug mode: the debug page and the reloader.",
)
@click.option(
    "--reload/--no-reload",
    default=None,
    help="Restart on code changes (default: on in debug mode).",
)
@click.option(
    "--extra-files",
    default=None,
    type=_SeparatedPaths(),
    help=f"More files that trigger a reload, separated by {os.pathsep!r}.",
)
@click.option(
    "--exclude-patterns",
    default=None,
    type=_SeparatedPaths(),
    help=f"fnmatch patterns of files that never trigger a reload, separated by {os.pathsep!r}.",
)
@pass_script_info
def run_command(
    info: ScriptInfo,
    host: str,
    port: int,
    cert: str | None,
    key: str | None,
    debug: bool | None,
    reload: bool | None,
    extra_files: list[str] | None,
    exclude_patterns: list[str] | None,
) -> None:
    """Run the development server (uvicorn), on 127.0.0.1:5000 by default.

    In debug mode an error shows the debug page and the server restarts when a Python
    file changes. Not for production: use gunicorn, uvicorn or granian directly.
    """
    from .serving import ServerError, check_port, run_simple

    if (cert is None) != (key is None):
        raise click.BadParameter(
            "'--cert' and '--key' go together: give both files.", param_hint="'--cert'"
        )
    if debug is not None:
        os.environ[DEBUG_ENV] = "1" if debug else "0"
    app = info.load_app()
    if debug is None:
        debug = app.debug
    else:
        app.debug = debug
    if reload is None:
        reload = debug
    try:
        check_port(host, port)
        run_simple(
            app,
            host,
            port,
            use_reloader=reload,
            use_debugger=debug,
            extra_files=extra_files,
            exclude_patterns=exclude_patterns,
            ssl_context=(cert, key) if cert and key else None,
            reload_target=_reload_target(info),
        )
    except ServerError as e:
        raise click.ClickException(str(e)) from None


def _reload_target(info: ScriptInfo) -> str | None:
    """How the reloaded server process finds the app again: an import path."""
    if info.create_app is not None:
        qualname = getattr(info.create_app, "__qualname__", "")
        module = getattr(info.create_app, "__module__", None)
        if module and qualname.isidentifier():
            return f"{module}:{qualname}()"
        return None
    return info.app_import_path or os.environ.get(APP_ENV) or ""


@click.command("shell", short_help="Run a shell in the app context.")
@with_appcontext
def shell_command() -> None:
    """An interactive Python shell (IPython when installed) with the app context
    pushed: ``app`` and ``g`` are defined, plus the shell context processors' names."""
    from .globals import current_app

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    banner = (
        f"Python {sys.version} on {sys.platform}\n"
        f"App: {app.name}\nInstance: {app.instance_path}"
    )
    namespace: dict[str, Any] = {}
    startup = os.environ.get("PYTHONSTARTUP")
    if startup and os.path.isfile(startup):
        with open(startup) as f:
            exec(compile(f.read(), startup, "exec"), namespace)
    namespace.update(app.make_shell_context())
    try:
        from IPython import start_ipython  # type: ignore[import-not-found]
    except ImportError:
        import code

        code.interact(banner=banner, local=namespace)
    else:  # pragma: no cover - IPython is not part of the dev extra
        start_ipython(argv=[], user_ns=namespace)


@click.command("routes", short_help="Show the routes for the app.")
@click.option(
    "--sort",
    "-s",
    type=click.Choice(("endpoint", "methods", "domain", "rule", "match")),
    default="endpoint",
    show_default=True,
    help="The order: by endpoint, methods, domain, rule, or 'match' (the order routes were added).",
)
@click.option("--all-methods", is_flag=True, help="Show HEAD and OPTIONS too.")
@with_appcontext
def routes_command(sort: str, all_methods: bool) -> None:
    """Show every route: its endpoint, methods and rule."""
    from .globals import current_app

    rules = list(current_app.url_map.iter_rules())
    if not rules:
        click.echo("No routes were registered.")
        return
    ignored = set() if all_methods else {"HEAD", "OPTIONS"}
    host_matching = current_app.url_map.host_matching
    has_domain = any(rule.host if host_matching else rule.subdomain for rule in rules)
    rows = []
    for rule in rules:
        methods = ", ".join(sorted((rule.methods or set()) - ignored))
        domain = (rule.host if host_matching else rule.subdomain) or ""
        rows.append([str(rule.endpoint), methods, domain, rule.rule])
    order = {"endpoint": 0, "methods": 1, "domain": 2, "rule": 3}
    if sort in order:
        column = order[sort]
        rows.sort(key=lambda row: (row[column], row[0]))
    headers = ["Endpoint", "Methods", "Host" if host_matching else "Subdomain", "Rule"]
    if not has_domain:
        rows = [[row[0], row[1], row[3]] for row in rows]
        headers = [headers[0], headers[1], headers[3]]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    line = "  ".join(f"{{{i}:<{w}}}" for i, w in enumerate(widths))
    click.echo(line.format(*headers).rstrip())
    click.echo(line.format(*("-" * w for w in widths)).rstrip())
    for row in rows:
        click.echo(line.format(*row).rstrip())


cli = CarboyGroup(name="carboy")


def main() -> None:
    """The ``carboy`` console script and ``python -m carboy``."""
    cli.main(prog_name="carboy")


class CarboyCliRunner(CliRunner):
    """Invoke an app's commands in tests: ``app.test_cli_runner().invoke(args=[...])``."""

    def __init__(self, app: Carboy, **kwargs: Any) -> None:
        self.app = app
        super().__init__(**kwargs)

    def invoke(  # type: ignore[override]
        self, cli: click.Command | None = None, args: Any = None, **kwargs: Any
    ) -> Result:
        """Run ``cli`` (the app's ``app.cli`` by default) with ``args``; the app is
        the one given to the runner, not one found by discovery."""
        if cli is None:
            cli = self.app.cli
        if "obj" not in kwargs:
            kwargs["obj"] = ScriptInfo(create_app=lambda: self.app)
        if isinstance(cli, CarboyGroup):
            return super().invoke(cli, args, **kwargs)
        # The app's own group: its plain click commands run in the app context too,
        # as they do under the ``carboy`` command.
        with self.app.app_context():
            return super().invoke(cli, args, **kwargs)
