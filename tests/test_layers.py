"""The layering rule, checked on the source: imports point from tools to the
application to the adapters to the runtime to routing to sans-IO to exceptions, never
back. Every ``import`` statement of every module counts, at module level or inside a
function, except those under ``if TYPE_CHECKING:`` (they never run). An import that
must point upward is listed in ``UPWARD`` with the reason."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).parent.parent / "src" / "carboy"

#: Lowest first. A module may import its own layer and the layers before it.
LAYERS: list[tuple[str, set[str]]] = [
    ("exceptions", {"carboy.exceptions"}),
    ("sans-IO", {"carboy.sansio", "carboy.types", "carboy.datastructures"}),
    ("routing", {"carboy.routing"}),
    (
        "runtime",
        {
            "carboy.signals",
            "carboy.config",
            "carboy.json",
            "carboy.ctx",
            "carboy.globals",
            "carboy.bridge",
            "carboy.dispatch",
            "carboy.wrappers",
            "carboy.sessions",
            "carboy.logging",
            "carboy.templating",
            "carboy.jinja",
            "carboy.helpers",
            "carboy.files",
            "carboy.security",
        },
    ),
    (
        "adapters",
        {
            "carboy.wsgi",
            "carboy.asgi",
            "carboy.asgi_body",
            "carboy.websockets",
            "carboy.middleware",
        },
    ),
    (
        "application",
        {
            "carboy.app",
            "carboy.app_requests",
            "carboy.app_responses",
            "carboy.app_templates",
            "carboy.app_urls",
            "carboy.scaffold",
            "carboy.blueprints",
            "carboy.views",
        },
    ),
    (
        "tools",
        {
            "carboy",
            "carboy.testing",
            "carboy.testing_ws",
            "carboy.testing_requests",
            "carboy.serving",
            "carboy.cli",
            "carboy.debug",
            "carboy.ext",
        },
    ),
]

#: (importer, imported) -> why this import points to a higher layer.
UPWARD: dict[tuple[str, str], str] = {
    ("carboy.app", "carboy.testing"): (
        "app.test_client() and app.test_request_context() are the test tools offered"
        " as methods; imported at that call, and testing never imports the app module"
    ),
    ("carboy.app", "carboy.cli"): (
        "app.cli (the click group of the app's commands) is made on first use, so"
        " import carboy never loads click"
    ),
    ("carboy.scaffold", "carboy.cli"): (
        "app.cli and bp.cli (AppGroup) are made on first use, as for the app"
    ),
    ("carboy.app", "carboy.serving"): (
        "app.run() starts the development server; imported at that call"
    ),
    ("carboy.exceptions", "carboy.sansio.http"): (
        "HTTPException.name reads the reason-phrase table at its first use; the"
        " table is plain data, and nothing of sans-IO imports back at that point"
    ),
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _layer(module: str) -> int:
    best = -1
    best_len = -1
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(
                prefix
            ) > best_len:
                best, best_len = index, len(prefix)
    if best < 0:
        raise AssertionError(f"{module} is in no layer: add it to LAYERS")
    return best


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(path: Path, module: str) -> set[str]:
    """Every carboy module ``module`` imports when it runs (any depth of nesting)."""
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "carboy")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "carboy":
                if node.module is None:  # from . import signals
                    found.update(f"{target}.{a.name}" for a in node.names)
                else:
                    found.add(target)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph() -> dict[str, set[str]]:
    return {
        _module_name(path): _imports(path, _module_name(path))
        for path in sorted(SRC.rglob("*.py"))
    }


def _upward() -> set[tuple[str, str]]:
    edges = set()
    for importer, imported in _graph().items():
        for target in imported:
            if _layer(target) > _layer(importer):
                edges.add((importer, target))
    return edges


def test_every_module_has_a_layer() -> None:
    for module in _graph():
        _layer(module)


def test_no_import_points_up_unless_listed() -> None:
    unlisted = sorted(_upward() - set(UPWARD))
    assert not unlisted, "imports that point to a higher layer: " + ", ".join(
        f"{a} -> {b}" for a, b in unlisted
    )


def test_every_listed_exception_is_still_needed() -> None:
    assert not set(UPWARD) - _upward()


def test_the_checker_sees_function_level_imports(tmp_path: Path) -> None:
    path = tmp_path / "mod.py"
    path.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from .app import Carboy\n"
        "def f():\n    from .asgi import asgi_app\n    import carboy.cli\n"
    )
    assert _imports(path, "carboy.mod") == {"carboy.asgi", "carboy.cli"}


def test_middleware_needs_no_framework_layer() -> None:
    """Middleware wraps an app from outside: it imports nothing else of carboy but
    the protocol types."""
    for module, imported in _graph().items():
        if module.startswith("carboy.middleware"):
            others = {m for m in imported if not m.startswith("carboy.middleware")}
            assert others <= {"carboy.types"}, (module, others)


@pytest.mark.parametrize(
    "module", ["carboy.sansio.request", "carboy.sansio.forms", "carboy.routing"]
)
def test_sans_io_layers_never_import_io_frameworks(module: str) -> None:
    forbidden = {"asyncio", "uvicorn", "werkzeug", "flask", "starlette", "threading"}
    paths = [
        p
        for p in SRC.rglob("*.py")
        if _module_name(p) == module or _module_name(p).startswith(module + ".")
    ]
    assert paths
    for path in paths:
        tree = ast.parse(path.read_text())
        names = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and not node.level
        }
        assert not names & forbidden, (path, names & forbidden)


def test_import_carboy_loads_no_tool_and_no_click() -> None:
    code = "import carboy, json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    assert not {"click", "uvicorn", "dotenv", "carboy.cli", "carboy.debug"} & loaded
