"""docs/limiter.md: every Python block runs, one namespace per section (a ``## ``
heading); the Redis section runs against the test Redis server."""

from __future__ import annotations

from pathlib import Path

import pytest

from doc_pages import python_sections
from redis_server import RedisServer

PAGE = Path(__file__).parent.parent.parent.parent / "docs" / "limiter.md"


def _sections() -> dict[str, list[str]]:
    return python_sections("limiter.md")


def test_every_section_has_an_example() -> None:
    assert list(_sections()) == [
        "Limits on views",
        "Blueprints",
        "The 429 response",
        "Behind a proxy",
        "Many instances: Redis",
    ]


@pytest.mark.parametrize("title", list(_sections()))
def test_section_examples_run(
    title: str, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_server.flushall()
    monkeypatch.setenv("REDIS_URL", redis_server.url(0))
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(
        compile("\n".join(_sections()[title]), f"{PAGE.name}: {title}", "exec"),
        namespace,
    )
