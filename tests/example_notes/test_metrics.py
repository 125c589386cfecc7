"""/metrics: carboy.ext.metrics' request series and the app's own, optionally behind
a bearer token."""

from __future__ import annotations

import io
from pathlib import Path

from .conftest import Browser, make_app


def series(browser: Browser) -> str:
    rv = browser.client.get("/metrics")
    assert rv.status_code == 200
    assert rv.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    return rv.get_data(as_text=True)


def test_request_series_and_the_apps_own(ada: Browser) -> None:
    ada.client.get("/no/such/page")
    ada.create("from the page")
    ada.client.post("/api/notes", json={"title": "from the API"})
    token = ada.token("/notes/1")
    ada.client.post(
        "/notes/1/attachments",
        data={"csrf_token": token, "file": (io.BytesIO(b"x" * 123), "a.txt")},
    )
    with ada.client.websocket("/live"):
        text = series(ada)
    assert 'notes_written_total{via="page"} 1.0' in text
    assert 'notes_written_total{via="api"} 1.0' in text
    assert "notes_attachment_bytes_total 123.0" in text
    assert "notes_live_sockets 1.0" in text
    assert (
        'http_requests_total{endpoint="notes.create",method="POST",status="302"} 1.0'
        in text
    )
    assert (
        'http_requests_total{endpoint="api.create_note",method="POST",status="201"}'
        " 1.0" in text
    )
    # A path no rule matched is one label, whatever the path.
    assert 'endpoint="<unmatched>",method="GET",status="404"} 1.0' in text
    assert "notes_live_sockets 0.0" in series(ada)


def test_a_token_protects_the_metrics(tmp_path: Path, protocol: str) -> None:
    app = make_app(tmp_path, NOTES_METRICS_TOKEN="s3cret")
    client = app.test_client(protocol=protocol)
    assert client.get("/metrics").status_code == 403
    rv = client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert rv.status_code == 403
    rv = client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert rv.status_code == 200
    assert "http_requests_total" in rv.get_data(as_text=True)
