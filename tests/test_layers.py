"""The layering rule: imports point from adapters to the app layer to routing to
sans-IO to exceptions, never back. Each layer is imported in a fresh interpreter and
must not pull in a layer above it."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

APP_LAYER = {
    "carboy.app",
    "carboy.app_requests",
    "carboy.app_responses",
    "carboy.app_templates",
    "carboy.app_urls",
    "carboy.blueprints",
    "carboy.ctx",
    "carboy.dispatch",
    "carboy.sessions",
    "carboy.templating",
    "carboy.helpers",
    "carboy.wrappers",
    "carboy.bridge",
    "carboy.jinja",
    "carboy.files",
}
ADAPTERS = {
    "carboy.wsgi",
    "carboy.asgi",
    "carboy.websockets",
    "carboy.testing",
    "carboy.testing_ws",
    "carboy.testing_requests",
    "carboy.serving",
    "carboy.cli",
    "carboy.debug",
}
ROUTING = {"carboy.routing"}
SANSIO = {"carboy.sansio"}

CASES = [
    ("carboy.exceptions", SANSIO | ROUTING | APP_LAYER | ADAPTERS),
    ("carboy.sansio.request", ROUTING | APP_LAYER | ADAPTERS),
    ("carboy.sansio.response", ROUTING | APP_LAYER | ADAPTERS),
    ("carboy.sansio.forms", ROUTING | APP_LAYER | ADAPTERS),
    ("carboy.routing", APP_LAYER | ADAPTERS),
    ("carboy.app", ADAPTERS),
    # Middleware wraps an app from outside: it needs none of the framework's layers.
    ("carboy.middleware.proxy_fix", SANSIO | ROUTING | APP_LAYER | ADAPTERS),
]


# The package's __init__ re-exports everything, so it is replaced by a bare package
# object: only what ``module`` itself imports gets loaded.
_PRELUDE = """
import importlib, importlib.util, json, sys, types
spec = importlib.util.find_spec("carboy")
pkg = types.ModuleType("carboy")
pkg.__path__ = list(spec.submodule_search_locations)
sys.modules["carboy"] = pkg
"""


def _loaded(module: str) -> set[str]:
    code = _PRELUDE + (
        f"importlib.import_module({module!r}); print(json.dumps(sorted(sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(json.loads(out))


@pytest.mark.parametrize(("module", "forbidden"), CASES)
def test_layer_imports_nothing_above_it(module: str, forbidden: set[str]) -> None:
    loaded = _loaded(module)
    above = {
        name
        for name in loaded
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    }
    assert not above, f"{module} imports {sorted(above)}"


@pytest.mark.parametrize(
    "module", ["carboy.sansio.request", "carboy.sansio.forms", "carboy.routing"]
)
def test_sans_io_layers_never_import_io_frameworks(module: str) -> None:
    top_level = {name.partition(".")[0] for name in _loaded(module)}
    assert not {"asyncio", "uvicorn", "werkzeug", "flask", "starlette"} & top_level


def test_import_carboy_loads_no_tool_and_no_click() -> None:
    code = "import carboy, json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    assert not {"click", "uvicorn", "dotenv", "carboy.cli", "carboy.debug"} & loaded
