"""The app's own Prometheus series, served at /metrics beside the request series of
carboy.ext.metrics (requests by endpoint, method and status; latency; in flight)."""

from __future__ import annotations

import hmac

from carboy import current_app, request
from carboy.ext.metrics import PrometheusMetrics


class Stats:
    def __init__(self, metrics: PrometheusMetrics) -> None:
        self.notes_written = metrics.counter(
            "notes_written", "Notes written, by where they came from.", ["via"]
        )
        self.attachment_bytes = metrics.counter(
            "notes_attachment_bytes", "Bytes of attachments uploaded."
        )
        self.live_sockets = metrics.gauge(
            "notes_live_sockets",
            "Live-view WebSockets open now.",
            multiprocess_mode="livesum",
        )


def stats() -> Stats:
    return current_app.extensions["notes.stats"]  # type: ignore[no-any-return]


def may_read_metrics() -> bool:
    """Anyone, unless ``NOTES_METRICS_TOKEN`` is set: then only a request with
    ``Authorization: Bearer <token>`` (Prometheus' ``authorization`` setting)."""
    token = current_app.config.get("NOTES_METRICS_TOKEN")
    if not token:
        return True
    sent = request.headers.get("Authorization", "")
    return hmac.compare_digest(sent.encode(), f"Bearer {token}".encode())
