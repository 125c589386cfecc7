"""A throwaway Redis server for the tests: Debian's ``redis-server``, a temporary folder,
127.0.0.1 on a free port, no persistence, stopped by its PID.

``.ci/run`` installs the ``redis-server`` package when it is missing. Without it the tests
that need Redis skip, except under CI (``CI=true``), where they fail: the Redis backends
of the batteries must be tested against a real server.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RedisServer:
    """One ``redis-server`` process; ``url(db)`` names one of its numbered databases."""

    def __init__(self, binary: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="carboy-redis-"))
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.root),
                "--save",
                "",
                "--appendonly",
                "no",
                "--databases",
                "64",
                "--protected-mode",
                "yes",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.pid = self.process.pid
        self._wait_ready()
        self._next_db = 0

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:  # pragma: no cover - a broken install
                raise RuntimeError(
                    f"redis-server exited with {self.process.returncode}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.close()  # pragma: no cover - a server that never answers
        raise RuntimeError("redis-server did not start")  # pragma: no cover

    def url(self, db: int | None = None) -> str:
        """A URL for database ``db``; without one, a fresh database each call (up to 64)."""
        if db is None:
            db = self._next_db % 64
            self._next_db += 1
        return f"redis://127.0.0.1:{self.port}/{db}"

    def flushall(self) -> None:
        with socket.create_connection(("127.0.0.1", self.port), timeout=5) as s:
            s.sendall(b"FLUSHALL\r\n")
            s.recv(64)

    def close(self) -> None:
        """Stop the server by its PID and remove its folder."""
        if self.process.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover - a server that hangs
                os.kill(self.pid, signal.SIGKILL)
                self.process.wait()
        shutil.rmtree(self.root, ignore_errors=True)


def start_redis() -> RedisServer:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )
    if binary is None:
        message = (
            "Redis is not installed (apt-get install redis-server; .ci/run does it)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must run the Redis tests.")
        pytest.skip(message)
    return RedisServer(binary)
