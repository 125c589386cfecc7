"""The documentation site: ``mkdocs build --strict`` passes, and every page's examples run.

A block of any language whose first line is a comment naming a file of the repository
(``# examples/notes/auth.py``, ``{# examples/notes/templates/base.html #}``) is an
excerpt of that file: each run of its lines between ``...`` lines must appear in the file
as it is, so a tutorial that quotes the example cannot drift from it.

A page's ```` ```python ```` blocks are programs: a page that no other test reads (no test
file names it in a string, as ``python_sections("cli.md")`` or ``"docs/cli.md"`` do) is
run here, all its ``python`` blocks in order in one namespace, in a temporary working
directory. A block that is a fragment (it needs the reader's own app, a server, a
database) is fenced ```` ```py ```` instead: it is highlighted the same and never run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent
DOCS = ROOT / "docs"
HERE = Path(__file__).name


def _python_blocks(page: Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(), re.DOTALL | re.M)


def _covered_elsewhere() -> set[str]:
    """Pages a test file names in a string literal: that test runs their examples."""
    sources = [p.read_text() for p in (ROOT / "tests").rglob("*.py") if p.name != HERE]
    covered = set()
    for page in DOCS.rglob("*.md"):
        rel = page.relative_to(DOCS).as_posix()
        pattern = re.compile(rf"[\"'/]{re.escape(rel)}[\"']")
        if any(pattern.search(source) for source in sources):
            covered.add(rel)
    return covered


def _pages_run_here() -> list[str]:
    covered = _covered_elsewhere()
    return sorted(
        rel
        for page in DOCS.rglob("*.md")
        if (rel := page.relative_to(DOCS).as_posix()) not in covered
        and _python_blocks(page)
    )


def test_coverage_rule_sees_the_existing_page_tests() -> None:
    covered = _covered_elsewhere()
    for page in ["security-and-forms.md", "cli.md", "deploying.md", "sqlalchemy.md"]:
        assert page in covered
    # Named only in prose (a docstring), so this file runs it.
    assert "templates-sessions-blueprints.md" not in covered
    assert "templates-sessions-blueprints.md" in _pages_run_here()


@pytest.mark.parametrize("page", _pages_run_here())
def test_page_examples_run(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ROOT))  # the tutorial imports examples.notes
    source = "\n".join(_python_blocks(DOCS / page))
    namespace: dict[str, object] = {"__name__": "docs_page"}
    exec(compile(source, f"docs/{page}", "exec"), namespace)


_EXCERPT = re.compile(
    r"^```[\w+-]*\n(?:#|//|\{#|/\*) ?([\w./-]+\.\w+)(?: ?#\}| ?\*/)?\n(.*?)^```",
    re.DOTALL | re.MULTILINE,
)
_GAP = re.compile(r"^\s*(?:#|//|\{#)? ?\.\.\.(?: ?#\})?\s*$")


def _excerpts() -> list[tuple[str, str, str]]:
    """(page, repository file, one run of quoted lines) for every excerpt block."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        for path, body in _EXCERPT.findall(page.read_text()):
            if not (ROOT / path).is_file():
                continue
            run: list[str] = []
            for line in [*body.splitlines(), "..."]:
                if _GAP.match(line):
                    if "".join(run).strip():
                        found.append((page.name, path, "\n".join(run).strip("\n")))
                    run = []
                else:
                    run.append(line)
    return found


def test_excerpt_syntax() -> None:
    page = "```py\n# examples/hello.py\napp = 1\n    ...\nb = 2\n```\n"
    path, body = _EXCERPT.findall(page)[0]
    assert path == "examples/hello.py"
    assert [bool(_GAP.match(line)) for line in body.splitlines()] == [
        False,
        True,
        False,
    ]
    html = "```html\n{# examples/notes/templates/base.html #}\n<p>\n{# ... #}\n```\n"
    assert _EXCERPT.findall(html)[0][0] == "examples/notes/templates/base.html"
    assert _GAP.match("{# ... #}")


@pytest.mark.parametrize(
    "page,path,quoted", _excerpts(), ids=lambda v: v if "\n" not in v else ""
)
def test_excerpts_match_their_files(page: str, path: str, quoted: str) -> None:
    source = (ROOT / path).read_text()
    assert quoted in source, f"docs/{page} quotes {path}, which no longer reads so"


def test_site_builds_strict(tmp_path: Path) -> None:
    """Warnings (a broken link or anchor, a missing image, a bad docstring) fail it.

    Never with ``--quiet``: it silences the warnings, and then ``--strict`` passes."""
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict"]
        + ["-f", str(ROOT / "mkdocs.yml"), "-d", str(tmp_path / "site")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "reference" / "carboy" / "index.html").is_file()
