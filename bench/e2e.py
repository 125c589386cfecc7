"""``python -m bench --e2e``: requests per second over loopback, real servers, wrk.

Targets (one worker process each, so frameworks compare on equal footing):

- granian ``--interface wsgi``: carboy (``def`` views), Falcon;
- uvicorn: carboy (``def`` views and ``async def`` views), Starlette (both kinds),
  Falcon's ASGI app;
- gunicorn (sync worker): Flask for reference, and carboy beside it.

Every server is started first (each on a free 127.0.0.1 port) and every answer is
checked; then each round runs every (case, target) pair once, the targets in a
different order each round (interleaved, so a noisy neighbour hurts all of them alike),
and the table gives the median of the rounds. Bounded: rounds x cases x targets x
``--e2e-seconds``. Needs ``wrk`` (Debian's package).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import re
import shutil
import statistics
import subprocess
import sys
import urllib.request
from pathlib import Path

from bench.live import BIN, ROOT, Server, free_port

#: (column, server, app attribute in bench.e2e_apps)
TARGETS = [
    ("carboy def", "granian-wsgi", "carboy_def"),
    ("falcon", "granian-wsgi", "falcon_wsgi"),
    ("carboy def", "uvicorn", "carboy_def"),
    ("carboy async", "uvicorn", "carboy_async"),
    ("starlette def", "uvicorn", "starlette_def"),
    ("starlette async", "uvicorn", "starlette_async"),
    ("falcon-asgi", "uvicorn", "falcon_asgi"),
    ("flask", "gunicorn", "flask_def"),
    ("carboy def", "gunicorn", "carboy_def"),
]
SERVERS = {
    "granian-wsgi": "granian --interface wsgi --host 127.0.0.1 --port {port} "
    "--workers 1 --log-level warning {app}",
    "uvicorn": "uvicorn {app} --host 127.0.0.1 --port {port} --workers 1 "
    "--no-access-log --log-level warning",
    "gunicorn": "gunicorn --workers 1 --bind 127.0.0.1:{port} --log-level warning {app}",
}
#: case -> (path, expected body)
CASES = {
    "hello": ("/", b"Hello, World!"),
    "params": ("/users/42", b'{"id":42}'),
}
_RATE = re.compile(r"Requests/sec:\s+([0-9.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_ERRORS = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--e2e",
        action="store_true",
        help="requests/s over loopback with real servers and wrk (see bench/e2e.py)",
    )
    parser.add_argument(
        "--e2e-seconds", type=float, default=3.0, help="seconds per wrk run (default 3)"
    )
    parser.add_argument(
        "--e2e-connections", type=int, default=16, help="wrk connections (default 16)"
    )


def _wrk(url: str, seconds: float, connections: int) -> tuple[float, str]:
    wrk = shutil.which("wrk")
    assert wrk is not None
    duration = f"{max(1, round(seconds))}s"
    out = subprocess.run(
        [wrk, "-t1", f"-c{connections}", f"-d{duration}", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = _RATE.search(out)
    problems = []
    if match is None:
        problems.append("no rate")
    non_2xx = _NON_2XX.search(out)
    if non_2xx:
        problems.append(f"{non_2xx.group(1)} non-2xx answers")
    errors = _ERRORS.search(out)
    if errors and any(int(n) for n in errors.groups()):
        problems.append(errors.group(0))
    return (float(match.group(1)) if match else 0.0), "; ".join(problems)


def _check(url: str, expected: bytes) -> str | None:
    with urllib.request.urlopen(url, timeout=30) as response:
        body = response.read()
        same = (
            json.loads(body) == json.loads(expected)
            if expected.startswith(b"{")
            else body == expected
        )
        if response.status != 200 or not same:
            return f"{url}: {response.status} {body[:100]!r}"
    return None


def run(rounds: int, seconds: float, connections: int) -> dict[str, object]:
    """Start every target, check it, measure; the numbers, with the run's details."""
    if shutil.which("wrk") is None:
        raise SystemExit("bench --e2e needs wrk: apt-get install wrk")
    servers: dict[tuple[str, str], Server] = {}
    rates: dict[str, dict[str, list[float]]] = {}
    problems: list[str] = []
    try:
        for column, server, attr in TARGETS:
            port = free_port()
            argv = (
                SERVERS[server].format(port=port, app=f"bench.e2e_apps:{attr}").split()
            )
            argv[0] = str(BIN / argv[0])
            print(f"starting {column} under {server}...", file=sys.stderr, flush=True)
            servers[column, server] = Server(
                argv, port, cwd=ROOT, ready_path="/"
            ).start()
        for (column, server), running in servers.items():
            for path, expected in CASES.values():
                problem = _check(running.url + path, expected)
                if problem:
                    problems.append(f"{column} under {server}: {problem}")
        if problems:
            raise SystemExit("wrong answers:\n" + "\n".join(problems))
        keys = list(servers)
        for r in range(rounds):
            order = keys[r % len(keys) :] + keys[: r % len(keys)]
            for case, (path, _) in CASES.items():
                for column, server in order:
                    url = servers[column, server].url + path
                    rate, problem = _wrk(url, seconds, connections)
                    label = f"{column} | {server}"
                    rates.setdefault(label, {}).setdefault(case, []).append(rate)
                    if problem:
                        problems.append(f"{label} {case}: {problem}")
                    print(
                        f"round {r + 1}/{rounds} {case:7} {label:32} {rate:9.0f}/s",
                        file=sys.stderr,
                        flush=True,
                    )
    finally:
        for running in servers.values():
            running.close()
    return {
        "date": datetime.date.today().isoformat(),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rounds": rounds,
        "seconds": seconds,
        "connections": connections,
        "medians": {
            label: {case: statistics.median(v) for case, v in by_case.items()}
            for label, by_case in rates.items()
        },
        "problems": problems,
    }


def table(result: dict[str, object]) -> str:
    """The medians as a Markdown table (requests per second, higher is better)."""
    medians: dict[str, dict[str, float]] = result["medians"]  # type: ignore[assignment]
    lines = [
        "| framework | server | " + " | ".join(f"{c} (req/s)" for c in CASES) + " |",
        "|---|---|" + "---:|" * len(CASES),
    ]
    for label, by_case in medians.items():
        cells = " | ".join(f"{by_case[c]:,.0f}" for c in CASES)
        lines.append(f"| {label} | {cells} |")
    return "\n".join(lines)


def main(args: argparse.Namespace) -> int:
    rounds = args.rounds or 3
    result = run(rounds, args.e2e_seconds, args.e2e_connections)
    print(
        f"bench --e2e: median of {rounds} rounds, wrk -t1 -c{args.e2e_connections} "
        f"-d{max(1, round(args.e2e_seconds))}s, one worker per server, "
        f"{result['date']}, CPython {result['python']}"
    )
    print(table(result))
    for problem in result["problems"]:  # type: ignore[attr-defined]
        print(f"problem: {problem}")
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 1 if result["problems"] else 0


__all__ = ["ROOT", "add_arguments", "main", "run", "table"]
