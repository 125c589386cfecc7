"""``python -m bench.instructions``: CPU instructions per request, under callgrind.

Wall-clock timings on a shared machine vary by 2 to 5 times between runs; the number
of instructions a request executes does not. This runs one framework's cases in a child
interpreter under ``valgrind --tool=callgrind``: it builds and checks every target,
warms each up, then for each case runs an empty batch and a batch of ``--requests``
requests, each batch preceded by a marker call (``os.getppid``) before which callgrind
dumps its counters (``--dump-before``). A case's figure is its full batch minus its
empty one, per request. Each request is built and sent exactly as the timed loop of
``python -m bench`` builds and sends it (``harness.py``), so the count includes the
harness's share, the same for every framework.

Instruction counts say nothing about waiting (a worker thread's hand-off is mostly
waiting: read it with the wall-clock benchmark) and only a little about cache misses;
they are for before/after comparisons of the same case on the same interpreter.

```
python -m bench.instructions hello params --protocol asgi
python -m bench.instructions form --framework falcon --requests 1000
```
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench import apps
from bench.__main__ import build_targets, verify
from bench.cases import build_cases
from bench.harness import Runner

WARMUP = 200
MARKER = "os_getppid"  # the C function behind os.getppid(): the dump points


def child(framework: str, protocol: str, names: list[str], requests: int) -> int:
    """Build, check and warm up, then an empty and a full batch per case, each after
    a marker call."""
    cases = [c for c in build_cases() if c.name in names]
    targets, problems = build_targets(
        {framework: apps.load(framework)}, [protocol], cases
    )
    runner = Runner()
    try:
        problems += verify(runner, targets)
        if problems or len(targets) != len(names):
            print("\n".join(problems) or "no such target", file=sys.stderr)
            return 1
        for target in targets:
            runner.time_batch(target, WARMUP)
        for target in targets:
            os.getppid()
            runner.time_batch(target, 0)
            os.getppid()
            runner.time_batch(target, requests)
        os.getppid()
    finally:
        runner.close()
    return 0


_TOTALS = re.compile(r"^(?:totals|summary):\s*(\d+)", re.MULTILINE)


def count(
    framework: str, protocol: str, names: list[str], requests: int
) -> dict[str, float]:
    """Instructions per request for each case."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [
            "valgrind",
            "--tool=callgrind",
            f"--callgrind-out-file={tmp}/out",
            f"--dump-before={MARKER}",
            sys.executable,
            "-m",
            "bench.instructions",
            "--child",
            framework,
            protocol,
            str(requests),
            *names,
        ]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
        parts = sorted(
            Path(tmp).glob("out.*"), key=lambda p: int(p.name.rpartition(".")[2])
        )
        totals = []
        for part in parts:
            found = _TOTALS.search(part.read_text())
            totals.append(int(found.group(1)) if found else 0)
    # parts: [startup], then (empty, full) per case, then the rest.
    per_case = {}
    for i, name in enumerate(names):
        empty, full = totals[1 + 2 * i], totals[2 + 2 * i]
        per_case[name] = (full - empty) / requests
    return per_case


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions")
    parser.add_argument("cases", nargs="*", default=["hello"], metavar="CASE")
    parser.add_argument(
        "--framework",
        default="carboy",
        choices=[*apps.FRAMEWORKS, apps.BASELINE],
        help="a column of python -m bench, or jinja2-direct (the template case)",
    )
    parser.add_argument("--protocol", default="wsgi", choices=apps.PROTOCOLS)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        framework, protocol, requests, *names = args.child
        return child(framework, protocol, names, int(requests))
    if shutil.which("valgrind") is None:
        print("bench.instructions needs valgrind (apt-get install valgrind)")
        return 2
    # Ordered as bench.cases lists them (so the dump parts line up).
    names = [c.name for c in build_cases() if c.name in args.cases]
    unknown = set(args.cases) - set(names)
    if unknown:
        print(f"unknown case(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    per_case = count(args.framework, args.protocol, names, args.requests)
    for name, per in per_case.items():
        print(f"{args.protocol} {args.framework} {name}: {per:,.0f} instructions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
