"""docs/compress.md: every Python block runs, top to bottom, in one namespace per
section (a ``## `` heading), so each section is a complete program."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from doc_pages import python_sections

ROOT = Path(__file__).resolve().parents[3]


def _sections() -> dict[str, list[str]]:
    return python_sections("compress.md")


def test_every_section_has_an_example() -> None:
    assert list(_sections()) == [
        "Turning it on",
        "What is compressed",
        "Streams",
        "Ranges, ETags and caches",
        "Leaving a response alone",
    ]


@pytest.mark.parametrize("title", list(_sections()))
def test_section_examples_run(title: str) -> None:
    namespace: dict[str, object] = {"__name__": "docs_example"}
    exec(
        compile("\n".join(_sections()[title]), f"compress.md: {title}", "exec"),
        namespace,
    )


def test_the_benchmark_runs(capsys: pytest.CaptureFixture[str]) -> None:
    """``python -m bench.compress`` checks each coding's response before timing it."""
    if str(ROOT) not in sys.path:  # pragma: no cover - `pytest` omits the cwd
        sys.path.insert(0, str(ROOT))
    from bench.compress import main

    assert main(["--rounds", "1", "--batch-ms", "0.2"]) == 0
    out = capsys.readouterr().out
    for row in (
        "no Compress",
        "identity",
        "zstd (level 3)",
        "br (level 4)",
        "gzip (level 6)",
    ):
        assert row in out
