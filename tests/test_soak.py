"""The soak run (bench/soak.py) in CI's size: mixed requests against one gunicorn worker
and one uvicorn worker; RSS growth after warm-up under 5 MB, no descriptor or temporary
file leaked, every answer right.

``CARBOY_SOAK_REQUESTS`` requests per server: 100,000 under CI (``CI=true``: two to three
minutes each on the shared two-core machine, with wrk as the client), 20,000 in a
developer's run of the same command; the million-request run is
``python -m bench.soak --requests 1000000`` (docs/deploying.md).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `pytest` (unlike `python -m pytest`) omits the cwd
    sys.path.insert(0, str(ROOT))

from bench.soak import check, soak  # noqa: E402

_DEFAULT = "100000" if os.environ.get("CI") == "true" else "20000"
REQUESTS = int(os.environ.get("CARBOY_SOAK_REQUESTS", _DEFAULT))

pytestmark = pytest.mark.server


@pytest.mark.parametrize("server", ["gunicorn", "uvicorn"])
def test_soak(server: str) -> None:
    if shutil.which("wrk") is None:
        message = "the soak's client is wrk (apt-get install wrk; .ci/run does it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    result = soak(server, REQUESTS, warmup=5000)
    print(result.summary())
    # Each wrk connection sends its share and goes on (checked too) until every one
    # has: a few more than asked.
    assert result.requests >= REQUESTS
    assert check(result) == []
