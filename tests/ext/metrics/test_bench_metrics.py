"""``python -m bench.metrics`` runs: both apps answer every case correctly (checked
before anything is timed) and the table is printed. Nothing here judges the speed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench import metrics as bench_metrics  # noqa: E402


def test_bench_metrics_runs(capsys: pytest.CaptureFixture[str]) -> None:
    assert bench_metrics.main(["--rounds", "1", "--batch-ms", "0.05"]) == 0
    out = capsys.readouterr().out
    rows = [
        line
        for line in out.splitlines()
        if line.startswith("| wsgi") or line.startswith("| asgi")
    ]
    assert [row.split(" | ")[:2] for row in rows] == [
        [f"| {p}", case] for p in ("wsgi", "asgi") for case in bench_metrics.CASES
    ]
