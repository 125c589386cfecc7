"""HTTP errors: one class per status, each with its code and a one-sentence description.

Raise them from a view (or call :func:`abort`) to end the request with that status::

    from carboy.exceptions import NotFound

    @app.get("/users/<int:id>")
    def user(id):
        if id not in USERS:
            raise NotFound("No such user.")
        ...

This module is the bottom layer of carboy: it imports nothing else from the package,
and builds no response itself. The application turns an error into its own response
class; :meth:`HTTPException.get_response` asks it to.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:  # pragma: no cover
    from .sansio.response import Response


_pages: dict[tuple[int | None, str | None], bytes] = {}
_response_factory: Callable[[HTTPException], Response] | None = None


def set_response_factory(factory: Callable[[HTTPException], Response]) -> None:
    """Install how :meth:`HTTPException.get_response` builds a response (the
    application layer does, with the current app's ``response_class``)."""
    global _response_factory
    _response_factory = factory


#: The reason phrases by status code, once an error's name was first asked for.
_reasons: dict[int, str] | None = None


class HTTPException(Exception):
    """Base class for every HTTP error; ``code`` is ``None`` only on this base."""

    code: int | None = None
    description: str | None = None

    def __init__(
        self, description: str | None = None, response: Response | None = None
    ) -> None:
        super().__init__()
        if description is not None:
            self.description = description
        self.response = response

    @property
    def name(self) -> str:
        """The status's reason phrase, such as ``"Not Found"``."""
        global _reasons
        reasons = _reasons
        if reasons is None:
            # NOTE: sansio is a layer above this module: imported on first use.
            # PERF: then kept (a relative import in a function runs importlib's
            # Python code every time).
            from .sansio.http import HTTP_STATUS_CODES

            reasons = _reasons = HTTP_STATUS_CODES
        return reasons.get(self.code or 0, "Unknown Error")

    def get_description(self) -> str:
        """The description as HTML-escaped text for the default error page."""
        return html.escape(self.description or "", quote=False)

    def get_body(self) -> str:
        """The default error page: a small HTML document."""
        return (
            "<!doctype html>\n<html lang=en>\n"
            f"<title>{self.code} {self.name}</title>\n"
            f"<h1>{self.name}</h1>\n<p>{self.get_description()}</p>\n"
        )

    def get_headers(self) -> list[tuple[str, str]]:
        """Headers for the default error response."""
        return [("Content-Type", "text/html; charset=utf-8")]

    def get_response(self, environ: Any = None, scope: Any = None) -> Response:
        """The response for this error: ``self.response`` if set, else the error page
        as the current app's response class (this module builds no response itself:
        the application layer installs the factory, see :func:`set_response_factory`).
        """
        if self.response is not None:
            return self.response
        if _response_factory is None:  # pragma: no cover - carboy/__init__ installs it
            raise RuntimeError("No response factory: import carboy first.")
        return _response_factory(self)

    def page(self) -> bytes | None:
        """The default error page as bytes, when this class does not customize it
        (then it depends only on the code and the description); ``None`` otherwise."""
        cls = type(self)
        if (
            cls.get_body is not HTTPException.get_body
            or cls.get_description is not HTTPException.get_description
            or cls.get_headers is not HTTPException.get_headers
        ):
            return None
        # PERF: each (code, description) page is encoded once.
        key = (self.code, self.description)
        body = _pages.get(key)
        if body is None:
            body = self.get_body().encode()
            if len(_pages) < 256:
                _pages[key] = body
        return body

    def __str__(self) -> str:
        return f"{self.code or '???'} {self.name}: {self.description}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} '{self.code}: {self.name}'>"


class BadRequest(HTTPException):
    code = 400
    description = (
        "The browser (or proxy) sent a request that this server could not understand."
    )


class ClientDisconnected(BadRequest):
    """The client went away before its whole request body arrived."""

    description = (
        "The client disconnected before the whole request body arrived (it was"
        " shorter than its Content-Length, or the connection closed)."
    )


class BadRequestKeyError(BadRequest, KeyError):
    """A missing key in ``request.form``/``args``/``files``; still a ``KeyError``."""

    def __init__(self, key: str | None = None, description: str | None = None) -> None:
        super().__init__(description)
        self.key = key
        if key is not None and description is None:
            self.description = f"The request is missing the key {key!r}."

    def __str__(self) -> str:
        return HTTPException.__str__(self)


class SecurityError(BadRequest):
    """Something in the request looked like an attack (an untrusted host, say)."""


class BadHost(BadRequest):
    description = "The Host header is malformed or not trusted."


class Unauthorized(HTTPException):
    code = 401
    description = "The server could not verify that you are authorized to access the URL requested."

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        www_authenticate: str | Iterable[str] | None = None,
    ) -> None:
        super().__init__(description, response)
        if isinstance(www_authenticate, str):
            www_authenticate = [www_authenticate]
        self.www_authenticate = list(www_authenticate or ())

    def get_headers(self) -> list[tuple[str, str]]:
        headers = super().get_headers()
        headers.extend(("WWW-Authenticate", v) for v in self.www_authenticate)
        return headers


class Forbidden(HTTPException):
    code = 403
    description = "You don't have the permission to access the requested resource."


class NotFound(HTTPException, LookupError):
    code = 404
    description = "The requested URL was not found on the server."


class MethodNotAllowed(HTTPException):
    code = 405
    description = "The method is not allowed for the requested URL."

    def __init__(
        self,
        valid_methods: Iterable[str] | None = None,
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.valid_methods = sorted(valid_methods) if valid_methods else []

    def get_headers(self) -> list[tuple[str, str]]:
        headers = super().get_headers()
        if self.valid_methods:
            headers.append(("Allow", ", ".join(self.valid_methods)))
        return headers


class NotAcceptable(HTTPException):
    code = 406
    description = "The resource cannot produce a response the client accepts."


class RequestTimeout(HTTPException):
    code = 408
    description = (
        "The server closed the network connection because the request took too long."
    )


class Conflict(HTTPException):
    code = 409
    description = "The request conflicts with the current state of the resource."


class Gone(HTTPException):
    code = 410
    description = "The requested URL is no longer available on this server."


class LengthRequired(HTTPException):
    code = 411
    description = "A request with this method requires a valid Content-Length header."


class PreconditionFailed(HTTPException):
    code = 412
    description = "The precondition on the request for the URL failed."


class RequestEntityTooLarge(HTTPException):
    code = 413
    description = "The data value transmitted exceeds the capacity limit."


class RequestURITooLarge(HTTPException):
    code = 414
    description = "The length of the requested URL exceeds the capacity limit."


class UnsupportedMediaType(HTTPException):
    code = 415
    description = (
        "The server does not support the media type transmitted in the request."
    )


class RequestedRangeNotSatisfiable(HTTPException):
    code = 416
    description = "The server cannot provide the requested range."

    def __init__(
        self,
        length: int | None = None,
        units: str = "bytes",
        description: str | None = None,
        response: Response | None = None,
    ) -> None:
        super().__init__(description, response)
        self.length = length
        self.units = units

    def get_headers(self) -> list[tuple[str, str]]:
        headers = super().get_headers()
        if self.length is not None:
            headers.append(("Content-Range", f"{self.units} */{self.length}"))
        return headers


class ExpectationFailed(HTTPException):
    code = 417
    description = "The server could not meet the requirements of the Expect header."


class ImATeapot(HTTPException):
    code = 418
    description = "This server is a teapot, not a coffee machine."


class UnprocessableEntity(HTTPException):
    code = 422
    description = "The request was well-formed but could not be processed."


class Locked(HTTPException):
    code = 423
    description = "The resource that is being accessed is locked."


class FailedDependency(HTTPException):
    code = 424
    description = (
        "The method could not be performed because a request it depended on failed."
    )


class PreconditionRequired(HTTPException):
    code = 428
    description = "This request is required to be conditional."


class TooManyRequests(HTTPException):
    code = 429
    description = "This user has exceeded an allotted request count."

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description, response)
        self.retry_after = retry_after

    def get_headers(self) -> list[tuple[str, str]]:
        headers = super().get_headers()
        if self.retry_after is not None:
            headers.append(("Retry-After", str(int(self.retry_after))))
        return headers


class UpgradeRequired(HTTPException):
    """A plain HTTP request reached a WebSocket route (or another upgrade-only URL)."""

    code = 426
    description = (
        "This URL serves WebSocket connections only; connect with a WebSocket client."
    )

    def get_headers(self) -> list[tuple[str, str]]:
        headers = super().get_headers()
        headers.append(("Upgrade", "websocket"))
        headers.append(("Connection", "Upgrade"))
        return headers


class RequestHeaderFieldsTooLarge(HTTPException):
    code = 431
    description = "One or more header fields exceeds the maximum size."


class UnavailableForLegalReasons(HTTPException):
    code = 451
    description = "Unavailable for legal reasons."


class InternalServerError(HTTPException):
    code = 500
    description = (
        "The server encountered an internal error and was unable to complete your"
        " request. Either the server is overloaded or there is an error in the"
        " application."
    )

    def __init__(
        self,
        description: str | None = None,
        response: Response | None = None,
        original_exception: BaseException | None = None,
    ) -> None:
        super().__init__(description, response)
        #: The unhandled exception that caused this error, if any.
        self.original_exception = original_exception


class NotImplementedHTTP(HTTPException):
    code = 501
    description = "The server does not support the action requested by the browser."


class BadGateway(HTTPException):
    code = 502
    description = (
        "The proxy server received an invalid response from an upstream server."
    )


class ServiceUnavailable(HTTPException):
    code = 503
    description = "The server is temporarily unable to service your request."


class GatewayTimeout(HTTPException):
    code = 504
    description = "The connection to an upstream server timed out."


class HTTPVersionNotSupported(HTTPException):
    code = 505
    description = (
        "The server does not support the HTTP protocol version used in the request."
    )


# Werkzeug spells the 501 class ``NotImplemented``; keep that name importable too.
NotImplemented = NotImplementedHTTP  # noqa: A001

#: Every HTTP error class by status code.
default_exceptions: dict[int, type[HTTPException]] = {}


def _collect() -> None:
    for obj in list(globals().values()):
        if (
            isinstance(obj, type)
            and issubclass(obj, HTTPException)
            and obj.code is not None
            and obj.code not in default_exceptions
        ):
            default_exceptions[obj.code] = obj


_collect()


class Aborter:
    """Raises the HTTP error for a status code; ``abort`` is an instance of it."""

    def __init__(self, mapping: dict[int, type[HTTPException]] | None = None) -> None:
        self.mapping = dict(default_exceptions if mapping is None else mapping)

    def __call__(self, code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
        if not isinstance(code, int):
            raise HTTPException(response=code)
        if code not in self.mapping:
            raise LookupError(f"no exception for status code {code!r}")
        raise self.mapping[code](*args, **kwargs)


def abort(code: int | Response, *args: Any, **kwargs: Any) -> NoReturn:
    """Stop the request with an HTTP error: ``abort(404)``, ``abort(403, "Go away")``.

    Passing a :class:`~carboy.Response` instead of a code ends the request with that
    response as it is.
    """
    _aborter(code, *args, **kwargs)


_aborter = Aborter()
