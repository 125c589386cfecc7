"""Routing outcomes: redirects from matching, build failures, converter rejections."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..exceptions import HTTPException


class RoutingException(Exception):
    """Base class for exceptions raised by matching and building that are not errors.

    ``NotFound`` and ``MethodNotAllowed`` from :mod:`carboy.exceptions` are raised for
    failed matches; this base covers the routing-specific outcomes.
    """


class RequestRedirect(HTTPException, RoutingException):
    """The request should be redirected, with ``308 Permanent Redirect``.

    Raised by :meth:`Map.match` for a strict-slash redirect (``/about`` to ``/about/``)
    and for rules with ``redirect_to``. ``new_url`` is a percent-encoded path (a
    ``redirect_to`` target may carry its own ``?query`` or be an absolute URL). The
    application builds the ``Location`` header from it and appends the request's query
    string to a strict-slash redirect.
    """

    code = 308
    description = "The resource has moved to the URL in the Location header."

    def __init__(self, new_url: str) -> None:
        super().__init__(f"Redirecting to {new_url}.")
        self.new_url = new_url


class BuildError(RoutingException, LookupError):
    """No rule can build a URL for ``endpoint`` with these ``values`` and ``method``.

    ``str(error)`` explains why: an unknown endpoint (with close names suggested), the
    missing arguments, or the methods the endpoint does allow.
    """

    def __init__(
        self,
        endpoint: str,
        values: Mapping[str, Any],
        method: str | None,
        reason: str | None = None,
    ) -> None:
        super().__init__(endpoint, values, method)
        self.endpoint = endpoint
        self.values = dict(values)
        self.method = method
        self.reason = reason

    def __str__(self) -> str:
        where = f"endpoint {self.endpoint!r}"
        if self.method is not None:
            where += f" with method {self.method!r}"
        message = f"Could not build a URL for {where}."
        if self.reason:
            message += f" {self.reason}"
        return message


class ValidationError(ValueError):
    """Raised by a converter's ``to_python`` to mean "this part does not match".

    Matching then falls back to the next candidate rule.
    """
