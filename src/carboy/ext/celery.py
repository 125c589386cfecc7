"""Background tasks with Celery, every task inside the app's context.

::

    from carboy import Carboy
    from carboy.ext.celery import celery_init_app

    app = Carboy(__name__)
    app.config["CELERY"] = {
        "broker_url": "redis://127.0.0.1:6379/0",
        "result_backend": "redis://127.0.0.1:6379/0",
        "task_ignore_result": True,
    }
    celery_app = celery_init_app(app)  # also app.extensions["celery"]

Then run web instances (``gunicorn myapp:app``) and worker instances (``celery -A
myapp:celery_app worker``) as separate processes, as many of each as the load needs:
they share only the broker and the database (see ``docs/celery.md``).

Every task body runs inside an application context of ``app``: ``current_app``,
``app.config``, ``g`` (fresh per task) and the database extension's ``db.session`` work
exactly as in a view, and the context's teardown (``db.session`` closed, say) runs when
the task ends, whether it succeeded, failed or asked to be retried. A task called
directly while the app's context is already active (in a view, in a test) runs in that
context. ``async def`` task functions are run to completion by carboy's bridge, as an
``async def`` view is under WSGI.

Tasks made with Celery's ``@shared_task`` are bound to the Celery app that
``celery_init_app`` made the default, with its task class, so they run in the context
too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from celery import Celery, Task

from ..ctx import _cv_ctx

if TYPE_CHECKING:  # pragma: no cover
    from ..app import Carboy

__all__ = ["celery_init_app"]


def celery_init_app(app: Carboy, name: str | None = None) -> Celery:
    """A Celery app configured from ``app.config["CELERY"]`` whose tasks run in
    ``app``'s context; stored in ``app.extensions["celery"]`` and made Celery's default
    (so ``@shared_task`` tasks use it).

    ``CELERY`` holds Celery's own (lowercase) settings: ``broker_url``,
    ``result_backend``, ``task_ignore_result``, ... ``name`` is the Celery app's main
    name (default: ``app.name``), the prefix of task names defined in ``__main__``.
    """
    if "celery" in app.extensions:
        raise RuntimeError(
            f"celery_init_app() was already called for the app {app.name!r}; use"
            " app.extensions['celery']."
        )
    config = app.config.get("CELERY")
    if not isinstance(config, Mapping):
        raise RuntimeError(
            "celery_init_app() reads Celery's settings from app.config['CELERY'], a"
            " dict such as {'broker_url': 'redis://127.0.0.1:6379/0', 'result_backend':"
            " 'redis://127.0.0.1:6379/0'}; set it before calling celery_init_app(app)."
        )

    class AppContextTask(Task):  # type: ignore[misc]
        """A task whose body runs inside an application context of ``app``."""

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            ctx = _cv_ctx.get(None)
            if ctx is not None and ctx.app is app:
                return app.ensure_sync(self.run)(*args, **kwargs)
            with app.app_context():
                return app.ensure_sync(self.run)(*args, **kwargs)

    celery_app = Celery(name or app.name, task_cls=AppContextTask)
    celery_app.config_from_object(dict(config))
    celery_app.set_default()
    app.extensions["celery"] = celery_app
    return celery_app
