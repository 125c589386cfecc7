"""carboy's Flask app with plain ``def`` views declared non-blocking, over ASGI
(``carboy-def-loop``).

The same app as ``carboy_def.py`` with ``SYNC_TO_THREAD = False``: the views are
declared not to block, so they run on the event loop's thread instead of a worker
thread (docs/deploying.md). It shows what the thread hand-off costs the ``carboy-def``
column; the safe default is ``carboy-def``.
"""

from __future__ import annotations

from bench.apps.carboy_app import build_app, sync_views
from carboy import Carboy

PROTOCOLS = ("asgi",)
UNSUPPORTED: frozenset[str] = frozenset()


def build(protocol: str, routes: int) -> Carboy:
    """The Flask-style app, its plain views run on the event loop."""
    app = build_app(routes, sync_views())
    app.config["SYNC_TO_THREAD"] = False
    return app
