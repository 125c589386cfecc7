"""docs/testing-and-config.md: every Python block runs, top to bottom, in one namespace
per section (a ``## `` heading), so each section is a complete program."""

from __future__ import annotations

from pathlib import Path

import pytest

from doc_pages import python_sections

PAGE = Path(__file__).parent.parent / "docs" / "testing-and-config.md"


def _sections() -> dict[str, list[str]]:
    return python_sections("testing-and-config.md")


def test_every_section_has_an_example() -> None:
    assert list(_sections()) == [
        "The test client",
        "Hosts and subdomains",
        "Configuration and the instance folder",
        "Logging",
    ]


@pytest.mark.parametrize("title", list(_sections()))
def test_section_examples_run(title: str) -> None:
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(
        compile("\n".join(_sections()[title]), f"{PAGE.name}: {title}", "exec"),
        namespace,
    )
