"""docs/celery.md, run as written: the blocks marked ``myapp.py`` become that module in
a temporary folder, the page's worker command runs there as a real process on this
run's Redis (only the Redis URL is replaced), and every other Python block runs, in
order, in the test process against it."""

from __future__ import annotations

import re
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from redis_server import RedisServer

HERE = Path(__file__).parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from worker import Worker  # noqa: E402

PAGE = Path(__file__).parents[3] / "docs" / "celery.md"
GUIDE_REDIS = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.server


def _blocks() -> list[tuple[str | None, str, str]]:
    """``(marker, language, code)`` for each fenced block of the page, in order."""
    found = re.findall(
        r"(?:<!-- celery: (\S+) -->\n)?```(\w+)\n(.*?)```", PAGE.read_text(), re.DOTALL
    )
    return [(marker or None, language, code) for marker, language, code in found]


@pytest.fixture
def docs_module(
    redis_server: RedisServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    url = redis_server.url(61)
    module = "\n".join(code for marker, _, code in _blocks() if marker == "myapp.py")
    assert module.count(GUIDE_REDIS) == 2
    (tmp_path / "myapp.py").write_text(module.replace(GUIDE_REDIS, url))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "myapp", raising=False)
    yield tmp_path
    sys.modules.pop("myapp", None)


def test_the_page_runs(docs_module: Path) -> None:
    (command,) = [code for marker, _, code in _blocks() if marker == "worker"]
    argv = shlex.split(command)
    assert argv == [
        "celery",
        "--app",
        "myapp:celery_app",
        "worker",
        "--loglevel",
        "INFO",
    ]
    examples = [
        code
        for marker, language, code in _blocks()
        if language == "python" and not marker
    ]
    assert len(examples) == 3
    with Worker(argv, {}, cwd=docs_module) as worker:
        for number, code in enumerate(examples, 1):
            namespace: dict[str, object] = {"__name__": "docs_celery"}
            try:
                exec(
                    compile(code, f"docs/celery.md, example {number}", "exec"),
                    namespace,
                )
            except BaseException:
                print(worker.output())
                raise
