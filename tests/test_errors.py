"""HTTP exceptions, abort, error handlers (def and async def) and unhandled errors."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from carboy import Carboy, Response, abort, request
from carboy.exceptions import (
    BadRequest,
    Forbidden,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    Unauthorized,
    default_exceptions,
)
from carboy.testing import CarboyClient


@pytest.fixture(params=["def", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return request.param  # type: ignore[no-any-return]


def as_mode(mode: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(f: Callable[..., Any]) -> Callable[..., Any]:
        if mode == "def":
            return f

        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            return f(*args, **kwargs)

        wrapper.__name__ = f.__name__
        return wrapper

    return decorator


@pytest.fixture
def prod_app() -> Carboy:
    """An app that answers errors (not testing, not debug)."""
    app = Carboy("prod_app", static_folder=None)
    app.config.update(TESTING=False, DEBUG=False)
    return app


# -- the exception classes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("cls", "code", "name"),
    [
        (BadRequest, 400, "Bad Request"),
        (Unauthorized, 401, "Unauthorized"),
        (Forbidden, 403, "Forbidden"),
        (NotFound, 404, "Not Found"),
        (MethodNotAllowed, 405, "Method Not Allowed"),
        (InternalServerError, 500, "Internal Server Error"),
    ],
)
def test_exception_attributes(cls: type[HTTPException], code: int, name: str) -> None:
    e = cls()
    assert e.code == code
    assert e.name == name
    assert e.description
    rv = e.get_response()
    assert rv.status_code == code
    assert name.encode() in rv.get_data()
    assert rv.mimetype == "text/html"


def test_description_is_escaped() -> None:
    body = NotFound("<script>x</script>").get_response().get_data()
    assert b"<script>" not in body
    assert b"&lt;script&gt;" in body


def test_method_not_allowed_allow_header() -> None:
    rv = MethodNotAllowed(["GET", "POST"]).get_response()
    assert {m.strip() for m in rv.headers["Allow"].split(",")} == {"GET", "POST"}


def test_every_default_exception_is_a_4xx_or_5xx() -> None:
    assert 404 in default_exceptions
    for code, cls in default_exceptions.items():
        assert 400 <= code < 600
        assert cls.code == code
        assert cls().get_response().status_code == code


def test_not_found_is_a_lookup_error() -> None:
    assert isinstance(NotFound(), LookupError)


# -- abort ---------------------------------------------------------------------------------


def test_abort_code_and_description(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        abort(403, "Members only")

    rv = client.get("/")
    assert rv.status_code == 403
    assert b"Members only" in rv.data


def test_abort_raises_outside_request() -> None:
    with pytest.raises(NotFound):
        abort(404)
    with pytest.raises(LookupError):
        abort(299)


def test_abort_with_response(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        abort(Response("custom body", 418, {"X-Abort": "1"}))

    rv = client.get("/")
    assert rv.status_code == 418
    assert rv.data == b"custom body"
    assert rv.headers["X-Abort"] == "1"


def test_raised_http_exception_becomes_response(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    @app.get("/")
    @as_mode(mode)
    def index() -> str:
        raise Unauthorized("log in")

    rv = client.get("/")
    assert rv.status_code == 401
    assert b"log in" in rv.data


def test_returned_http_exception_becomes_response(
    app: Carboy, client: CarboyClient
) -> None:
    @app.get("/")
    def index() -> Any:
        return Forbidden()

    assert client.get("/").status_code == 403


def test_foreign_http_exception(app: Carboy, client: CarboyClient) -> None:
    """An exception with an int ``code`` and ``get_response()`` (as Werkzeug's)."""

    class ForeignResponse:
        status_code = 409
        headers = [("X-Foreign", "1")]

        def get_data(self) -> bytes:
            return b"conflict"

    class ForeignError(Exception):
        code = 409

        def get_response(self, environ: Any = None) -> ForeignResponse:
            return ForeignResponse()

    @app.get("/")
    def index() -> str:
        raise ForeignError()

    rv = client.get("/")
    assert rv.status_code == 409
    assert rv.data == b"conflict"


# -- error handlers ------------------------------------------------------------------------


def test_handler_by_code(app: Carboy, client: CarboyClient, mode: str) -> None:
    @app.errorhandler(404)
    @as_mode(mode)
    def not_found(e: NotFound) -> tuple[str, int]:
        return f"custom {e.code} for {request.path}", 404

    rv = client.get("/nope")
    assert rv.status_code == 404
    assert rv.data == b"custom 404 for /nope"


def test_handler_for_405(app: Carboy, client: CarboyClient, mode: str) -> None:
    @app.post("/")
    def index() -> str:
        return "x"

    @app.errorhandler(405)
    @as_mode(mode)
    def not_allowed(e: MethodNotAllowed) -> tuple[str, int]:
        return "no", 405

    rv = client.get("/")
    assert (rv.status_code, rv.data) == (405, b"no")


def test_handler_by_class_hierarchy(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    class AppError(Exception):
        pass

    class DetailError(AppError):
        pass

    class OtherError(AppError):
        pass

    @app.errorhandler(AppError)
    @as_mode(mode)
    def app_error(e: AppError) -> tuple[str, int]:
        return f"app:{type(e).__name__}", 400

    @app.errorhandler(DetailError)
    @as_mode(mode)
    def detail_error(e: DetailError) -> tuple[str, int]:
        return "detail", 422

    @app.get("/detail")
    @as_mode(mode)
    def detail() -> str:
        raise DetailError()

    @app.get("/other")
    @as_mode(mode)
    def other() -> str:
        raise OtherError()

    assert (client.get("/detail").status_code, client.get("/detail").data) == (
        422,
        b"detail",
    )
    rv = client.get("/other")
    assert (rv.status_code, rv.data) == (400, b"app:OtherError")


def test_http_exception_base_handler(
    app: Carboy, client: CarboyClient, mode: str
) -> None:
    @app.errorhandler(HTTPException)
    @as_mode(mode)
    def any_http(e: HTTPException) -> tuple[dict[str, Any], int]:
        return {"code": e.code, "name": e.name}, e.code or 500

    rv = client.get("/nope")
    assert rv.status_code == 404
    assert rv.json == {"code": 404, "name": "Not Found"}


def test_code_handler_beats_class_handler(app: Carboy, client: CarboyClient) -> None:
    @app.errorhandler(HTTPException)
    def any_http(e: HTTPException) -> tuple[str, int]:
        return "generic", 400

    @app.errorhandler(404)
    def nf(e: HTTPException) -> tuple[str, int]:
        return "specific", 404

    assert client.get("/nope").data == b"specific"


def test_handler_for_custom_http_subclass(app: Carboy, client: CarboyClient) -> None:
    class PaymentRequired(HTTPException):
        code = 402
        description = "Pay up."

    @app.errorhandler(PaymentRequired)
    def pay(e: PaymentRequired) -> tuple[str, int]:
        return "handled", 402

    @app.get("/")
    def index() -> str:
        raise PaymentRequired()

    assert client.get("/").data == b"handled"


def test_register_error_handler_validation(app: Carboy) -> None:
    with pytest.raises(ValueError, match="not a recognized"):
        app.register_error_handler(299, lambda e: "x")
    with pytest.raises(TypeError, match="instance"):
        app.register_error_handler(KeyError(), lambda e: "x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="subclass of Exception"):
        app.register_error_handler(object, lambda e: "x")  # type: ignore[arg-type]


def test_handler_for_500_gets_original_exception(
    prod_app: Carboy, protocol: str, mode: str
) -> None:
    seen: list[Any] = []

    @prod_app.errorhandler(500)
    @as_mode(mode)
    def server_error(e: InternalServerError) -> tuple[str, int]:
        seen.append(e)
        return "sorry", 500

    @prod_app.get("/")
    @as_mode(mode)
    def index() -> str:
        raise ValueError("secret detail")

    rv = prod_app.test_client(protocol=protocol).get("/")
    assert (rv.status_code, rv.data) == (500, b"sorry")
    (e,) = seen
    assert isinstance(e, InternalServerError)
    assert isinstance(e.original_exception, ValueError)
    assert str(e.original_exception) == "secret detail"


def test_handler_for_exception_catches_all(prod_app: Carboy, protocol: str) -> None:
    @prod_app.errorhandler(Exception)
    def everything(e: Exception) -> tuple[str, int]:
        return type(e).__name__, 500

    @prod_app.get("/")
    def index() -> str:
        raise KeyError("x")

    client = prod_app.test_client(protocol=protocol)
    assert client.get("/").data == b"KeyError"
    # HTTP errors reach an Exception handler too (as in Flask).
    assert client.get("/missing").data == b"NotFound"


def test_error_in_error_handler_gives_500(prod_app: Carboy, protocol: str) -> None:
    @prod_app.errorhandler(404)
    def broken(e: Exception) -> str:
        raise RuntimeError("handler broke")

    rv = prod_app.test_client(protocol=protocol).get("/missing")
    assert rv.status_code == 500
    assert b"handler broke" not in rv.data


def test_after_request_runs_on_handled_error(app: Carboy, client: CarboyClient) -> None:
    @app.after_request
    def after(response: Response) -> Response:
        response.headers["X-After"] = "yes"
        return response

    assert client.get("/missing").headers["X-After"] == "yes"


# -- unhandled errors ----------------------------------------------------------------------


def test_unhandled_is_500_and_logged(
    prod_app: Carboy, protocol: str, mode: str, caplog: pytest.LogCaptureFixture
) -> None:
    @prod_app.get("/boom")
    @as_mode(mode)
    def boom() -> str:
        raise ZeroDivisionError("very secret internals")

    with caplog.at_level(logging.ERROR, logger="prod_app"):
        rv = prod_app.test_client(protocol=protocol).get("/boom")
    assert rv.status_code == 500
    assert b"Internal Server Error" in rv.data
    assert b"very secret internals" not in rv.data
    assert b"Traceback" not in rv.data
    assert b"ZeroDivisionError" not in rv.data
    records = [r for r in caplog.records if r.name == "prod_app"]
    assert len(records) == 1
    record = records[0]
    assert record.levelno == logging.ERROR
    assert "/boom" in record.getMessage()
    assert record.exc_info is not None
    assert record.exc_info[0] is ZeroDivisionError
    assert "very secret internals" in caplog.text
    assert "Traceback" in caplog.text


def test_testing_reraises(app: Carboy, client: CarboyClient, mode: str) -> None:
    @app.get("/")
    @as_mode(mode)
    def index() -> str:
        raise ZeroDivisionError("raised to the test")

    with pytest.raises(ZeroDivisionError, match="raised to the test"):
        client.get("/")


def test_propagate_exceptions_config(prod_app: Carboy, protocol: str) -> None:
    prod_app.config["PROPAGATE_EXCEPTIONS"] = True

    @prod_app.get("/")
    def index() -> str:
        raise ZeroDivisionError()

    with pytest.raises(ZeroDivisionError):
        prod_app.test_client(protocol=protocol).get("/")


def test_propagate_false_overrides_testing(app: Carboy, protocol: str) -> None:
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/")
    def index() -> str:
        raise ZeroDivisionError()

    assert app.test_client(protocol=protocol).get("/").status_code == 500


def test_http_exceptions_never_propagate(app: Carboy, client: CarboyClient) -> None:
    @app.get("/")
    def index() -> str:
        abort(400)

    assert client.get("/").status_code == 400


def test_debug_error_response_has_no_code_execution(protocol: str) -> None:
    app = Carboy("dbg", static_folder=None)
    app.config.update(DEBUG=True, PROPAGATE_EXCEPTIONS=False)

    @app.get("/")
    def index() -> str:
        raise ValueError("dbg")

    rv = app.test_client(protocol=protocol).get("/")
    assert rv.status_code == 500
    assert b"__debugger__" not in rv.data


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_async_view_returning_none_is_500(protocol: str) -> None:
    app = Carboy("x", static_folder=None)

    @app.get("/")
    async def index() -> None:
        return None

    rv = app.test_client(protocol=protocol).get("/")
    assert rv.status_code == 500
    assert b"TypeError" not in rv.data


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_after_request_failing_on_a_500_is_logged_and_the_500_sent(
    protocol: str, caplog: pytest.LogCaptureFixture
) -> None:
    app = Carboy("after_fails", static_folder=None)

    @app.get("/")
    def index() -> str:
        raise ValueError("boom")

    @app.after_request
    def broken(response: Response) -> Response:
        raise RuntimeError("after_request failed")

    with caplog.at_level(logging.ERROR, logger="after_fails"):
        rv = app.test_client(protocol=protocol).get("/")
    assert rv.status_code == 500
    messages = [r.getMessage() for r in caplog.records]
    assert any("while handling an error" in m for m in messages)


def test_teardown_runs_for_a_request_that_failed_before_routing(
    protocol: str,
) -> None:
    app = Carboy("x", static_folder=None)
    app.config["TRUSTED_HOSTS"] = ["good.example"]
    seen: list[Any] = []

    @app.teardown_request
    def down(exc: Any) -> None:
        seen.append(exc)

    @app.get("/")
    def index() -> str:
        return "hi"

    rv = app.test_client(protocol=protocol).get("/", base_url="http://evil.example")
    assert rv.status_code == 400
    assert seen == [None]
