"""``python -m bench``: carboy's benchmark against its peers (see bench/README.md)."""

from __future__ import annotations

import argparse
import cProfile
import datetime
import gc
import json
import platform
import pstats
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import apps, e2e, imports, memory, report
from bench.cases import CASE_SELECTORS, Case, build_cases
from bench.harness import Runner, Stats, Target

EXTRAS = ("upload-rss", "import-time")
UPLOAD_MB = 100


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Per-request time of carboy and its peers, in-process.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="fewer rounds, shorter batches, no 10,000-route case, no 100 MB upload",
    )
    parser.add_argument(
        "--case",
        action="append",
        choices=CASE_SELECTORS + EXTRAS,
        metavar="NAME",
        help=f"run only this case (repeatable): {', '.join(CASE_SELECTORS + EXTRAS)}",
    )
    parser.add_argument(
        "--framework",
        action="append",
        choices=list(apps.FRAMEWORKS),
        metavar="NAME",
        help=f"run only this framework (repeatable): {', '.join(apps.FRAMEWORKS)}",
    )
    parser.add_argument(
        "--protocol",
        action="append",
        choices=apps.PROTOCOLS,
        help="run only this protocol (repeatable)",
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="write all numbers")
    parser.add_argument(
        "--profile",
        metavar="CASE",
        help="profile carboy's CASE (e.g. hello, routes-1000) under cProfile "
        "(WSGI unless --protocol asgi) and print the top functions",
    )
    parser.add_argument(
        "--all-routes",
        action="store_true",
        help="also build Bottle's and Falcon's 10,000-route apps (minutes each: "
        "their route registration is quadratic)",
    )
    parser.add_argument(
        "--rounds", type=int, help="rounds (default 25, quick 10, e2e 3)"
    )
    e2e.add_arguments(parser)
    parser.add_argument(
        "--batch-ms", type=float, help="target batch length in ms (default 10, quick 4)"
    )
    return parser


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _select_cases(args: argparse.Namespace) -> list[Case]:
    cases = build_cases(quick=args.quick)
    if args.case:
        cases = [c for c in cases if c.selector in args.case]
    return cases


def _load(names: list[str], results: report.Results) -> dict[str, Any]:
    modules = {}
    for name in names:
        try:
            modules[name] = apps.load(name)
        except Exception as exc:  # any import failure: report it, go on
            results.unavailable[name] = f"{type(exc).__name__}: {exc}"
            _log(f"{name}: unavailable ({results.unavailable[name]}); continuing")
    return modules


def build_targets(
    modules: dict[str, Any],
    protocols: list[str],
    cases: list[Case],
    build_seconds: dict[tuple[str, str, int], float] | None = None,
    *,
    all_routes: bool = True,
    skipped: list[str] | None = None,
) -> tuple[list[Target], list[str]]:
    """One target per framework x protocol x case (apps shared per route count).

    Returns the targets and the problems (apps whose construction crashed); the time
    each app took to build goes into ``build_seconds`` when given. Unless
    ``all_routes``, route counts above a module's ``MAX_ROUTES`` are left out (and
    named in ``skipped``).
    """
    targets: list[Target] = []
    problems: list[str] = []
    for name, module in modules.items():
        baseline = name == apps.BASELINE
        unsupported = getattr(module, "UNSUPPORTED", frozenset())
        max_routes = None if all_routes else getattr(module, "MAX_ROUTES", None)
        for protocol in protocols:
            if protocol not in module.PROTOCOLS:
                continue
            built: dict[int, Any] = {}
            for case in cases:
                if baseline and case.name != module.ONLY:
                    continue
                if case.selector in unsupported:
                    continue
                if max_routes is not None and case.routes > max_routes:
                    if skipped is not None:
                        skipped.append(f"{protocol}/{name}/{case.name}")
                    continue
                if case.routes not in built:
                    began = time.perf_counter()
                    try:
                        built[case.routes] = module.build(protocol, case.routes)
                    except Exception as exc:
                        problems.append(
                            f"{protocol}/{name}: building the app with {case.routes} "
                            f"routes crashed: {type(exc).__name__}: {exc}"
                        )
                        break
                if build_seconds is not None:
                    key = (protocol, name, case.routes)
                    build_seconds[key] = time.perf_counter() - began
                app = built[case.routes]
                targets.append(Target(protocol, name, case, app, baseline=baseline))
    return targets, problems


def verify(runner: Runner, targets: list[Target]) -> list[str]:
    """Check every target's response; return the problems (empty when all correct)."""
    problems = []
    for target in targets:
        problem = runner.check(target)
        if problem is not None:
            problems.append(f"{target.label}: {problem}")
    return problems


def _fail(problems: list[str]) -> int:
    _log("\nINCORRECT RESPONSES (nothing was timed):")
    for problem in problems:
        _log("  - " + problem.replace("\n", "\n    "))
    _log(f"bench: {len(problems)} incorrect response(s) or crash(es); failing.")
    return 1


def profile(args: argparse.Namespace) -> int:
    cases = [c for c in build_cases() if c.name == args.profile]
    if not cases:
        names = ", ".join(c.name for c in build_cases())
        _log(f"bench: unknown case {args.profile!r}; choose one of: {names}")
        return 2
    protocol = (args.protocol or ["wsgi"])[0]
    results = report.Results()
    modules = _load(["carboy"], results)
    if not modules:
        _log("bench: cannot profile: carboy is unavailable")
        return 1
    targets, problems = build_targets(modules, [protocol], cases)
    runner = Runner()
    try:
        problems += verify(runner, targets)
        if problems:
            return _fail(problems)
        target = targets[0]
        runner.calibrate(target, 1_000_000_000, 1_000_000)  # about one second
        profiler = cProfile.Profile()
        profiler.enable()
        runner.time_batch(target, target.batch)
        profiler.disable()
    finally:
        runner.close()
    print(f"carboy {protocol} {target.case.name}: {target.batch} requests profiled")
    for order in ("cumulative", "tottime"):
        print(f"\n--- top 25 by {order} ---")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats(order).print_stats(25)
    return 0


def _meta(args: argparse.Namespace, rounds: int, batch_ms: float) -> dict[str, Any]:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = None
    return {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit,
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "quick": args.quick,
        "rounds": rounds,
        "batch_ms": batch_ms,
    }


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.e2e or args.profile:
        return e2e.main(args) if args.e2e else profile(args)
    started = time.perf_counter()
    rounds = args.rounds or (10 if args.quick else 25)
    batch_ms = args.batch_ms or (4.0 if args.quick else 10.0)
    max_batch = 2000
    names = args.framework or list(apps.FRAMEWORKS)
    protocols = args.protocol or list(apps.PROTOCOLS)
    cases = _select_cases(args)

    results = report.Results(
        cases=[c.name for c in cases], protocols=protocols, frameworks=names
    )
    modules = _load(names, results)
    if any(c.name == "template" for c in cases):
        modules.update(_load([apps.BASELINE], results))

    _log(f"building apps ({len(cases)} cases, {', '.join(protocols)})...")
    targets, problems = build_targets(
        modules,
        protocols,
        cases,
        results.builds,
        all_routes=args.all_routes,
        skipped=results.skipped,
    )
    runner = Runner()
    try:
        _log(f"checking {len(targets)} responses...")
        problems += verify(runner, targets)
        if problems:
            return _fail(problems)
        gc.collect()
        gc.freeze()
        _log("calibrating...")
        for target in targets:
            runner.calibrate(target, int(batch_ms * 1e6), max_batch)
        _log(f"timing {rounds} rounds of {len(targets)} batches...")
        runner.run_rounds(
            targets,
            rounds,
            lambda n: _log(f"  round {n}/{rounds}") if n % 5 == 0 else None,
        )
    finally:
        runner.close()
        gc.unfreeze()
    for target in targets:
        key = (target.protocol, target.framework, target.case.name)
        results.stats[key] = Stats.of(target.samples, target.batch)

    extras = set(args.case or EXTRAS)
    if "upload-rss" in extras and not args.quick:
        for name in memory.FRAMEWORKS:
            if name not in modules:
                continue
            _log(f"uploading {UPLOAD_MB} MB to {name} in a fresh process...")
            measured, problem = memory.run(name, UPLOAD_MB)
            if problem is not None:
                return _fail([f"upload-rss/{name}: {problem}"])
            assert measured is not None
            results.memory[name] = measured
    if "import-time" in extras:
        wanted = tuple(m for m in imports.MODULES if m in modules)
        if wanted:
            _log(f"timing imports of {', '.join(wanted)}...")
            results.imports = imports.measure(wanted, runs=5 if args.quick else 9)

    print(
        report.join(
            [report.table(results, p) for p in protocols] + [report.summary(results)]
        )
    )
    if args.json:
        args.json.write_text(
            json.dumps(report.as_json(results, _meta(args, rounds, batch_ms)), indent=1)
        )
        _log(f"wrote {args.json}")
    _log(f"done in {time.perf_counter() - started:.0f} s")
    if "carboy" in results.unavailable:
        _log(
            "bench: carboy could not be imported "
            f"({results.unavailable['carboy']}); the numbers above are peers only. "
            "Failing, because the benchmark exists to measure carboy "
            "(use --framework to leave it out on purpose)."
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
