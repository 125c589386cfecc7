"""Tables, target verdicts and the JSON record of a run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bench.apps import BASELINE, columns, ratios
from bench.cases import ROUTE_SCALES
from bench.harness import Stats

Key = tuple[str, str, str]  # (protocol, framework, case)

#: Thresholds printed under the tables (ratios come from the same run).
HELLO_VS_FLASK = 0.08
ASGI_VS_STARLETTE = 0.6
DEF_VS_STARLETTE_DEF = 0.5
TEMPLATE_OVERHEAD = 0.05
ROUTES_GROWTH = 1.5
UPLOAD_RSS_MB = 16.0
IMPORT_VS_FLASK = 0.5


@dataclass
class Results:
    stats: dict[Key, Stats] = field(default_factory=dict)
    cases: list[str] = field(default_factory=list)
    protocols: list[str] = field(default_factory=list)
    frameworks: list[str] = field(default_factory=list)
    #: Frameworks that could not be imported: name -> reason.
    unavailable: dict[str, str] = field(default_factory=dict)
    memory: dict[str, dict[str, Any]] = field(default_factory=dict)
    imports: dict[str, Any] = field(default_factory=dict)
    #: Targets left out because the app would take too long to build.
    skipped: list[str] = field(default_factory=list)
    #: Seconds each app took to build: (protocol, framework, routes) -> seconds.
    builds: dict[tuple[str, str, int], float] = field(default_factory=dict)

    def median(self, protocol: str, framework: str, case: str) -> float | None:
        stats = self.stats.get((protocol, framework, case))
        return None if stats is None else stats.median


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None or b == 0 else a / b


def _cell(stats: Stats | None) -> str:
    if stats is None:
        return "-"
    return f"{stats.median:.2f} ±{stats.iqr / 2:.2f}"


def _fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


def table(results: Results, protocol: str) -> str:
    """One protocol's table: per-request times and carboy's ratio to each peer."""
    names = [n for n in columns(protocol) if n in results.frameworks]
    pairs = [(a, b) for a, b in ratios(protocol) if a in names and b in names]
    header = ["case"] + names + [f"{a}/{b}" for a, b in pairs]
    rows = []
    for case in results.cases:
        cells = [case]
        for name in names:
            if name in results.unavailable:
                cells.append("n/a")
            else:
                cells.append(_cell(results.stats.get((protocol, name, case))))
        for a, b in pairs:
            mine = results.median(protocol, a, case)
            theirs = results.median(protocol, b, case)
            cells.append(_fmt_ratio(_ratio(mine, theirs)))
        rows.append(cells)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [
        f"{protocol.upper()}: microseconds per request, median ±half the interquartile"
        " range over rounds (lower is better; carboy/peer below 1 means carboy wins)"
        + (
            "; carboy: async def views, carboy-def: the same app's def views"
            " (worker thread), carboy-def-loop: def views declared non-blocking"
            " (on the loop), starlette-def: def endpoints"
            if protocol == "asgi"
            else "; carboy: def views"
        ),
        "  ".join(
            h.ljust(w) if i == 0 else h.rjust(w)
            for i, (h, w) in enumerate(zip(header, widths, strict=True))
        ),
    ]
    for row in rows:
        lines.append(
            "  ".join(
                c.ljust(w) if i == 0 else c.rjust(w)
                for i, (c, w) in enumerate(zip(row, widths, strict=True))
            )
        )
    lines.extend(_footnotes(results, protocol, names))
    return "\n".join(lines)


def _footnotes(results: Results, protocol: str, names: list[str]) -> list[str]:
    notes = []
    direct = results.stats.get((protocol, BASELINE, "template"))
    if direct is not None:
        overheads = []
        for name in names:
            mine = results.median(protocol, name, "template")
            if mine is not None:
                overheads.append(f"{name} {100 * (mine / direct.median - 1):+.1f}%")
        notes.append(
            f"template baseline ({BASELINE}, Jinja2 alone): {_cell(direct)} us; "
            "overhead over it: " + (", ".join(overheads) or "-")
        )
    first, last = f"routes-{ROUTE_SCALES[0]}", f"routes-{ROUTE_SCALES[-1]}"
    if first in results.cases:
        top = max(
            (c for c in results.cases if c.startswith("routes-")),
            key=lambda c: int(c.split("-")[1]),
        )
        growth = []
        for name in names:
            value = _ratio(
                results.median(protocol, name, top),
                results.median(protocol, name, first),
            )
            if value is not None:
                growth.append(f"{name} {value:.2f}x")
        label = top.split("-")[1]
        if growth:
            notes.append(
                f"routes-scale {label} / {ROUTE_SCALES[0]} routes: " + ", ".join(growth)
            )
        builds = [
            f"{name} {results.builds[key]:.2f} s"
            for name in names
            if (key := (protocol, name, int(label))) in results.builds
        ]
        if builds:
            notes.append(f"app build time with {label} routes: " + ", ".join(builds))
        if top != last:
            notes.append(f"({last} not measured in this mode)")
        slow = sorted(
            {s.split("/")[1] for s in results.skipped if s.startswith(protocol + "/")}
        )
        if slow:
            notes.append(
                f"{', '.join(slow)}: not built at {last} (registering that many routes "
                "takes minutes; --all-routes includes them)"
            )
    return notes


# --- Targets ---


@dataclass
class Verdict:
    target: str
    measured: str
    passed: bool | None  # None: not measured

    @property
    def mark(self) -> str:
        return {True: "PASS", False: "MISS", None: "n/a "}[self.passed]


def _every_case(
    results: Results,
    protocol: str,
    peer: str,
    limit: float,
    label: str,
    mine: str = "carboy",
) -> Verdict:
    found = {}
    for case in results.cases:
        value = _ratio(
            results.median(protocol, mine, case),
            results.median(protocol, peer, case),
        )
        if value is not None:
            found[case] = value
    if not found:
        return Verdict(label, "not measured", None)
    worst = max(found, key=found.__getitem__)
    misses = [c for c, v in found.items() if v > limit]
    measured = f"worst {worst} {found[worst]:.2f}x over {len(found)} cases"
    if misses:
        measured += "; missed: " + ", ".join(misses)
    return Verdict(label, measured, not misses)


def _single(label: str, value: float | None, limit: float, fmt: str) -> Verdict:
    if value is None:
        return Verdict(label, "not measured", None)
    return Verdict(label, fmt.format(value), value <= limit)


def verdicts(results: Results) -> list[Verdict]:
    out = [
        _every_case(
            results, "wsgi", "falcon", 1.0, "WSGI: every case carboy <= Falcon"
        ),
        _single(
            f"WSGI: hello carboy <= {HELLO_VS_FLASK} x Flask",
            _ratio(
                results.median("wsgi", "carboy", "hello"),
                results.median("wsgi", "flask", "hello"),
            ),
            HELLO_VS_FLASK,
            "{:.3f}x",
        ),
        _every_case(
            results, "asgi", "falcon", 1.0, "ASGI: every case carboy <= Falcon-ASGI"
        ),
        _every_case(
            results,
            "asgi",
            "starlette",
            ASGI_VS_STARLETTE,
            f"ASGI: every case carboy <= {ASGI_VS_STARLETTE} x Starlette",
        ),
        _every_case(
            results,
            "asgi",
            "starlette-def",
            DEF_VS_STARLETTE_DEF,
            f"ASGI def views: every case carboy-def <= {DEF_VS_STARLETTE_DEF} x "
            "Starlette def endpoints",
            mine="carboy-def",
        ),
    ]
    for protocol in ("wsgi", "asgi"):
        ratio = _ratio(
            results.median(protocol, "carboy", "template"),
            results.median(protocol, BASELINE, "template"),
        )
        out.append(
            _single(
                f"{protocol.upper()}: template overhead over {BASELINE} "
                f"< {TEMPLATE_OVERHEAD:.0%}",
                None if ratio is None else ratio - 1,
                TEMPLATE_OVERHEAD,
                "{:+.1%}",
            )
        )
    first, last = f"routes-{ROUTE_SCALES[0]}", f"routes-{ROUTE_SCALES[-1]}"
    for protocol in ("wsgi", "asgi"):
        out.append(
            _single(
                f"{protocol.upper()}: routes-scale {ROUTE_SCALES[-1]:,} <= "
                f"{ROUTES_GROWTH} x {ROUTE_SCALES[0]}",
                _ratio(
                    results.median(protocol, "carboy", last),
                    results.median(protocol, "carboy", first),
                ),
                ROUTES_GROWTH,
                "{:.2f}x",
            )
        )
    growth = results.memory.get("carboy", {}).get("growth_mb")
    out.append(
        _single(
            f"100 MB upload: carboy peak RSS growth < {UPLOAD_RSS_MB:.0f} MB",
            growth,
            UPLOAD_RSS_MB,
            "{:.1f} MB",
        )
    )
    mine = results.imports.get("carboy", {}).get("median_ms")
    theirs = results.imports.get("flask", {}).get("median_ms")
    out.append(
        _single(
            f"import carboy <= {IMPORT_VS_FLASK} x import flask",
            _ratio(mine, theirs),
            IMPORT_VS_FLASK,
            "{:.2f}x",
        )
    )
    return out


#: A cell whose interquartile range exceeds this share of its median is "noisy".
NOISY = 0.10


def summary(results: Results) -> str:
    lines = []
    noisy = [s for s in results.stats.values() if s.iqr > NOISY * s.median]
    if noisy:
        lines.append(
            f"NOTE: {len(noisy)} of {len(results.stats)} timings have an interquartile "
            f"range above {NOISY:.0%} of their median: the machine was busy, so treat "
            "small differences (and the verdicts below) with suspicion; rerun when it "
            "is quiet, or with more --rounds."
        )
    if results.memory:
        parts = [
            f"{name} {m['growth_mb']:.1f} MB in {m['seconds']:.2f} s"
            for name, m in results.memory.items()
        ]
        lines.append("100 MB multipart upload, peak RSS growth: " + ", ".join(parts))
    if results.imports:
        parts = []
        for name, data in results.imports.items():
            if "median_ms" in data:
                parts.append(f"{name} {data['median_ms']:.1f} ms")
            else:
                parts.append(f"{name} failed ({data['error']})")
        lines.append("import time (median, -X importtime): " + ", ".join(parts))
    lines.append("Targets (ratios measured in this run):")
    for verdict in verdicts(results):
        lines.append(f"  {verdict.mark}  {verdict.target}: {verdict.measured}")
    return "\n".join(lines)


def as_json(results: Results, meta: dict[str, Any]) -> dict[str, Any]:
    return {
        "meta": meta,
        "unavailable": results.unavailable,
        "skipped": results.skipped,
        "results": [
            {"protocol": p, "framework": f, "case": c, **s.as_dict()}
            for (p, f, c), s in results.stats.items()
        ],
        "memory": results.memory,
        "imports": results.imports,
        "build_seconds": [
            {"protocol": p, "framework": f, "routes": n, "seconds": round(t, 4)}
            for (p, f, n), t in results.builds.items()
        ],
        "targets": [
            {"target": v.target, "measured": v.measured, "passed": v.passed}
            for v in verdicts(results)
        ],
    }


def join(parts: Iterable[str]) -> str:
    return "\n\n".join(p for p in parts if p)
