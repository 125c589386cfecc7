"""Turning what a view returns into the application's response class
(``make_response``), as Flask does."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .ctx import _cv_ctx
from .dispatch import is_http_exception
from .exceptions import HTTPException, set_response_factory
from .sansio.datastructures import Headers
from .sansio.response import Response as _SansioResponse
from .wrappers import Response as _Response

if TYPE_CHECKING:  # pragma: no cover
    from .json import JSONProvider
    from .wrappers import Response

# PERF: tuples, not ``A | B`` unions, which are built anew at each isinstance call.
_BODY_TYPES = (str, bytes, bytearray)
_JSON_TYPES = (dict, list)
_HEADER_SHAPES = (dict, tuple, list)


class Responses:
    """View return values to responses; a part of :class:`carboy.Carboy`."""

    response_class: type[Response]
    json: JSONProvider

    def redirect(self, location: str, code: int = 302) -> Response:
        """A redirect response of this app's ``response_class``; ``carboy.redirect``
        calls it when an app is active, so a subclass can change every redirect."""
        from .helpers import build_redirect

        return build_redirect(location, code, self.response_class)

    def make_response(self, rv: Any) -> Response:
        """Turn a view's return value into a :class:`Response`, as Flask does.

        ``str``/``bytes`` (HTML body), ``dict``/``list`` (JSON), a ``Response``, an
        iterator of ``str``/``bytes`` (streamed), or a tuple ``(body, status)``,
        ``(body, headers)`` or ``(body, status, headers)``.
        """
        status = headers = None
        if type(rv) is tuple:
            # PERF: the two common shapes, (body, status) and (body, {headers}), first.
            if len(rv) == 2 and type(rv[1]) is dict:
                rv, headers = rv
            elif len(rv) == 2 and type(rv[1]) is int:
                rv, status = rv
            else:
                rv, status, headers = _unpack_tuple(rv)
        if isinstance(rv, _BODY_TYPES):  # PERF: the common case first
            return self.response_class(rv, status, headers)
        if not isinstance(rv, _SansioResponse):
            if isinstance(rv, Iterator) or hasattr(rv, "__aiter__"):
                return self.response_class(rv, status, headers)
            rv = self._coerce_return_value(rv)
        if status is not None:
            rv.status = status
        if headers:
            rv.headers.update(headers)
        response: Response = rv
        return response

    def _coerce_return_value(self, rv: Any) -> Response:
        """A response from a view's ``None``, JSON value or error object."""
        if rv is None:
            raise TypeError(
                f"The view function for {self._current_endpoint()!r} did not return a valid"
                " response. The function either returned None or ended without a return"
                " statement."
            )
        if isinstance(rv, _JSON_TYPES):
            return self.json.response(rv)
        if isinstance(rv, HTTPException):
            return self.http_error_response(rv)
        if is_http_exception(rv):
            return _foreign_response(self, rv.get_response())
        if hasattr(rv, "status_code") and hasattr(rv, "get_data"):
            return _foreign_response(self, rv)
        raise TypeError(
            f"The view function for {self._current_endpoint()!r} did not return a"
            " valid response. The return type must be a string, dict, list,"
            " tuple with headers or status, Response instance, or iterator, but"
            f" it was a {type(rv).__name__}."
        )

    def http_error_response(self, e: HTTPException) -> Response:
        """The response for HTTP error ``e``: its own ``response`` when it carries
        one, else its error page as this app's ``response_class``."""
        if e.response is not None:
            return e.response  # type: ignore[return-value]
        body = e.page()
        if body is not None:
            return self.response_class(body, e.code or 500, mimetype="text/html")
        return self.response_class(e.get_body(), e.code or 500, e.get_headers())

    def _current_endpoint(self) -> str | None:
        ctx = _cv_ctx.get(None)
        if ctx is not None and ctx.request is not None:
            return ctx.request.endpoint
        return None


def _unpack_tuple(rv: tuple[Any, ...]) -> tuple[Any, Any, Any]:
    """``(body, status, headers)`` from any of the three tuple shapes a view returns."""
    n = len(rv)
    if n == 3:
        return rv
    if n == 2:
        if isinstance(rv[1], _HEADER_SHAPES) or _is_headers(rv[1]):
            return rv[0], None, rv[1]
        return rv[0], rv[1], None
    raise TypeError(
        "The view function did not return a valid response tuple. The tuple must have"
        " the form (body, status, headers), (body, status), or (body, headers)."
    )


def _is_headers(value: Any) -> bool:
    return isinstance(value, Headers)


def _foreign_response(app: Responses, rv: Any) -> Response:
    """A carboy response from another toolkit's response object (mid-port apps)."""
    headers = (
        list(rv.headers.items()) if hasattr(rv.headers, "items") else list(rv.headers)
    )
    return app.response_class(rv.get_data(), rv.status_code, headers)


def _error_response(e: HTTPException) -> Response:
    """``HTTPException.get_response()``: the current app's response class, or
    carboy's ``Response`` outside any app context."""
    ctx = _cv_ctx.get(None)
    if ctx is not None:
        return ctx.app.http_error_response(e)
    body = e.page()
    if body is not None:
        return _Response(body, e.code or 500, mimetype="text/html")
    return _Response(e.get_body(), e.code or 500, e.get_headers())


set_response_factory(_error_response)
