"""One module per framework, each exposing ``build(protocol, routes) -> app``.

A module also declares ``PROTOCOLS`` (the protocols it can build for) and
``UNSUPPORTED`` (case selectors it cannot serve; they show "-" in the tables). Modules
are imported lazily and one at a time, so a framework that is not installed (or, for
carboy, not written yet) only removes its own column. No module imports another
framework's module; a variant of one framework (``carboy-def``: the same app with plain
``def`` views under ASGI) imports its own framework's module.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Framework name -> module, in table column order.
FRAMEWORKS = {
    "carboy": "bench.apps.carboy_app",
    "carboy-def": "bench.apps.carboy_def",
    "carboy-def-loop": "bench.apps.carboy_def_loop",
    "flask": "bench.apps.flask_app",
    "bottle": "bench.apps.bottle_app",
    "falcon": "bench.apps.falcon_app",
    "starlette": "bench.apps.starlette_app",
    "starlette-def": "bench.apps.starlette_def",
    "bare": "bench.apps.bare",
}
#: The template baseline (not a framework: it renders and nothing else).
BASELINE = "jinja2-direct"
BASELINE_MODULE = "bench.apps.jinja2_direct"

PROTOCOLS = ("wsgi", "asgi")


def load(name: str) -> ModuleType:
    """Import a framework's app module (``ImportError`` if the framework is missing)."""
    module = BASELINE_MODULE if name == BASELINE else FRAMEWORKS[name]
    return importlib.import_module(module)


def columns(protocol: str) -> list[str]:
    """The frameworks shown for a protocol, carboy first."""
    names = {
        "wsgi": ["carboy", "flask", "bottle", "falcon", "bare"],
        "asgi": [
            "carboy",
            "carboy-def",
            "carboy-def-loop",
            "starlette",
            "starlette-def",
            "falcon",
            "bare",
        ],
    }
    return names[protocol]


def ratios(protocol: str) -> list[tuple[str, str]]:
    """The ratio columns of a protocol's table, as (numerator, denominator).

    Under ASGI, ``async def`` views are compared with async peers and ``def`` views
    with Starlette's ``def`` endpoints (both run in a worker thread); the last two
    are what ``def`` views cost over ``async def`` ones in carboy, in a worker thread
    (the default) and on the loop (declared non-blocking: ``carboy-def-loop``).
    """
    if protocol == "wsgi":
        return [("carboy", p) for p in ("flask", "bottle", "falcon", "bare")]
    return [
        ("carboy", "starlette"),
        ("carboy", "falcon"),
        ("carboy", "bare"),
        ("carboy-def", "starlette-def"),
        ("carboy-def", "carboy"),
        ("carboy-def-loop", "carboy"),
    ]
