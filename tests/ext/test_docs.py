"""docs/security-and-forms.md: every Python block runs, top to bottom, in one namespace
per section (a ``## `` heading), so each section is a complete program."""

from __future__ import annotations

from pathlib import Path

import pytest

from doc_pages import python_sections

PAGE = Path(__file__).parent.parent.parent / "docs" / "security-and-forms.md"


def _sections() -> dict[str, list[str]]:
    return python_sections("security-and-forms.md")


def test_every_section_has_an_example() -> None:
    assert [t.split(":")[0] for t in _sections()] == [
        "Password hashing",
        "CORS",
        "CSRF protection",
        "Forms",
        "Login",
        "Roles and permissions",
    ]


@pytest.mark.parametrize("title", list(_sections()))
def test_section_examples_run(title: str) -> None:
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(
        compile("\n".join(_sections()[title]), f"{PAGE.name}: {title}", "exec"),
        namespace,
    )
