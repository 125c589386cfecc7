"""``before_serving`` and ``after_serving`` under a WSGI server, which has no lifespan
protocol: call :func:`startup` once a worker has loaded the app and :func:`shutdown`
when it exits. With gunicorn, in its config file (``gunicorn -c gunicorn.conf.py``)::

    # gunicorn.conf.py
    from carboy.lifespan import shutdown, startup

    def post_worker_init(worker):        # in each worker, after it imported the app
        startup(worker.wsgi)

    def worker_exit(server, worker):     # in each worker, as it exits
        shutdown(worker.wsgi)

(``worker.wsgi`` is the object gunicorn serves: pass your ``Carboy`` app instead when
it is wrapped in middleware.) Under ASGI servers the lifespan protocol runs the same
functions; nothing to configure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy

__all__ = ["shutdown", "startup"]


def _run(app: Carboy, funcs: list[Callable[[], Any]]) -> None:
    with app.app_context():
        for func in funcs:
            app.ensure_sync(func)()


def startup(app: Carboy) -> None:
    """Run the app's ``before_serving`` functions (plain or async), in order; an
    error propagates, so the server can refuse to start the worker."""
    _run(app, app.before_serving_funcs)


def shutdown(app: Carboy) -> None:
    """Run the app's ``after_serving`` functions (plain or async), in order."""
    _run(app, app.after_serving_funcs)
