"""Running the application on a real server: the development server is uvicorn."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy


def run_simple(
    app: Carboy, host: str = "127.0.0.1", port: int = 5000, **options: Any
) -> None:
    """Serve ``app`` with uvicorn (ASGI) until interrupted.

    Reloading on code changes needs an import string, so it is offered by the
    ``carboy run`` command rather than by ``app.run()``.
    """
    try:
        import uvicorn
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise RuntimeError(
            "The development server needs uvicorn. Install it with"
            " \"pip install 'carboy[server]'\"."
        ) from exc
    options.setdefault("log_level", "debug" if app.debug else "info")
    uvicorn.run(app.asgi_app, host=host, port=port, **options)
