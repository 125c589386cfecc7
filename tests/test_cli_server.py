"""The ``carboy`` command and the development server as real processes: the console
script and ``python -m carboy``, one-line errors, and ``carboy run`` / ``app.run()``
over real HTTP on 127.0.0.1, stopped by PID with SIGINT (Ctrl+C)."""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from carboy import Carboy
from carboy import serving as serving_module
from carboy.cli import ScriptInfo
from carboy.cli import cli as carboy_cli

BIN = Path(sys.executable).parent
CARBOY = str(BIN / "carboy")

APP = """
from carboy import Carboy, Response

app = Carboy(__name__)

@app.get("/")
def index():
    return "version 1"

@app.get("/boom")
def boom():
    raise ValueError("<b>bad</b> & worse")

@app.get("/stream")
def stream():
    def body():
        yield "first "
        raise RuntimeError("failed while streaming")
    return Response(body())
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env(**extra: str) -> dict[str, str]:
    rv = dict(os.environ, PYTHONUNBUFFERED="1", **extra)
    for name in ("CARBOY_APP", "CARBOY_DEBUG", "CARBOY_RUN_FROM_CLI"):
        rv.pop(name, None)
    return rv


def run(args: list[str], cwd: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env(), capture_output=True, text=True, timeout=60, **kwargs
    )


def get(url: str, accept: str = "*/*") -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return (
                response.status,
                response.headers["Content-Type"],
                response.read().decode(),
            )
    except urllib.error.HTTPError as e:
        return e.code, e.headers["Content-Type"], e.read().decode()


class Server:
    """A server process started by a test, read line by line, stopped by its PID."""

    def __init__(self, args: list[str], cwd: Path, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            args,
            cwd=cwd,
            env=env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output = ""

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"the server did not start:\n{self.output}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # what Ctrl+C sends
        try:
            code = self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
            os.killpg(self.proc.pid, signal.SIGKILL)
            code = self.proc.wait()
        stdout = self.proc.stdout
        if stdout is not None and not stdout.closed:
            self.output += stdout.read()
            stdout.close()
        return code


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "app.py").write_text(APP)
    return tmp_path


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:
        server.stop()


def start(servers: list[Server], args: list[str], cwd: Path, port: int) -> Server:
    server = Server(args, cwd, port)
    servers.append(server)
    server.wait_until_up()
    return server


def wait_for(check: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            pytest.fail("timed out")
        time.sleep(0.2)


# -- entry points and one-line errors ---------------------------------------------------


@pytest.mark.server
@pytest.mark.parametrize("command", [[CARBOY], [sys.executable, "-m", "carboy"]])
def test_entry_points(project: Path, command: list[str]) -> None:
    result = run([*command, "routes"], project)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[2].split() == ["boom", "GET", "/boom"]


@pytest.mark.server
def test_unknown_app_is_a_one_line_error(project: Path) -> None:
    result = run([CARBOY, "--app", "nosuchmodule", "run"], project)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith(
        "Error: Could not import 'nosuchmodule': there is no module of that name"
    )


@pytest.mark.server
def test_broken_import_shows_its_traceback_then_one_line(project: Path) -> None:
    (project / "broken.py").write_text("import carboy\nimport a_missing_dependency\n")
    result = run([CARBOY, "--app", "broken", "run"], project)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert lines[0] == "Traceback (most recent call last):"
    assert f'File "{project / "broken.py"}", line 2, in <module>' in result.stderr
    assert lines[-1] == (
        "Error: While importing 'broken', ModuleNotFoundError was raised: No module"
        " named 'a_missing_dependency' (the traceback is above)."
    )


@pytest.mark.server
def test_port_in_use(project: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run([CARBOY, "run", "--port", str(port)], project)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"Error: Port {port} on 127.0.0.1 is in use by another program. Stop it, or"
        " choose another port with '--port'."
    )


@pytest.mark.server
def test_missing_certificate_file(project: Path) -> None:
    (project / "key.pem").write_text("")
    result = run([CARBOY, "run", "--cert", "nope.pem", "--key", "key.pem"], project)
    assert result.returncode == 2
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--cert': File 'nope.pem' does not exist."
    )


# -- carboy run over real HTTP ----------------------------------------------------------


@pytest.mark.server
def test_run_serves_and_ctrl_c_stops_cleanly(
    project: Path, servers: list[Server]
) -> None:
    port = free_port()
    server = start(servers, [CARBOY, "run", "--port", str(port)], project, port)
    assert get(server.url + "/") == (200, "text/html; charset=utf-8", "version 1")
    status, _, body = get(server.url + "/boom", accept="text/html")
    assert status == 500
    assert "ValueError" not in body and "Traceback" not in body  # not in debug mode
    assert server.stop() == 0
    assert (
        f" * Running on http://127.0.0.1:{port} (Press CTRL+C to quit)" in server.output
    )
    assert " * Debug mode: off" in server.output
    assert "Traceback" in server.output  # the /boom error is logged on the server
    assert "KeyboardInterrupt" not in server.output
    assert "Aborted" not in server.output


@pytest.mark.server
def test_run_debug_page_and_reloader(project: Path, servers: list[Server]) -> None:
    port = free_port()
    server = start(
        servers, [CARBOY, "--debug", "run", "--port", str(port)], project, port
    )
    status, kind, body = get(server.url + "/boom")
    assert (status, kind) == (500, "text/plain; charset=utf-8")
    assert "Traceback (most recent call last):" in body
    assert body.count('raise ValueError("<b>bad</b> & worse")') == 1
    status, kind, body = get(server.url + "/boom", accept="text/html")
    assert (status, kind) == (500, "text/html; charset=utf-8")
    assert "&lt;b&gt;bad&lt;/b&gt; &amp; worse" in body and "<b>bad" not in body
    # A failure in a started response cannot become a page: it is logged.
    with urllib.request.urlopen(server.url + "/stream", timeout=10) as response:
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
    assert cut.value.partial == b"first "  # the client sees the response cut short
    # The reloader restarts the server when a Python file changes.
    (project / "app.py").write_text(APP.replace("version 1", "version 2"))
    wait_for(lambda: _body_or_none(server.url + "/") == "version 2")
    assert server.stop() == 0
    assert " * Debug mode: on" in server.output
    assert "Exception while sending the response for /stream [GET]" in server.output
    assert "WatchFiles detected changes in 'app.py'. Reloading..." in server.output
    assert "KeyboardInterrupt" not in server.output


def _body_or_none(url: str) -> str | None:
    try:
        return get(url)[2]
    except OSError:
        return None


@pytest.mark.server
def test_app_run_debug_in_a_script_reloads(
    project: Path, servers: list[Server]
) -> None:
    port = free_port()
    script = APP + textwrap.dedent(f"""
        if __name__ == "__main__":
            app.run(port={port}, debug=True)
    """)
    (project / "script.py").write_text(script)
    server = start(servers, [sys.executable, "script.py"], project, port)
    assert get(server.url + "/")[2] == "version 1"
    assert get(server.url + "/boom")[0] == 500
    (project / "script.py").write_text(script.replace("version 1", "version 2"))
    wait_for(lambda: _body_or_none(server.url + "/") == "version 2")
    assert server.stop() == 0
    assert " * Serving carboy app 'script'" in server.output
    assert "Traceback (most recent call last)" in server.output


@pytest.mark.server
def test_app_run_ignored_under_the_cli(project: Path, servers: list[Server]) -> None:
    (project / "app.py").write_text(APP + "\napp.run()\n")
    result = run([CARBOY, "routes"], project)
    assert result.returncode == 0
    assert " * Ignoring a call to 'app.run()'" in result.stderr


# -- options reach uvicorn (in-process, with uvicorn.run replaced) ------------------------


@pytest.fixture
def uvicorn_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    import uvicorn

    calls: list[dict[str, Any]] = []

    def fake_run(target: Any, **kwargs: Any) -> None:
        calls.append({"target": target, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    for name in (
        serving_module.RELOAD_ENV,
        serving_module.CHILD_ENV,
        "CARBOY_DEBUG",
        "CARBOY_RUN_FROM_CLI",
    ):
        # Set first, so that monkeypatch restores the variable's absence afterwards.
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    return calls


def test_run_options(
    tmp_path: Path, uvicorn_calls: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("")
    key.write_text("")
    extra = tmp_path / "settings.toml"
    port = free_port()
    args = ["run", "--port", str(port), "--debug", "--cert", str(cert), "--key",
            str(key), "--extra-files", str(extra),
            "--exclude-patterns", f"*.tmp{os.pathsep}*.bak"]  # fmt: skip
    info = ScriptInfo(create_app=make_options_app)
    result = CliRunner().invoke(carboy_cli, args, obj=info)
    assert result.exit_code == 0, result.output
    (call,) = uvicorn_calls
    assert call["target"] == "carboy.serving:reloaded_app"
    assert call["factory"] is True and call["reload"] is True
    assert call["ssl_certfile"] == str(cert) and call["ssl_keyfile"] == str(key)
    assert str(tmp_path) in call["reload_dirs"]
    assert call["reload_includes"] == ["*.py", "settings.toml"]
    assert call["reload_excludes"] == ["*.tmp", "*.bak"]
    assert (call["host"], call["port"], call["interface"]) == (
        "127.0.0.1",
        port,
        "asgi3",
    )
    assert f" * Running on https://127.0.0.1:{port}" in result.output
    spec = json.loads(os.environ[serving_module.RELOAD_ENV])
    assert spec == {"import": f"{__name__}:make_options_app()", "debugger": True}


def make_options_app() -> Carboy:
    return Carboy("opts")


def test_cert_needs_key(tmp_path: Path, uvicorn_calls: list[dict[str, Any]]) -> None:
    (tmp_path / "cert.pem").write_text("")
    result = (
        Carboy("x")
        .test_cli_runner()
        .invoke(carboy_cli, ["run", "--cert", str(tmp_path / "cert.pem")])
    )
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "Error: Invalid value for '--cert': '--cert' and '--key' go together: give both"
        " files."
    )
    assert uvicorn_calls == []


def test_debug_on_a_public_address_warns(uvicorn_calls: list[dict[str, Any]]) -> None:
    app = Carboy("public")
    # uvicorn.run is replaced: nothing binds 0.0.0.0. The port check is skipped too.
    result = app.test_cli_runner().invoke(
        carboy_cli,
        ["run", "--host", "0.0.0.0", "--port", "0", "--debug", "--no-reload"],
    )
    assert result.exit_code == 0, result.output
    assert (
        " * WARNING: debug mode on 0.0.0.0, an address other machines can reach."
        in result.output
    )
    (call,) = uvicorn_calls
    assert type(call["target"]).__name__ == "DebugMiddleware"
    assert "reload" not in call


def test_no_warning_on_loopback(uvicorn_calls: list[dict[str, Any]]) -> None:
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        assert serving_module.is_loopback(host)
    for host in ("0.0.0.0", "192.168.1.2", "example.com", "::"):
        assert not serving_module.is_loopback(host)


def test_app_run_passes_options(uvicorn_calls: list[dict[str, Any]]) -> None:
    app = Carboy("direct")
    app.run(port=0, threaded=True, log_level="warning", load_dotenv=False)
    (call,) = uvicorn_calls
    assert call["target"] is app
    assert (call["host"], call["port"], call["log_level"]) == (
        "127.0.0.1",
        0,
        "warning",
    )
    assert "threaded" not in call


def test_app_run_with_a_local_app_cannot_reload(
    uvicorn_calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str]
) -> None:
    app = Carboy("tests.local")  # no module holds it under a name
    app.run(port=0, debug=True, load_dotenv=False)
    assert (
        " * Reloader off: the app is not a module-level name" in capsys.readouterr().err
    )
    (call,) = uvicorn_calls
    assert "reload" not in call


def test_app_run_bad_ssl_context(uvicorn_calls: list[dict[str, Any]]) -> None:
    app = Carboy("ssl")
    with pytest.raises(serving_module.ServerError, match="does not make certificates"):
        app.run(port=0, ssl_context="adhoc", load_dotenv=False)
    with pytest.raises(
        serving_module.ServerError, match="The certificate file 'c.pem'"
    ):
        app.run(port=0, ssl_context=("c.pem", "k.pem"), load_dotenv=False)


def test_port_check_errors() -> None:
    with pytest.raises(serving_module.ServerError, match="Cannot resolve the host"):
        serving_module.check_port("no-such-host.invalid", 5000)
    with pytest.raises(serving_module.ServerError, match="Cannot listen on 192.0.2.1"):
        serving_module.check_port("192.0.2.1", free_port())  # not this machine's


def test_reloaded_app_finds_the_app_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "reloadme.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", [str(tmp_path), *sys.path])
    monkeypatch.setenv(
        serving_module.RELOAD_ENV, '{"import": "reloadme", "debugger": true}'
    )
    try:
        served = serving_module.reloaded_app()
        assert type(served).__name__ == "DebugMiddleware"
        assert served.app.debug
        monkeypatch.setenv(serving_module.RELOAD_ENV, '{"main": "app"}')
        main = type(sys)("__mp_main__")
        main.app = Carboy("main")  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, "__mp_main__", main)
        assert serving_module.reloaded_app() is main.app  # type: ignore[attr-defined]
    finally:
        sys.modules.pop("reloadme", None)


def test_cli_reload_target_for_a_custom_group() -> None:
    from carboy.cli import ScriptInfo, _reload_target

    def create_app() -> Carboy:
        return Carboy("x")

    assert _reload_target(ScriptInfo(create_app=create_app)) is None  # a local function
    assert _reload_target(ScriptInfo(app_import_path="a:b")) == "a:b"
    assert _reload_target(ScriptInfo(create_app=Carboy)) == "carboy.app:Carboy()"


def test_run_from_cli_runner_needs_no_server(
    uvicorn_calls: list[dict[str, Any]],
) -> None:
    result = CliRunner().invoke(carboy_cli, ["run", "--help"])
    assert "--extra-files" in result.output and "--exclude-patterns" in result.output
    assert uvicorn_calls == []
