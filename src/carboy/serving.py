"""The development server: the app served by uvicorn, with watchfiles reloading.

``carboy run`` and ``app.run()`` both end in :func:`run_simple`. carboy parses no HTTP
itself: uvicorn is the server. In debug mode the app is wrapped in
:class:`carboy.debug.DebugMiddleware` (the debug page) and, with the reloader on,
uvicorn runs it in a child process that it restarts when a file changes; the child
finds the app again through :func:`reloaded_app`.
"""

from __future__ import annotations

import errno
import ipaddress
import json
import os
import socket
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .app import Carboy

#: In the reloader's parent: how the child process finds the app (JSON).
RELOAD_ENV = "CARBOY_RELOAD_TARGET"
#: Set for the server processes a reloader starts: there, ``app.run()`` does nothing
#: (the script that calls it is imported again to find the app).
CHILD_ENV = "CARBOY_RELOADER_CHILD"


class ServerError(Exception):
    """The server cannot start; the message says why and what to change."""


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_port(host: str, port: int) -> None:
    """Raise :class:`ServerError` when ``host:port`` cannot be bound (in use, say)."""
    if port == 0:
        return
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise ServerError(f"Cannot resolve the host {host!r}: {e.strerror}.") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        # NOTE: the same option uvicorn sets, so a port in TIME_WAIT counts as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ServerError(
                    f"Port {port} on {host} is in use by another program. Stop it, or"
                    " choose another port with '--port'."
                ) from None
            raise ServerError(
                f"Cannot listen on {host}:{port}: {e.strerror or e}."
            ) from None


def run_simple(
    app: Carboy,
    host: str = "127.0.0.1",
    port: int = 5000,
    *,
    use_reloader: bool = False,
    use_debugger: bool | None = None,
    extra_files: Sequence[str] | None = None,
    exclude_patterns: Sequence[str] | None = None,
    ssl_context: tuple[str, str] | None = None,
    reload_target: str | None = None,
    **options: Any,
) -> None:
    """Serve ``app`` with uvicorn on ``host:port`` until Ctrl+C.

    ``use_debugger`` (default: ``app.debug``) serves the debug page; ``use_reloader``
    restarts the server when a Python file (or one of ``extra_files``) changes,
    except for files matching ``exclude_patterns``. ``ssl_context`` is a
    ``(certificate file, key file)`` pair. Other ``options`` go to ``uvicorn.run``.
    ``reload_target`` is the ``--app`` value the CLI was given (``""`` for
    discovery); for ``app.run()`` the app is found in its module.
    """
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - depends on the install
        raise ServerError(
            "The development server needs uvicorn. Install it with"
            " \"pip install 'carboy[server]'\"."
        ) from None
    if use_debugger is None:
        use_debugger = app.debug
    options.pop("threaded", None)  # Flask's option; uvicorn runs plain views in threads
    options.setdefault("log_level", "info")
    if ssl_context is not None:
        options.update(_ssl_options(ssl_context))
    scheme = "https" if ssl_context else "http"
    _print_banner(app, host, port, scheme, use_debugger)

    target: Any = _serve_target(app, use_debugger)
    if use_reloader:
        spec = _reload_spec(app, reload_target)
        if spec is None:
            _echo(
                " * Reloader off: the app is not a module-level name that a new process"
                " can import. Use 'carboy --app module run --debug' to reload.",
            )
        else:
            spec["debugger"] = use_debugger
            os.environ[RELOAD_ENV] = json.dumps(spec)
            os.environ[CHILD_ENV] = "1"
            target = "carboy.serving:reloaded_app"
            options.update(_reload_options(app, extra_files, exclude_patterns))
            options["factory"] = True
    try:
        uvicorn.run(target, host=host, port=port, interface="asgi3", **options)
    except KeyboardInterrupt:  # pragma: no cover - timing of a second Ctrl+C
        pass


def _echo(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _print_banner(
    app: Carboy, host: str, port: int, scheme: str, use_debugger: bool
) -> None:
    _echo(f" * Serving carboy app {app.name!r}")
    _echo(f" * Debug mode: {'on' if use_debugger else 'off'}")
    if use_debugger and not is_loopback(host):
        _echo(
            f" * WARNING: debug mode on {host}, an address other machines can reach."
            " Anyone who can connect sees tracebacks, source code and request data."
            " Bind to 127.0.0.1, or turn debug mode off."
        )
    shown = f"[{host}]" if ":" in host else host
    _echo(f" * Running on {scheme}://{shown}:{port} (Press CTRL+C to quit)")


def _ssl_options(ssl_context: Any) -> dict[str, str]:
    if not (isinstance(ssl_context, tuple) and len(ssl_context) == 2):
        raise ServerError(
            "ssl_context must be a (certificate file, key file) pair; carboy does not"
            " make certificates ('adhoc'). Create one with mkcert or openssl."
        )
    cert, key = (os.fspath(p) for p in ssl_context)
    for kind, path in (("certificate", cert), ("key", key)):
        if not os.path.isfile(path):
            raise ServerError(f"The {kind} file {path!r} does not exist.")
    return {"ssl_certfile": cert, "ssl_keyfile": key}


def _serve_target(app: Carboy, use_debugger: bool) -> Any:
    if use_debugger:
        from .debug import DebugMiddleware

        return DebugMiddleware(app)
    return app


def _reload_spec(app: Carboy, reload_target: str | None) -> dict[str, Any] | None:
    """How a fresh process finds ``app``: the CLI's import path, or the module-level
    name that holds it (in ``__main__`` for a ``python app.py`` script)."""
    if reload_target is not None:
        return {"import": reload_target}
    module = sys.modules.get(app.import_name)
    if module is None:  # pragma: no cover - an app named after no loaded module
        return None
    names = [name for name, value in vars(module).items() if value is app]
    if not names:
        return None
    if app.import_name == "__main__":
        return {"main": names[0]}
    return {"import": f"{app.import_name}:{names[0]}"}


def _reload_options(
    app: Carboy,
    extra_files: Sequence[str] | None,
    exclude_patterns: Sequence[str] | None,
) -> dict[str, Any]:
    dirs = {os.getcwd(), app.root_path}
    includes = ["*.py"]
    for path in extra_files or ():
        path = os.path.abspath(path)
        dirs.add(os.path.dirname(path))
        includes.append(os.path.basename(path))
    return {
        "reload": True,
        "reload_dirs": sorted(dirs),
        "reload_includes": includes,
        "reload_excludes": list(exclude_patterns or ()),
    }


def reloaded_app() -> Any:
    """The app, found again in a process the reloader started (a uvicorn factory)."""
    spec = json.loads(os.environ[RELOAD_ENV])
    app: Carboy
    if "main" in spec:
        # The reloader's process imported the script as __mp_main__ (multiprocessing's
        # "spawn"); app.run() did nothing there because CHILD_ENV is set.
        module = sys.modules.get("__mp_main__") or sys.modules["__main__"]
        app = getattr(module, spec["main"])
    else:
        from .cli import ScriptInfo

        app = ScriptInfo(spec["import"] or None).load_app()
    if spec.get("debugger"):
        app.debug = True
    return _serve_target(app, bool(spec.get("debugger")))
