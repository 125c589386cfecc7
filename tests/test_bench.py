"""The benchmark's correctness check: every framework answers every case correctly,
and a wrong answer is caught. (Speed is never asserted here; see bench/README.md.)"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench import apps  # noqa: E402
from bench.__main__ import build_targets, main, verify  # noqa: E402
from bench.cases import Case, build_cases  # noqa: E402
from bench.harness import Runner, Target  # noqa: E402

#: Framework -> the package it needs (skipped cleanly when missing); carboy is never
#: skipped: the benchmark exists to measure it.
REQUIRES = {
    "carboy": None,
    "carboy-def": None,
    "carboy-def-loop": None,
    "flask": "flask",
    "bottle": "bottle",
    "falcon": "falcon",
    "starlette": "starlette",
    "starlette-def": "starlette",
    "bare": None,
}
#: Every case, with route counts kept small so the test stays fast (building Bottle's
#: and Falcon's apps grows quadratically with the number of routes).
CASES = [c for c in build_cases(quick=True) if c.routes <= 100]
HELLO = next(c for c in CASES if c.name == "hello")


@pytest.fixture
def runner() -> Iterator[Runner]:
    runner = Runner()
    yield runner
    runner.close()


@pytest.mark.parametrize("framework", list(REQUIRES))
def test_every_case_is_answered_correctly(framework: str, runner: Runner) -> None:
    if REQUIRES[framework] is not None:
        pytest.importorskip(REQUIRES[framework])
    module = apps.load(framework)
    targets, problems = build_targets({framework: module}, list(apps.PROTOCOLS), CASES)
    problems += verify(runner, targets)
    assert not problems, "\n".join(problems)
    unsupported = getattr(module, "UNSUPPORTED", frozenset())
    expected = {
        (protocol, case.name)
        for protocol in module.PROTOCOLS
        for case in CASES
        if case.selector not in unsupported
    }
    assert {(t.protocol, t.case.name) for t in targets} == expected


def test_template_baseline_renders_the_expected_page(runner: Runner) -> None:
    module = apps.load(apps.BASELINE)
    targets, problems = build_targets({apps.BASELINE: module}, ["wsgi", "asgi"], CASES)
    assert [t.case.name for t in targets] == ["template", "template"]
    assert not problems + verify(runner, targets)


# --- A wrong answer is detected ---


def _wsgi_app(status: str, body: list[Any], content_type: str = "text/plain") -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[Any]:
        start_response(status, [("Content-Type", content_type)])
        return body

    return app


def _asgi_app(status: int, chunks: list[bytes], more_body_at_end: bool = False) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = [(b"content-type", b"text/plain")]
        await send(
            {"type": "http.response.start", "status": status, "headers": headers}
        )
        for i, chunk in enumerate(chunks):
            last = i == len(chunks) - 1
            more = more_body_at_end or not last
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

    return app


def _check(runner: Runner, protocol: str, app: Any, case: Case = HELLO) -> str | None:
    return runner.check(Target(protocol, "broken", case, app))


def test_a_correct_fake_app_passes(runner: Runner) -> None:
    assert _check(runner, "wsgi", _wsgi_app("200 OK", [b"Hello, ", b"World!"])) is None
    assert _check(runner, "asgi", _asgi_app(200, [b"Hello, ", b"World!"])) is None


@pytest.mark.parametrize(
    ("app", "reason"),
    [
        (_wsgi_app("200 OK", [b"Hello, World?"]), "expected body"),
        (_wsgi_app("500 Internal Server Error", [b"Hello, World!"]), "status 200"),
        (_wsgi_app("200 OK", [b"Hello, World!"], "text/html"), "Content-Type"),
        (_wsgi_app("200 OK", ["Hello, World!"]), "yielded str"),
        (lambda environ, start_response: [b"Hello, World!"], "never called start"),
    ],
    ids=["body", "status", "content-type", "str-chunk", "no-start-response"],
)
def test_a_wrong_wsgi_answer_is_detected(runner: Runner, app: Any, reason: str) -> None:
    problem = _check(runner, "wsgi", app)
    assert problem is not None and reason in problem


@pytest.mark.parametrize(
    ("app", "reason"),
    [
        (_asgi_app(200, [b"Hello, World?"]), "expected body"),
        (_asgi_app(404, [b"Hello, World!"]), "status 200"),
        (_asgi_app(200, [b"Hello, World!"], more_body_at_end=True), "never finished"),
    ],
    ids=["body", "status", "unfinished"],
)
def test_a_wrong_asgi_answer_is_detected(runner: Runner, app: Any, reason: str) -> None:
    problem = _check(runner, "asgi", app)
    assert problem is not None and reason in problem


def test_a_wrong_json_answer_is_detected(runner: Runner) -> None:
    params = next(c for c in CASES if c.name == "params")
    app = _wsgi_app("200 OK", [b'{"id": "42"}'], "application/json")
    problem = _check(runner, "wsgi", app, params)
    assert problem is not None and "expected JSON" in problem


def test_a_crashing_app_is_reported(runner: Runner) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise ZeroDivisionError("boom")

    problem = _check(runner, "wsgi", app)
    assert problem is not None and "ZeroDivisionError: boom" in problem


# --- The command line ---

QUICK_BARE = ["--framework", "bare", "--case", "hello", "--rounds", "3"]


def test_the_cli_prints_tables_and_targets(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*QUICK_BARE, "--batch-ms", "0.2", "--quick"]) == 0
    out = capsys.readouterr().out
    assert "WSGI: microseconds per request" in out
    assert "ASGI: microseconds per request" in out
    assert "Targets" in out and "n/a" in out


def test_the_asgi_table_has_the_def_view_columns_and_their_ratios(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("starlette")
    names = ["carboy", "carboy-def", "starlette-def"]
    argv = [a for n in names for a in ("--framework", n)]
    argv += ["--protocol", "asgi", "--case", "hello", "--case", "form"]
    assert main([*argv, "--rounds", "2", "--batch-ms", "0.2", "--quick"]) == 0
    lines = capsys.readouterr().out.splitlines()
    header = lines[1].split()
    assert header == [
        "case",
        "carboy",
        "carboy-def",
        "starlette-def",
        "carboy-def/starlette-def",
        "carboy-def/carboy",
    ]
    form = lines[3].split()
    # Starlette's def endpoints cannot read a body: no cell, no ratio.
    assert form[0] == "form" and form[-3:-1] == ["-", "-"]
    verdict = next(line for line in lines if "ASGI def views" in line)
    assert "carboy-def <= 0.5 x Starlette def endpoints" in verdict
    assert "over 1 cases" in verdict


def test_the_cli_fails_on_a_wrong_answer(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bench.apps import bare

    monkeypatch.setattr(bare, "_handle", lambda *a: (200, "text/plain", b"Bye!"))
    assert main([*QUICK_BARE, "--batch-ms", "0.2", "--quick"]) == 1
    err = capsys.readouterr().err
    assert "INCORRECT RESPONSES" in err and "wsgi/bare/hello" in err
    assert "asgi/bare/hello" in err


def test_websocket_echo_benchmark_checks_every_echo() -> None:
    pytest.importorskip("starlette")
    from bench import websocket

    results = websocket.measure(list(websocket.APPS), messages=100, rounds=1)
    assert sorted(results) == sorted(websocket.APPS)
    assert all(rate > 0 for row in results.values() for rate in row.values())
    table = websocket.table(results)
    assert table.splitlines()[2].startswith("| carboy | ")
    assert "x Starlette" in table
