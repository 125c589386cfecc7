"""docs/api.md: every Python block runs, top to bottom, in one namespace per section
(a ``## `` heading), so each section is a complete program."""

from __future__ import annotations

import pytest

from doc_pages import DOCS, python_sections

PAGE = "api.md"


def test_every_section_has_an_example() -> None:
    assert list(python_sections(PAGE)) == [
        "A first API",
        "Validation errors",
        "Query strings, headers and cookies",
        "Blueprints, class-based views, async",
        "The OpenAPI document and Swagger UI",
    ]


@pytest.mark.parametrize("title", list(python_sections(PAGE)))
def test_section_examples_run(title: str) -> None:
    namespace: dict[str, object] = {"__name__": "docs_example"}
    source = "\n".join(python_sections(PAGE)[title])
    exec(compile(source, f"{DOCS / PAGE}: {title}", "exec"), namespace)
