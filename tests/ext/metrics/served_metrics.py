"""The app tests/ext/metrics/test_gunicorn.py serves with two gunicorn workers."""

from __future__ import annotations

import os

from carboy import Carboy
from carboy.ext.metrics import PrometheusMetrics

app = Carboy(__name__)
metrics = PrometheusMetrics(app, excluded_endpoints=["health"])
served = metrics.counter("served", "Requests served, by this app's own count.")


@app.get("/health")
def health() -> str:
    return "ok"


@app.get("/pid")
def pid() -> str:
    served.inc()
    return str(os.getpid())
