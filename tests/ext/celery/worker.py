"""A real Celery worker process for the tests: started on the test's Redis, its output in
a log file, stopped by its PID (warm shutdown with SIGTERM, SIGKILL if it hangs).

It is a :class:`bench.live.Server` that listens on no port: ready when it says so."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent
BIN = Path(sys.executable).parent
ROOT = HERE.parents[2]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.live import Server  # noqa: E402


class Worker(Server):
    """``with Worker(argv, env) as worker: ...``; ``argv[0]`` is ``celery``."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: Path = HERE) -> None:
        program = BIN / argv[0]
        command = [str(program) if program.exists() else argv[0], *argv[1:]]
        super().__init__(command, 0, cwd=cwd, env=env, ready_path=None)

    def start(self, timeout: float = 60) -> Worker:
        super().start(timeout)
        return self

    def _ready(self) -> bool:
        return " ready." in self.output()
