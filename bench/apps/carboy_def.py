"""carboy's Flask app with plain ``def`` views, served over ASGI (``carboy-def``).

This is what a Flask app ported to carboy runs when it is deployed on an ASGI server
(uvicorn, granian): the same views as the WSGI column, each request's view run in a
worker thread so that a blocking view never stalls the event loop. Its peer is
Starlette's ``def`` endpoints (``starlette_def.py``), which also run in a thread.
"""

from __future__ import annotations

from bench.apps.carboy_app import build_app, sync_views
from carboy import Carboy

PROTOCOLS = ("asgi",)
UNSUPPORTED: frozenset[str] = frozenset()


def build(protocol: str, routes: int) -> Carboy:
    """The Flask-style app (plain ``def`` views) for the ASGI table."""
    return build_app(routes, sync_views())
