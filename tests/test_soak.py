"""The soak run (bench/soak.py) in CI's size: mixed requests against one gunicorn worker
and one uvicorn worker; RSS growth after warm-up under 5 MB, no descriptor or temporary
file leaked, every answer right.

CI runs ``CARBOY_SOAK_REQUESTS`` requests per server (20,000 by default: about a minute
each on the shared two-core machine); the million-request run is
``python -m bench.soak --requests 1000000`` (docs/deploying.md).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.soak import check, soak  # noqa: E402

REQUESTS = int(os.environ.get("CARBOY_SOAK_REQUESTS", "20000"))

pytestmark = pytest.mark.server


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_soak(server: str) -> None:
    result = soak(server, REQUESTS, warmup=3000)
    print(result.summary())
    assert result.requests == REQUESTS
    assert check(result) == []
