"""The batteries stay optional: ``import carboy`` loads none of them (nor their
libraries), and nothing in the framework imports ``carboy.ext``."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

SRC = Path(__file__).parent.parent.parent / "src" / "carboy"


def test_import_carboy_loads_no_battery() -> None:
    code = "import carboy, json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    loaded = set(json.loads(out))
    assert not {m for m in loaded if m.startswith("carboy.ext")}
    assert "carboy.security" not in loaded
    assert not {m for m in loaded if m.split(".")[0] == "wtforms"}
    assert not {
        m
        for m in loaded
        if m.split(".")[0] in {"sqlalchemy", "alembic", "aiosqlite", "psycopg"}
    }


def test_nothing_outside_ext_imports_ext() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if "ext" in path.relative_to(SRC).parts[:-1]:
            continue  # ext/ and its packages (ext/sqlalchemy/)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                target = ("." * node.level) + (node.module or "")
                if target.lstrip(".").startswith("ext") or "carboy.ext" in target:
                    offenders.append(f"{path.name}: {target}")
            elif isinstance(node, ast.Import):
                offenders += [
                    f"{path.name}: {a.name}"
                    for a in node.names
                    if a.name.startswith("carboy.ext")
                ]
    assert offenders == []
