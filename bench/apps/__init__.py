"""One module per framework, each exposing ``build(protocol, routes) -> app``.

A module also declares ``PROTOCOLS`` (the protocols it can build for) and
``UNSUPPORTED`` (case selectors it cannot serve; they show "-" in the tables). Modules
are imported lazily and one at a time, so a framework that is not installed (or, for
carboy, not written yet) only removes its own column. No module imports another.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Framework name -> module, in table column order.
FRAMEWORKS = {
    "carboy": "bench.apps.carboy_app",
    "flask": "bench.apps.flask_app",
    "bottle": "bench.apps.bottle_app",
    "falcon": "bench.apps.falcon_app",
    "starlette": "bench.apps.starlette_app",
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
        "asgi": ["carboy", "starlette", "falcon", "bare"],
    }
    return names[protocol]
