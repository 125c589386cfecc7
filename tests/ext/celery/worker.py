"""A real Celery worker process for the tests: started on the test's Redis, its output in
a log file, stopped by its PID (warm shutdown with SIGTERM, SIGKILL if it hangs)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import TracebackType
from typing import IO

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent


class Worker:
    """``with Worker(argv, env) as worker: ...``; ``argv[0]`` is ``celery``."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path = HERE) -> None:
        program = BIN / argv[0]
        self.argv = [str(program) if program.exists() else argv[0], *argv[1:]]
        self.env = dict(os.environ, PYTHONUNBUFFERED="1", **env)
        self.cwd = cwd
        self.proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60) -> Worker:
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdout=self._log, stderr=self._log
        )
        deadline = time.monotonic() + timeout
        while " ready." not in self.output():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                output = self.output()
                self.stop()
                raise RuntimeError(f"the Celery worker did not start:\n{output}")
            time.sleep(0.1)
        return self

    def output(self) -> str:
        if self._log is None:
            return ""
        self._log.flush()
        self._log.seek(0)
        return self._log.read().decode(errors="replace")

    def stop(self, timeout: float = 30) -> int | None:
        """SIGTERM by PID (Celery's warm shutdown: the task in hand finishes)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung worker
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Worker:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
