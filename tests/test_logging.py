"""``app.logger``: its default handler writes to the request's error stream."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from typing import Any

import pytest

from carboy import Carboy
from carboy.logging import default_handler, wsgi_errors_stream
from carboy.testing import run_asgi


def _no_handlers(monkeypatch: pytest.MonkeyPatch) -> None:
    # pytest puts a handler on the root logger while a test runs; without one (as in
    # production with no logging set up) the app's logger gets carboy's default.
    monkeypatch.setattr(logging.root, "handlers", [])
    monkeypatch.setattr(logging.getLogger("carboy_logging_app"), "handlers", [])


@pytest.fixture
def logging_app(request: pytest.FixtureRequest) -> Carboy:
    is_async = request.param == "async"
    app = Carboy("carboy_logging_app", static_folder=None)

    if is_async:

        @app.get("/")
        async def index() -> str:
            app.logger.warning("in the view")
            return "ok"

    else:

        @app.get("/")
        def index() -> str:
            app.logger.warning("in the view")
            return "ok"

    return app


def _environ(errors: Any) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": "/",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": errors,
    }


@pytest.mark.parametrize("logging_app", ["sync", "async"], indirect=True)
def test_wsgi_server_error_stream_gets_the_log(
    logging_app: Carboy,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_handlers(monkeypatch)
    errors = io.StringIO()
    body = logging_app.wsgi_app(_environ(errors), lambda status, headers: None)
    assert b"".join(body) == b"ok"
    assert "WARNING in test_logging: in the view" in errors.getvalue()
    assert capsys.readouterr().err == ""
    assert default_handler in logging_app.logger.handlers


@pytest.mark.parametrize("logging_app", ["sync", "async"], indirect=True)
def test_asgi_request_logs_to_stderr(
    logging_app: Carboy,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_handlers(monkeypatch)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/",
        "raw_path": b"/",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost")],
        "client": ("127.0.0.1", 5000),
        "server": ("localhost", 80),
    }
    status, _, body = asyncio.run(run_asgi(logging_app, scope, b""))
    assert (status, body) == (200, b"ok")
    assert "WARNING in test_logging: in the view" in capsys.readouterr().err


@pytest.mark.parametrize("logging_app", ["sync"], indirect=True)
def test_outside_a_request_logs_to_stderr(
    logging_app: Carboy,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_handlers(monkeypatch)
    logging_app.logger.warning("no request")
    assert "WARNING in test_logging: no request" in capsys.readouterr().err
    assert wsgi_errors_stream._get_current_object() is sys.stderr
    stream = io.StringIO()
    with logging_app.test_request_context(errors_stream=stream):
        assert wsgi_errors_stream._get_current_object() is stream
        logging_app.logger.warning("in a test request")
    with logging_app.app_context():
        assert wsgi_errors_stream._get_current_object() is sys.stderr
    assert "in a test request" in stream.getvalue()
    assert "wsgi_errors_stream" in repr(wsgi_errors_stream)
    assert wsgi_errors_stream.writable() is True


def test_an_existing_handler_means_no_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logging.root, "handlers", [logging.NullHandler()])
    app = Carboy("carboy_logging_configured", static_folder=None)
    assert app.logger.handlers == []
