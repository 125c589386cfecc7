"""The app two real server processes serve in test_instances.py: its counters are in
the Redis that ``REDIS_URL`` names, so every process shares them."""

from __future__ import annotations

import os

from carboy import Carboy
from carboy.ext.limiter import Limiter

app = Carboy(__name__)
app.config["RATELIMIT_STORAGE_URI"] = os.environ["REDIS_URL"]
app.config["RATELIMIT_STRATEGY"] = os.environ.get("STRATEGY", "sliding-window")
limiter = Limiter(app, default_limits=["7/minute"])


@app.get("/health")
@limiter.exempt
def health() -> str:
    return "ok"


@app.get("/sync")
def sync_view() -> str:
    return f"sync from {os.getpid()}"


@app.get("/async")
@limiter.limit("7/minute", scope="shared-async")
async def async_view() -> str:
    return f"async from {os.getpid()}"
