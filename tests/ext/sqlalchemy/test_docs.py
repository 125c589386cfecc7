"""docs/sqlalchemy.md: every Python block runs, one namespace per section, in a fresh
working directory (the examples' instance folder goes there)."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import pytest

from doc_pages import python_sections

PAGE = Path(__file__).parent.parent.parent.parent / "docs" / "sqlalchemy.md"


def _sections() -> dict[str, list[str]]:
    return python_sections("sqlalchemy.md")


def test_every_section_has_an_example() -> None:
    assert list(_sections()) == [
        "Setup and models",
        "Sessions in `def` views",
        "Sessions in `async def` views",
        "Pagination",
        "Moving from SQLite to PostgreSQL",
    ]


@pytest.mark.parametrize("title", list(_sections()))
def test_section_examples_run(
    title: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    # NOTE: SQLAlchemy reads a model's annotations in its module (sys.modules).
    module = types.ModuleType("docs_example")
    monkeypatch.setitem(sys.modules, "docs_example", module)
    exec(
        compile("\n".join(_sections()[title]), f"{PAGE.name}: {title}", "exec"),
        module.__dict__,
    )
