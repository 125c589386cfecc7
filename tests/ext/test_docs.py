"""docs/security-and-forms.md: every Python block runs, top to bottom, in one namespace
per section (a ``## `` heading), so each section is a complete program."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

PAGE = Path(__file__).parent.parent.parent / "docs" / "security-and-forms.md"


def _sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    for chunk in re.split(r"^## ", PAGE.read_text(), flags=re.MULTILINE)[1:]:
        title = chunk.splitlines()[0]
        blocks = re.findall(r"```python\n(.*?)```", chunk, flags=re.DOTALL)
        if blocks:
            sections[title] = blocks
    return sections


def test_every_section_has_an_example() -> None:
    assert [t.split(":")[0] for t in _sections()] == [
        "Password hashing",
        "CORS",
        "CSRF protection",
        "Forms",
        "Login",
    ]


@pytest.mark.parametrize("title", list(_sections()))
def test_section_examples_run(title: str) -> None:
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(
        compile("\n".join(_sections()[title]), f"{PAGE.name}: {title}", "exec"),
        namespace,
    )
