"""Multi-process metrics with a real gunicorn: two sync workers on 127.0.0.1, started
with docs/metrics.md's command and ``gunicorn.conf.py``, each serving part of the
requests; ``/metrics``, answered by either worker, sums both. A worker killed by its
PID and replaced by gunicorn keeps its counts in the sum."""

from __future__ import annotations

import http.client
import os
import re
import shlex
import signal
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[3]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.live import Server, free_port  # noqa: E402

HERE = Path(__file__).parent
GUIDE = ROOT / "docs" / "metrics.md"
BIN = Path(sys.executable).parent

pytestmark = pytest.mark.server


def _block(marker: str) -> str:
    found = re.search(
        rf"<!-- metrics: {re.escape(marker)} -->\n```\w+\n(.*?)```",
        GUIDE.read_text(),
        re.DOTALL,
    )
    assert found is not None, marker
    return found.group(1)


def _command(port: int, folder: Path, conf: Path) -> tuple[list[str], dict[str, str]]:
    """The guide's gunicorn line, with this test's port, folder, config and app."""
    lines = _block("gunicorn").strip().splitlines()
    assert lines[0] == "rm -rf /tmp/myapp-metrics && mkdir /tmp/myapp-metrics"
    env: dict[str, str] = {}
    argv: list[str] = []
    for token in shlex.split(lines[1]):
        if not argv and "=" in token:
            name, value = token.split("=", 1)
            env[name] = value.replace("/tmp/myapp-metrics", str(folder))
            continue
        token = token.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
        token = {
            "gunicorn.conf.py": str(conf),
            "myapp:app": "served_metrics:app",
            "gunicorn": str(BIN / "gunicorn"),
        }.get(token, token)
        argv.append(token)
    return argv, env


def _get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def _scrape(port: int) -> dict[str, float]:
    status, text = _get(port, "/metrics")
    assert status == 200, text
    values = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            labels = ",".join(f"{k}={v}" for k, v in sorted(s.labels.items()))
            values[f"{s.name}{{{labels}}}"] = s.value
    return values


def _serve_until_both_answer(port: int, pids: dict[str, int], least: int) -> int:
    """Send ``/pid`` requests, 8 at a time on fresh connections, until both workers
    have answered and at least ``least`` went out; returns how many were sent."""
    sent = 0
    with ThreadPoolExecutor(8) as pool:
        while sent < 2000 and (sent < least or len(pids) < 2):
            for status, pid in pool.map(lambda _: _get(port, "/pid"), range(40)):
                assert status == 200
                pids[pid] = pids.get(pid, 0) + 1
            sent += 40
    assert len(pids) >= 2, f"one worker served all {sent} requests: {pids}"
    return sent


def test_two_workers_are_summed(tmp_path: Path) -> None:
    folder = tmp_path / "metrics"
    folder.mkdir()
    conf = tmp_path / "gunicorn.conf.py"
    conf.write_text(_block("gunicorn.conf.py"))
    port = free_port()
    argv, env = _command(port, folder, conf)
    assert env == {"PROMETHEUS_MULTIPROC_DIR": str(folder)}
    assert argv[1:] == [
        "--config",
        str(conf),
        "--workers",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "served_metrics:app",
    ]
    with Server(argv, port, cwd=HERE, env=env) as server:
        pids: dict[str, int] = {}
        sent = _serve_until_both_answer(port, pids, 200)
        key = "http_requests_total{endpoint=pid,method=GET,status=200}"
        # Whichever worker answers the scrape, it reports both workers' requests.
        for _ in range(6):
            values = _scrape(port)
            assert values[key] == sent, server.output()
            assert values["served_total{}"] == sent
            assert (
                values[
                    "http_request_duration_seconds_count{"
                    "endpoint=pid,method=GET,status=200}"
                ]
                == sent
            )
            assert values["http_requests_in_flight{}"] == 1.0  # the scrape
        assert max(pids.values()) < sent  # so the sum really spans two processes

        # A worker killed by its PID is replaced; its counts stay in the sum.
        victim = int(next(iter(pids)))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        new_pids: dict[str, int] = {}
        while time.monotonic() < deadline:
            status, pid = _get(port, "/pid")
            assert status == 200
            new_pids[pid] = new_pids.get(pid, 0) + 1
            if any(int(p) not in {int(q) for q in pids} for p in new_pids):
                break
            time.sleep(0.05)
        else:  # pragma: no cover - gunicorn never replaced the worker
            pytest.fail(f"no new worker after killing {victim}:\n{server.output()}")
        total = sent + sum(new_pids.values())
        values = _scrape(port)
        assert values[key] == total, server.output()
        assert values["http_requests_in_flight{}"] == 1.0
