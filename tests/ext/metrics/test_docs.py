"""docs/metrics.md: every Python block runs, top to bottom, in one namespace per section
(a ``## `` heading), so each section is a complete program."""

from __future__ import annotations

import pytest

from doc_pages import python_sections

PAGE = "metrics.md"


def test_every_section_has_an_example() -> None:
    assert list(python_sections(PAGE)) == [
        "Request metrics",
        "Your own metrics",
        "Protecting the endpoint",
        "Several worker processes (gunicorn)",
    ]


@pytest.mark.parametrize("title", list(python_sections(PAGE)))
def test_section_examples_run(title: str) -> None:
    namespace: dict[str, object] = {"__name__": "docs_example"}
    code = "\n".join(python_sections(PAGE)[title])
    exec(compile(code, f"{PAGE}: {title}", "exec"), namespace)
