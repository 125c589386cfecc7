"""The ``carboy`` command line, through click's runner: discovery, built-in commands,
custom commands on ``app.cli`` and blueprints, ``.env`` files and bad input."""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from carboy import Blueprint, Carboy, current_app
from carboy.cli import (
    AppGroup,
    CarboyGroup,
    NoAppException,
    ScriptInfo,
    find_best_app,
    load_dotenv,
    locate_app,
    pass_script_info,
    prepare_import,
    with_appcontext,
)
from carboy.cli import cli as carboy_cli


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Each test runs in its own folder, with sys.path, sys.modules and the
    environment put back afterwards (discovery imports modules named app, wsgi...)."""
    monkeypatch.chdir(tmp_path)
    for name in ("CARBOY_APP", "CARBOY_DEBUG", "CARBOY_RUN_FROM_CLI"):
        monkeypatch.delenv(name, raising=False)
    path, environ = list(sys.path), dict(os.environ)
    yield
    sys.path[:] = path
    # Forget only the test's own modules: a carboy or library module imported for
    # the first time during the test must stay the one every other test uses.
    for name, module in list(sys.modules.items()):
        if str(getattr(module, "__file__", None) or "").startswith(str(tmp_path)):
            del sys.modules[name]
    os.environ.clear()
    os.environ.update(environ)


def write(path: Path, source: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source))
    return path


APP_SOURCE = """
    import click
    from carboy import Carboy, current_app

    app = Carboy(__name__)

    @app.get("/")
    def index():
        return "hi"

    @app.cli.command()
    def name():
        click.echo(f"name={current_app.name} debug={current_app.debug}")
"""


def invoke(*args: str, **kwargs: Any) -> Result:
    return CliRunner().invoke(carboy_cli, list(args), **kwargs)


# -- discovery -------------------------------------------------------------------------


@pytest.mark.parametrize("filename", ["app.py", "wsgi.py"])
def test_auto_detects_app_py_and_wsgi_py(tmp_path: Path, filename: str) -> None:
    write(tmp_path / filename, APP_SOURCE)
    result = invoke("name")
    assert result.exit_code == 0, result.output
    assert result.output == f"name={filename[:-3]} debug=False\n"


@pytest.mark.parametrize(
    ("spec", "source", "expected"),
    [
        ("hello", "app = Carboy('one')", "one"),
        ("hello", "application = Carboy('two')", "two"),
        ("hello", "web = Carboy('only')", "only"),
        ("hello:web", "web = Carboy('named')\nother = Carboy('x')", "named"),
        ("hello", "def create_app():\n    return Carboy('factory')", "factory"),
        ("hello", "def make_app():\n    return Carboy('made')", "made"),
        ("hello:create_app()", "def create_app():\n    return Carboy('f')", "f"),
        (
            'hello:create_app("dev", debug=True)',
            "def create_app(name, debug=False):\n    return Carboy(f'{name}-{debug}')",
            "dev-True",
        ),
        ("pkg.hello", "app = Carboy('in a package')", "in a package"),
        ("hello.py", "app = Carboy('by file')", "by file"),
    ],
)
def test_app_option_forms(
    tmp_path: Path, spec: str, source: str, expected: str
) -> None:
    target = tmp_path / "pkg" / "hello.py" if spec.startswith("pkg.") else None
    if target is not None:
        write(tmp_path / "pkg" / "__init__.py", "")
    write(target or tmp_path / "hello.py", "from carboy import Carboy\n" + source)
    info = ScriptInfo(app_import_path=spec)
    assert info.load_app().name == expected
    assert info.load_app() is info.load_app()  # loaded once


def test_file_path_in_a_package_imports_with_the_package_name(tmp_path: Path) -> None:
    write(tmp_path / "proj" / "__init__.py", "")
    write(tmp_path / "proj" / "web" / "__init__.py", "")
    write(tmp_path / "proj" / "web" / "main.py", APP_SOURCE)
    assert prepare_import(str(tmp_path / "proj" / "web" / "main.py")) == "proj.web.main"
    assert sys.path[0] == str(tmp_path)
    result = invoke("--app", "proj/web/main.py", "name")
    assert result.output == "name=proj.web.main debug=False\n"


def test_carboy_app_environment_variable(tmp_path: Path) -> None:
    write(tmp_path / "website.py", APP_SOURCE)
    result = invoke("name", env={"CARBOY_APP": "website:app"})
    assert result.output == "name=website debug=False\n"
    # --app wins over the variable.
    write(tmp_path / "other.py", APP_SOURCE)
    result = invoke("--app", "other", "name", env={"CARBOY_APP": "website"})
    assert result.output == "name=other debug=False\n"


@pytest.mark.parametrize(
    ("spec", "source", "message"),
    [
        ("nope", None, "Could not import 'nope': there is no module of that name"),
        ("hello:missing", "", "Failed to find attribute 'missing' in module 'hello'."),
        ("hello", "x = 1", "Could not find a Carboy app in module 'hello'"),
        ("hello", "a = Carboy('a')\nb = Carboy('b')", "Found several Carboy apps"),
        (
            "hello:x",
            "x = 1",
            "'x' in module 'hello' is a int, not a Carboy application.",
        ),
        (
            "hello:x(",
            "",
            "Could not parse 'x(' as an attribute name or a function call.",
        ),
        (
            "hello:x.y",
            "",
            "Could not parse 'x.y' as an attribute name or a function call.",
        ),
        ("hello:f(a)", "def f(a): pass", "Failed to parse the arguments in 'f(a)'"),
        (
            "hello:create_app(1, 2)",
            "def create_app(a): pass",
            "The factory 'create_app(1, 2)' in module 'hello' could not be called",
        ),
        (
            "hello",
            "def create_app(config):\n    return Carboy('x')",
            "Found the factory 'create_app' in module 'hello', but it needs arguments.",
        ),
    ],
)
def test_discovery_errors_name_what_was_tried(
    tmp_path: Path, spec: str, source: str | None, message: str
) -> None:
    if source is not None:
        write(tmp_path / "hello.py", "from carboy import Carboy\n" + source)
    with pytest.raises(NoAppException) as info:
        ScriptInfo(app_import_path=spec).load_app()
    assert message in info.value.message
    result = invoke("--app", spec, "routes")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1].startswith("Error: ")
    assert message in result.output


def test_a_factory_failing_inside_is_not_mistaken_for_wrong_arguments(
    tmp_path: Path,
) -> None:
    write(tmp_path / "hello.py", "def create_app():\n    raise TypeError('inside')")
    with pytest.raises(TypeError, match="inside"):
        ScriptInfo(app_import_path="hello").load_app()
    with pytest.raises(TypeError, match="inside"):
        ScriptInfo(app_import_path="hello:create_app()").load_app()


def test_nothing_to_discover(tmp_path: Path) -> None:
    result = invoke("routes")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Could not locate a Carboy application. Use 'carboy --app module' (or"
        " set CARBOY_APP), or put an 'app.py' or 'wsgi.py' in the current folder."
        " Tried: wsgi.py, app.py."
    )


@pytest.mark.parametrize(
    ("source", "kind"),
    [
        ("import no_such_dependency_here", "ModuleNotFoundError"),
        ("x = (", "SyntaxError"),
        ("raise RuntimeError('config missing')", "RuntimeError"),
    ],
)
def test_broken_import_shows_the_real_traceback(
    tmp_path: Path, source: str, kind: str
) -> None:
    write(tmp_path / "broken.py", source + "\n")
    result = invoke("--app", "broken", "routes")
    assert result.exit_code == 2
    assert "Traceback (most recent call last):" in result.output
    assert str(tmp_path / "broken.py") in result.output
    last = result.output.splitlines()[-1]
    assert last.startswith(f"Error: While importing 'broken', {kind} was raised: ")
    assert last.endswith("(the traceback is above).")


def test_locate_app_quietly_when_asked(tmp_path: Path) -> None:
    assert locate_app("not_here_at_all", None, raise_if_not_found=False) is None


def test_find_best_app_prefers_app_over_others() -> None:
    module: Any = type(sys)("m")
    module.app = Carboy("first")
    module.other = Carboy("second")
    assert find_best_app(module) is module.app


# -- custom commands ---------------------------------------------------------------------


def test_app_cli_is_an_app_group_created_on_first_use() -> None:
    app = Carboy("lazy")
    assert app._cli is None
    assert isinstance(app.cli, AppGroup)
    assert app.cli is app.cli
    assert app.cli.name == "lazy"


def test_app_commands_run_in_the_app_context() -> None:
    app = Carboy("ctx")

    @app.cli.command("where")
    def where() -> None:
        click.echo(current_app.name)

    @app.cli.command(with_appcontext=False)
    def bare() -> None:
        from carboy import has_app_context

        click.echo(str(has_app_context()))

    runner = app.test_cli_runner()
    assert runner.invoke(args=["where"]).output == "ctx\n"
    # Not wrapped by with_appcontext; as in Flask, the runner (like the carboy
    # command) still runs the app's commands in its context.
    assert not hasattr(app.cli.commands["bare"].callback, "__wrapped__")
    assert hasattr(app.cli.commands["where"].callback, "__wrapped__")
    assert runner.invoke(args=["bare"]).output == "True\n"
    assert CliRunner().invoke(app.cli, ["bare"]).output == "False\n"


def test_app_cli_subgroups_and_bare_decorator() -> None:
    app = Carboy("groups")

    @app.cli.group()
    def db() -> None:
        pass

    @db.command
    def migrate() -> None:
        click.echo(f"migrating {current_app.name}")

    assert isinstance(db, AppGroup)
    result = app.test_cli_runner().invoke(args=["db", "migrate"])
    assert result.output == "migrating groups\n"


def test_with_appcontext_loads_the_app_from_script_info() -> None:
    app = Carboy("loaded")

    @click.command()
    @with_appcontext
    def show() -> None:
        click.echo(current_app.name)

    result = CliRunner().invoke(show, obj=ScriptInfo(create_app=lambda: app))
    assert result.output == "loaded\n"


def test_pass_script_info() -> None:
    @click.command()
    @pass_script_info
    def show(info: ScriptInfo) -> None:
        info.data["seen"] = True
        click.echo(type(info).__name__)

    assert CliRunner().invoke(show).output == "ScriptInfo\n"


@pytest.mark.parametrize(
    ("options", "args"),
    [
        ({}, ["admin", "ping"]),  # default: a group named after the blueprint
        ({"cli_group": "tools"}, ["tools", "ping"]),
        ({"cli_group": None}, ["ping"]),  # straight onto app.cli
    ],
)
def test_blueprint_cli_group_decides_where_commands_appear(
    options: dict[str, Any], args: list[str]
) -> None:
    bp = Blueprint("admin", __name__, **options)

    @bp.cli.command("ping")
    def ping() -> None:
        click.echo(f"pong from {current_app.name}")

    app = Carboy("host")
    app.register_blueprint(bp)
    assert app.test_cli_runner().invoke(args=args).output == "pong from host\n"


def test_registration_cli_group_overrides_the_blueprint_and_empty_cli_is_skipped() -> (
    None
):
    bp = Blueprint("admin", __name__)

    @bp.cli.command("ping")
    def ping() -> None:
        click.echo("pong")

    app = Carboy("host")
    app.register_blueprint(bp, cli_group="ops")
    assert app.test_cli_runner().invoke(args=["ops", "ping"]).output == "pong\n"
    quiet = Blueprint("quiet", __name__)
    app2 = Carboy("host2")
    app2.register_blueprint(quiet)
    assert quiet._cli is None  # no commands: click never touched
    assert app2.cli.commands == {}


def test_test_cli_runner_uses_its_app_for_builtin_commands() -> None:
    app = Carboy("runner")
    app.add_url_rule("/x", "x", lambda: "x")
    result = app.test_cli_runner().invoke(carboy_cli, ["routes"])
    assert result.exit_code == 0
    assert "/x" in result.output


def test_app_commands_are_listed_in_help(tmp_path: Path) -> None:
    write(tmp_path / "app.py", APP_SOURCE)
    result = invoke("--help")
    assert result.exit_code == 0
    commands = result.output.split("Commands:")[1].split()
    assert commands[0] == "name"
    assert {"routes", "run", "shell"} <= set(commands)


def test_help_without_an_app_still_lists_builtins(tmp_path: Path) -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    assert "Error: Could not locate a Carboy application." in result.output
    assert "routes" in result.output.split("Commands:")[1]


def test_no_arguments_shows_help_with_the_app_commands(tmp_path: Path) -> None:
    write(tmp_path / "website.py", APP_SOURCE)
    result = invoke(env={"CARBOY_APP": "website"})
    assert "name" in result.output.split("Commands:")[1].split()


def test_unknown_command_is_a_clear_error(tmp_path: Path) -> None:
    write(tmp_path / "app.py", APP_SOURCE)
    result = invoke("nosuch")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == "Error: No such command 'nosuch'."


def test_custom_group_with_create_app() -> None:
    app = Carboy("managed")

    @app.cli.command()
    def hello() -> None:
        click.echo(f"hello from {current_app.name}")

    cli = CarboyGroup(create_app=lambda: app, add_version_option=False)
    result = CliRunner().invoke(cli, ["hello"])
    assert result.output == "hello from managed\n"
    assert "--version" not in CliRunner().invoke(cli, ["--help"]).output


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0] == f"Python {sys.version.split()[0]}"
    assert lines[1].startswith("carboy ")


# -- debug flag and .env files ---------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ([], {}, "False"),
        (["--debug"], {}, "True"),
        ([], {"CARBOY_DEBUG": "1"}, "True"),
        ([], {"CARBOY_DEBUG": "0"}, "False"),
        (["--no-debug"], {"CARBOY_DEBUG": "1"}, "False"),
    ],
)
def test_debug_flag(
    tmp_path: Path, args: list[str], env: dict[str, str], expected: str
) -> None:
    write(tmp_path / "app.py", APP_SOURCE)
    result = invoke(*args, "name", env=env)
    assert result.output == f"name=app debug={expected}\n"


def test_dotenv_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "hello.py", APP_SOURCE)
    write(
        tmp_path / ".carboyenv",
        "CARBOY_APP=hello\nFROM_CARBOYENV=1\nSHARED=carboyenv\n",
    )
    write(tmp_path / ".env", "SHARED=env\nCARBOY_DEBUG=1\nREAL=file\n")
    monkeypatch.setenv("REAL", "environment")
    result = invoke("name")
    assert result.output == "name=hello debug=True\n"
    assert os.environ["FROM_CARBOYENV"] == "1"
    assert os.environ["SHARED"] == "env"  # .env wins over .carboyenv
    assert os.environ["REAL"] == "environment"  # the real environment wins


def test_env_file_option_overrides_dotenv_defaults(tmp_path: Path) -> None:
    write(tmp_path / "app.py", APP_SOURCE)
    write(tmp_path / ".env", "CARBOY_DEBUG=0\nONLY_ENV=yes\n")
    write(tmp_path / "custom.env", "CARBOY_DEBUG=1\n")
    result = invoke("--env-file", "custom.env", "name")
    assert result.output == "name=app debug=True\n"
    assert os.environ["ONLY_ENV"] == "yes"
    result = invoke("--env-file", "missing.env", "name")
    assert result.exit_code == 2
    assert "'missing.env' does not exist" in result.output


def test_skip_dotenv(tmp_path: Path) -> None:
    write(tmp_path / "app.py", APP_SOURCE)
    write(tmp_path / ".env", "CARBOY_DEBUG=1\n")
    result = invoke("name", env={"CARBOY_SKIP_DOTENV": "1"})
    assert result.output == "name=app debug=False\n"


def test_load_dotenv_returns_whether_a_file_was_loaded(tmp_path: Path) -> None:
    assert load_dotenv() is False
    write(tmp_path / ".carboyenv", "X_FROM_FILE=1\n")
    assert load_dotenv() is True
    assert os.environ["X_FROM_FILE"] == "1"


def test_load_dotenv_without_python_dotenv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "dotenv", None)
    assert load_dotenv() is False
    assert capsys.readouterr().err == ""
    write(tmp_path / ".env", "X=1\n")
    assert load_dotenv() is False
    assert "Install python-dotenv" in capsys.readouterr().err.replace("\n", " ")
    assert "X" not in os.environ


# -- routes and shell ------------------------------------------------------------------


def _routes_app() -> Carboy:
    app = Carboy("routes", static_folder=None)
    app.add_url_rule("/b", "b_view", lambda: "", methods=["POST", "GET"])
    app.add_url_rule("/a/<int:id>", "a_view", lambda id: "")
    app.add_url_rule("/z", "c_view", lambda: "", methods=["DELETE"])
    return app


def test_routes_table() -> None:
    result = _routes_app().test_cli_runner().invoke(carboy_cli, ["routes"])
    assert result.output.splitlines() == [
        "Endpoint  Methods    Rule",
        "--------  ---------  -----------",
        "a_view    GET        /a/<int:id>",
        "b_view    GET, POST  /b",
        "c_view    DELETE     /z",
    ]


@pytest.mark.parametrize(
    ("sort", "order"),
    [
        ("endpoint", ["a_view", "b_view", "c_view"]),
        ("rule", ["a_view", "b_view", "c_view"]),
        ("methods", ["c_view", "a_view", "b_view"]),
        ("match", ["b_view", "a_view", "c_view"]),
    ],
)
def test_routes_sort(sort: str, order: list[str]) -> None:
    result = _routes_app().test_cli_runner().invoke(carboy_cli, ["routes", "-s", sort])
    assert [line.split()[0] for line in result.output.splitlines()[2:]] == order


def test_routes_all_methods_and_subdomains() -> None:
    app = Carboy("sub", static_folder=None, subdomain_matching=True)
    app.add_url_rule("/", "home", lambda: "", subdomain="api")
    runner = app.test_cli_runner()
    result = runner.invoke(carboy_cli, ["routes", "--all-methods"])
    assert result.output.splitlines() == [
        "Endpoint  Methods             Subdomain  Rule",
        "--------  ------------------  ---------  ----",
        "home      GET, HEAD, OPTIONS  api        /",
    ]


def test_routes_when_there_are_none() -> None:
    app = Carboy("empty", static_folder=None)
    result = app.test_cli_runner().invoke(carboy_cli, ["routes"])
    assert result.output == "No routes were registered.\n"


def test_shell_has_the_app_and_shell_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = Carboy("shelled")
    app.shell_context_processor(lambda: {"answer": 42})
    startup = write(tmp_path / "startup.py", "from_startup = 'yes'\n")
    monkeypatch.setenv("PYTHONSTARTUP", str(startup))
    monkeypatch.setitem(sys.modules, "IPython", None)  # the plain Python shell
    code = "print(app.name, answer, from_startup, g is not None)\n"
    result = app.test_cli_runner().invoke(carboy_cli, ["shell"], input=code)
    assert result.exit_code == 0, result.output
    assert "App: shelled" in result.output
    assert "shelled 42 yes True" in result.output


def test_plain_click_commands_added_to_app_cli_get_the_app_context(
    tmp_path: Path,
) -> None:
    @click.command("plain")
    def plain() -> None:
        click.echo(current_app.name)

    app = Carboy("plainly")
    app.cli.add_command(plain)
    assert app.test_cli_runner().invoke(args=["plain"]).output == "plainly\n"
    result = CliRunner().invoke(
        carboy_cli, ["plain"], obj=ScriptInfo(create_app=lambda: app)
    )
    assert result.output == "plainly\n"


def test_help_leaves_no_app_context_behind(tmp_path: Path) -> None:
    from carboy import has_app_context

    write(tmp_path / "app.py", APP_SOURCE)
    assert invoke("--help").exit_code == 0
    assert not has_app_context()
