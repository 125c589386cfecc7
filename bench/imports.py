"""Import time of carboy and Flask, each in a fresh interpreter.

``python -X importtime -c "import NAME"`` reports the cumulative time spent importing
the package and everything it pulled in (interpreter start-up is not included). The
two packages are measured alternately, after one untimed run each (which also writes
any missing bytecode caches), and the median of the runs is reported.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys

MODULES = ("carboy", "flask")


def import_us(module: str) -> float:
    """Microseconds ``import module`` takes in a fresh interpreter."""
    # Bytecode caches are allowed (a deployed app has them): with
    # PYTHONDONTWRITEBYTECODE set, a package installed from source (carboy, editable)
    # would be compiled at every import while one installed from a wheel would not.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    if proc.returncode != 0:
        lines = proc.stderr.strip().splitlines()
        raise ImportError(lines[-1] if lines else f"import {module} failed")
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        _self, cumulative, name = line[len("import time:") :].split("|")
        # The package itself is the only unindented entry with its name.
        if name.rstrip() == " " + module:
            return float(cumulative)
    raise RuntimeError(f"no -X importtime line for {module}")


def measure(modules: tuple[str, ...] = MODULES, runs: int = 7) -> dict[str, object]:
    """Median import time per module (``None`` with the error when it fails)."""
    results: dict[str, object] = {}
    alive = []
    for module in modules:
        try:
            import_us(module)
            alive.append(module)
        except (ImportError, RuntimeError) as exc:
            results[module] = {"error": str(exc)}
    samples: dict[str, list[float]] = {module: [] for module in alive}
    for _ in range(runs):
        for module in alive:
            samples[module].append(import_us(module))
    for module in alive:
        results[module] = {
            "median_ms": statistics.median(samples[module]) / 1000,
            "min_ms": min(samples[module]) / 1000,
            "runs": runs,
        }
    return results
