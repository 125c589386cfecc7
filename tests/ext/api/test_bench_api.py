"""``python -m bench.api`` answers correctly before it times anything: every app
(plain, untyped in an Api app, typed) gives the expected response to every case
under both protocols. (Speed is never asserted here.)"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.api import APPS, CASES, main  # noqa: E402
from bench.harness import Runner, Target  # noqa: E402


@pytest.mark.parametrize("name", list(APPS))
@pytest.mark.parametrize("case", list(CASES))
def test_every_app_answers_every_case(protocol: str, name: str, case: str) -> None:
    runner = Runner()
    try:
        target = Target(protocol, name, CASES[case], APPS[name]())
        assert runner.check(target) is None
    finally:
        runner.close()


def test_one_quick_run_prints_the_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--rounds", "1", "--batch-ms", "0.2"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[1].split() == ["protocol", "case", "plain", "untyped", "typed"]
    assert [line.split()[:2] for line in out[2:]] == [
        ["wsgi", "create"],
        ["wsgi", "list"],
        ["asgi", "create"],
        ["asgi", "list"],
    ]
