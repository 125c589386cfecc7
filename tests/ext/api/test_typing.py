"""The API from the user's chair: ``user_program.py`` passes ``mypy --strict``, and
``Query[int]`` is an ``int`` to mypy (a wrong default is an error)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).parent


def mypy(tmp_path: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary",
         "--cache-dir", str(tmp_path / "cache"), *map(str, files)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip


def test_a_typed_user_program_passes_mypy(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from carboy.ext.api import Query\n"
        "def view(page: Query[int] = 'x') -> None:\n"
        "    text: str = page\n"
    )
    good = mypy(tmp_path, HERE / "user_program.py")
    assert (good.returncode, good.stdout) == (0, "")
    wrong = mypy(tmp_path, bad)
    assert wrong.returncode == 1
    assert wrong.stdout.count("error:") == 2
    assert 'default has type "str", parameter has type "int"' in wrong.stdout
