"""``python -m bench.metrics``: what ``carboy.ext.metrics`` costs per request.

The benchmark's own carboy app (``bench/apps/carboy_app.py``: ``def`` views under WSGI,
``async def`` views under ASGI) is built twice per protocol, once as it is and once with
``PrometheusMetrics(app)``, and both answer the same requests (``hello``, ``params``,
``json``, ``notfound``) the way ``python -m bench`` times them (``bench/harness.py``):
in-process, a fresh environ or scope per request, checked before timing, batches run
round-robin in a shuffled order. The table gives the median per-request time of each
(and the fastest round's, steadier on a busy machine), and what the metrics add.

The metrics app counts into its own registry; nothing is scraped while timing.
"""

from __future__ import annotations

import argparse
import gc
import sys
from typing import Any

from bench.apps import carboy_app
from bench.cases import DEFAULT_ROUTES, build_cases
from bench.harness import Runner, Stats, Target

CASES = ("hello", "params", "json", "notfound")


def build(protocol: str, with_metrics: bool) -> Any:
    app = carboy_app.build(protocol, DEFAULT_ROUTES)
    if with_metrics:
        from carboy.ext.metrics import PrometheusMetrics

        PrometheusMetrics(app)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.metrics", description=__doc__
    )
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--batch-ms", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="10 rounds of ~4 ms")
    parser.add_argument("--protocol", choices=("wsgi", "asgi"), action="append")
    args = parser.parse_args(argv)
    rounds, batch_ms = (10, 4.0) if args.quick else (args.rounds, args.batch_ms)
    protocols = args.protocol or ["wsgi", "asgi"]
    cases = [c for c in build_cases(quick=True) if c.name in CASES]

    runner = Runner()
    targets: list[Target] = []
    try:
        for protocol in protocols:
            apps = {flag: build(protocol, flag) for flag in (False, True)}
            for case in cases:
                for flag, app in apps.items():
                    name = "metrics" if flag else "plain"
                    targets.append(Target(protocol, name, case, app))
        failed = False
        for target in targets:
            problem = runner.check(target)
            if problem is not None:
                print(f"{target.label}: {problem}", file=sys.stderr)
                failed = True
        if failed:
            return 1
        gc.freeze()  # the apps are built: collections walk only what requests make
        for target in targets:
            runner.calibrate(target, int(batch_ms * 1_000_000), 100_000)
        runner.run_rounds(targets, rounds)
    finally:
        gc.unfreeze()  # NOTE: frozen objects are invisible to gc.get_referrers()
        runner.close()

    stats = {
        (t.protocol, t.framework, t.case.name): Stats.of(t.samples, t.batch)
        for t in targets
    }
    print(
        f"carboy.ext.metrics overhead, µs per request: median of {rounds} rounds"
        " (fastest round in brackets)\n"
    )
    print("| protocol | case | without metrics | with metrics | added |")
    print("|---|---|---|---|---|")
    for protocol in protocols:
        for case in cases:
            plain = stats[(protocol, "plain", case.name)]
            counted = stats[(protocol, "metrics", case.name)]
            print(
                f"| {protocol} | {case.name} "
                f"| {plain.median:.1f} ({plain.min:.1f}) "
                f"| {counted.median:.1f} ({counted.min:.1f}) "
                f"| {counted.median - plain.median:+.1f} "
                f"({counted.min - plain.min:+.1f}) |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
