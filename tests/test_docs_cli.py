"""docs/cli.md: every Python block runs, top to bottom, as one program."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_cli_page_examples_run() -> None:
    text = (ROOT / "docs" / "cli.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 5
    namespace: dict[str, object] = {"__name__": "docs_cli"}
    exec(compile("\n".join(blocks), "docs/cli.md", "exec"), namespace)
