"""Views written as carboy's own extensions write them: ``Request`` and ``Response``
imported for the type checker only (``from __future__ import annotations``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from carboy import current_app, request

if TYPE_CHECKING:  # pragma: no cover
    from carboy import Request, Response


def plain() -> Response:
    response: Response = current_app.response_class("plain", mimetype="text/plain")
    return response


def agent(req: Request | None = None) -> str:
    return (req or request).method


class Exporter:
    """Like PrometheusMetrics: its view is a bound method."""

    def view(self) -> Response:
        return plain()


def missing(body: Missing) -> Response:  # type: ignore[name-defined]  # noqa: F821
    return plain()
