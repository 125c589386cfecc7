"""Real server processes on 127.0.0.1, for the real-server tests, the soak run and the
end-to-end benchmark.

The server commands are read from docs/deploying.md (``guide_command``), so the guide's
commands are exactly the ones that run: only the port, the app and the certificate
paths are substituted. Every process is started on a free loopback port, its output
goes to a log file (a pipe nobody reads would fill and stall the server), and it is
stopped by its PID.
"""

from __future__ import annotations

import http.client
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
GUIDE = ROOT / "docs" / "deploying.md"
BIN = Path(sys.executable).parent
#: The guide's placeholders, replaced when its commands run here.
GUIDE_APP = "myapp:app"
GUIDE_ADDRESS = "127.0.0.1:8000"
GUIDE_PORT = "8000"

_BLOCK = re.compile(r"<!-- server: (\S+) -->\n```sh\n(.*?)\n```", re.DOTALL)


def free_port() -> int:
    """A TCP port nobody listens on now (the OS picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def guide_commands() -> dict[str, str]:
    """The server commands of docs/deploying.md, by name (``gunicorn-sync``, ...)."""
    return {
        name: " ".join(body.split()) for name, body in _BLOCK.findall(GUIDE.read_text())
    }


def guide_command(
    name: str, port: int, app: str = "served:app", **files: str
) -> list[str]:
    """The guide's command ``name`` with its port, app and files (``cert.pem=...``)
    replaced, and its program taken from this Python's environment."""
    argv = []
    for token in shlex.split(guide_commands()[name].replace("\\ ", " ")):
        token = token.replace(GUIDE_ADDRESS, f"127.0.0.1:{port}")
        if token == GUIDE_PORT:
            token = str(port)
        elif token.endswith(GUIDE_APP) and token[: -len(GUIDE_APP)] in {"", "asgi:"}:
            token = token[: -len(GUIDE_APP)] + app  # hypercorn's "asgi:" mode prefix
        elif token in files:
            token = files[token]
        argv.append(token)
    program = BIN / argv[0]
    if program.exists():
        argv[0] = str(program)
    elif shutil.which(argv[0]) is None:
        raise FileNotFoundError(f"{argv[0]} is not installed (pip install -e '.[dev]')")
    return argv


class Server:
    """One server process: ``with Server(argv, port, cwd=...) as server: ...``."""

    def __init__(
        self,
        argv: list[str],
        port: int,
        cwd: Path | str | None = None,
        env: dict[str, str] | None = None,
        ready_path: str | None = "/health",
        tls: bool = False,
    ) -> None:
        self.argv = argv
        self.port = port
        self.cwd = cwd
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", **(env or {}))
        self.ready_path = ready_path
        self.tls = tls
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30) -> Server:
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdout=self._log, stderr=self._log
        )
        deadline = time.monotonic() + timeout
        while not self._ready():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                output = self.output()
                self.stop()
                raise RuntimeError(f"{self.argv[0]} did not start:\n{output}")
            time.sleep(0.1)
        return self

    def _ready(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                pass
        except OSError:
            return False
        if self.ready_path is None or self.tls:
            return True
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
        try:
            conn.request("GET", self.ready_path)
            return conn.getresponse().status == 200
        except (OSError, http.client.HTTPException):
            return False
        finally:
            conn.close()

    def output(self) -> str:
        """What the server printed so far."""
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def send_signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None
        return self.proc.wait(timeout)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> int | None:
        """Signal the server by its PID and wait for it; SIGKILL if it hangs."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


NGINX_CONF = ROOT / "deploy" / "nginx.conf"
#: deploy/nginx.conf's placeholders, replaced when it runs here.
NGINX_UPSTREAMS = ("127.0.0.1:8001", "127.0.0.1:8002", "127.0.0.1:8003")
NGINX_STATIC = "/srv/myapp/static/"

_NGINX_MAIN = """\
{user}worker_processes 1;
error_log stderr warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log off;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    include {prefix}/carboy.conf;
}}
"""


def nginx_server(
    prefix: Path, port: int, upstream_ports: list[int], static: Path
) -> Server:
    """Debian's nginx running deploy/nginx.conf as it is, on 127.0.0.1:``port`` in
    front of ``upstream_ports``, with its own prefix (temp files, pid) and in the
    foreground, so it is stopped by its PID. The main file around it stands in for
    Debian's /etc/nginx/nginx.conf, which includes conf.d/*.conf in its http block."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise FileNotFoundError("nginx is not installed (.ci/run installs it)")
    conf = NGINX_CONF.read_text()
    for placeholder, upstream in zip(NGINX_UPSTREAMS, upstream_ports, strict=True):
        conf = conf.replace(f"server {placeholder} ", f"server 127.0.0.1:{upstream} ")
    conf = conf.replace("listen 80;", f"listen 127.0.0.1:{port};")
    conf = conf.replace(NGINX_STATIC, f"{static}/")
    prefix.mkdir(parents=True, exist_ok=True)
    (prefix / "carboy.conf").write_text(conf)
    # NOTE: started as root, nginx's workers would run as "nobody", who cannot read
    # a test's private temp folder; the test's own main file keeps them as root.
    user = "user root;\n" if os.geteuid() == 0 else ""
    (prefix / "nginx.conf").write_text(_NGINX_MAIN.format(user=user, prefix=prefix))
    argv = [
        nginx,
        "-p", str(prefix),
        "-c", str(prefix / "nginx.conf"),
        "-g", f"daemon off; pid {prefix}/nginx.pid;",
    ]  # fmt: skip
    return Server(argv, port, ready_path=None)
