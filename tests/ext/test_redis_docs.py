"""docs/cache.md and docs/limiter.md: every Python block runs, one namespace per section
(a ``## `` heading); the Redis sections run against the test Redis server."""

from __future__ import annotations

import pytest

from doc_pages import python_sections
from redis_server import RedisServer

#: Each page's sections, in order: every one has an example.
PAGES = {
    "cache.md": [
        "Caching views",
        "What is never cached",
        "Memoizing functions",
        "Get, set and delete",
        "Sharing a cache through Redis",
    ],
    "limiter.md": [
        "Limits on views",
        "Blueprints",
        "The 429 response",
        "Behind a proxy",
        "Many instances: Redis",
    ],
}


@pytest.mark.parametrize("page", list(PAGES))
def test_every_section_has_an_example(page: str) -> None:
    assert list(python_sections(page)) == PAGES[page]


@pytest.mark.parametrize(
    ("page", "title"),
    [(page, title) for page, titles in PAGES.items() for title in titles],
)
def test_section_examples_run(
    page: str, title: str, redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    redis_server.flushall()
    monkeypatch.setenv("REDIS_URL", redis_server.url(0))
    namespace: dict[str, object] = {"__name__": "docs_example"}
    code = "\n".join(python_sections(page)[title])
    exec(compile(code, f"{page}: {title}", "exec"), namespace)
