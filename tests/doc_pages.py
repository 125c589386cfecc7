"""Reads a docs/ page as runnable sections, for the tests that execute its examples."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).parent.parent / "docs"


def python_sections(page: str) -> dict[str, list[str]]:
    """Each ``## `` section of ``docs/<page>`` that has Python blocks, with its blocks."""
    sections: dict[str, list[str]] = {}
    text = (DOCS / page).read_text()
    for chunk in re.split(r"^## ", text, flags=re.MULTILINE)[1:]:
        title = chunk.splitlines()[0]
        blocks = re.findall(r"```python\n(.*?)```", chunk, flags=re.DOTALL)
        if blocks:
            sections[title] = blocks
    return sections
