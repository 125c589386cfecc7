"""The README's examples run as they are written."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parent.parent


def _python_blocks(path: Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.DOTALL)


def test_readme_example_runs() -> None:
    blocks = _python_blocks(ROOT / "README.md")
    assert len(blocks) == 2, "the README's app and its test client example"
    namespace: dict[str, object] = {"__name__": "readme_example"}
    exec(compile("\n".join(blocks), "README.md", "exec"), namespace)


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_quick_start_example_app(protocol: str) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from examples.hello import app
    finally:
        sys.path.remove(str(ROOT))
    client = app.test_client(protocol=protocol)
    assert client.get("/").data == b"Hello, World!"
    assert client.get("/users/7?verbose=1").json == {"id": 7, "verbose": True}
    assert client.post("/echo", json={"a": 1}).json == {"a": 1}


def test_bodies_and_files_examples_run() -> None:
    path = ROOT / "docs" / "bodies-and-files.md"
    blocks = _python_blocks(path)
    assert blocks, "docs/bodies-and-files.md shows its examples"
    for block in blocks:
        namespace: dict[str, object] = {"__name__": "bodies_example"}
        exec(compile(block, str(path), "exec"), namespace)
