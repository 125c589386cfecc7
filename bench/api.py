"""``python -m bench.api``: what ``carboy.ext.api`` costs per request, in-process.

The same two endpoints written three ways, timed with the HTTP benchmark's harness
(fresh environ or scope per request, batches round-robin, median of the rounds):

- ``plain``: Flask style, ``request.get_json()`` / ``request.args`` read and checked by
  hand, a dict returned;
- ``untyped``: the plain views in an app that has an ``Api``: they must cost the same
  (the extension leaves views without types untouched);
- ``typed``: pydantic models for the body, the query and the response.

``create`` is ``POST /notes`` with a JSON body (validated, serialised back without the
server-side field); ``list`` is ``GET /notes?page=2&per_page=10`` (two integers
validated, a page of notes serialised).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from bench.cases import Case
from bench.harness import Runner, Stats, Target

NOTE_IN = {"title": "Groceries", "body": "Milk, eggs, bread.", "tags": ["home"]}
NOTE = {"id": 1, **NOTE_IN}
PAGE = {"items": [NOTE] * 10, "page": 2, "per_page": 10}
CASES = {
    "create": Case(
        "create",
        "POST",
        "/notes",
        content_type="application/json",
        body=json.dumps(NOTE_IN).encode(),
        routes=0,
        status=201,
        media_type="application/json",
        json=NOTE,
    ),
    "list": Case(
        "list",
        "GET",
        "/notes",
        query="page=2&per_page=10",
        routes=0,
        media_type="application/json",
        json=PAGE,
    ),
}


def plain_app(with_api: bool) -> Any:
    from carboy import Carboy, abort, request

    app = Carboy("bench_api_plain")
    if with_api:
        from carboy.ext.api import Api

        Api(app)

    @app.post("/notes")
    def create() -> Any:
        data = request.get_json()
        if not isinstance(data, dict):
            abort(422)
        title, body, tags = data.get("title"), data.get("body", ""), data.get("tags")
        if not isinstance(title, str) or not 1 <= len(title) <= 100:
            abort(422)
        if not isinstance(body, str) or not isinstance(tags, list):
            abort(422)
        if not all(isinstance(tag, str) for tag in tags):
            abort(422)
        return {"id": 1, "title": title, "body": body, "tags": tags}, 201

    @app.get("/notes")
    def listing() -> Any:
        try:
            page = int(request.args.get("page", 1))
            per_page = int(request.args.get("per_page", 20))
        except ValueError:
            abort(422)
        if not (page >= 1 and 1 <= per_page <= 100):
            abort(422)
        return {"items": [NOTE] * per_page, "page": page, "per_page": per_page}

    return app


def typed_app() -> Any:
    from pydantic import BaseModel, Field

    from carboy import Carboy
    from carboy.ext.api import Api, Query, doc

    class NoteIn(BaseModel):
        title: str = Field(min_length=1, max_length=100)
        body: str = ""
        tags: list[str] = []

    class Note(NoteIn):
        id: int

    class Page(BaseModel):
        items: list[Note]
        page: int
        per_page: int

    class Paging(BaseModel):
        page: int = Field(default=1, ge=1)
        per_page: int = Field(default=20, ge=1, le=100)

    app = Carboy("bench_api_typed")
    Api(app)

    @doc(status=201)
    def create(note: NoteIn) -> Note:
        return Note(id=1, **note.model_dump())

    def listing(paging: Query[Paging]) -> Page:
        return Page(
            items=[NOTE] * paging.per_page,  # type: ignore[list-item]
            page=paging.page,
            per_page=paging.per_page,
        )

    # NOTE: the models are local to this function, so the views' annotations are
    # given as objects (not strings) for the API to read.
    create.__annotations__ = {"note": NoteIn, "return": Note}
    listing.__annotations__ = {"paging": Query[Paging], "return": Page}
    app.post("/notes")(create)
    app.get("/notes")(listing)
    return app


APPS = {
    "plain": lambda: plain_app(False),
    "untyped": lambda: plain_app(True),
    "typed": typed_app,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api", description=__doc__)
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--batch-ms", type=float, default=10.0)
    args = parser.parse_args(argv)
    runner = Runner()
    targets = [
        Target(protocol, name, case, make())
        for protocol in ("wsgi", "asgi")
        for name, make in APPS.items()
        for case in CASES.values()
    ]
    try:
        for target in targets:
            problem = runner.check(target)
            if problem is not None:
                print(f"{target.label}: {problem}", file=sys.stderr)
                return 1
        for target in targets:
            runner.calibrate(target, int(args.batch_ms * 1e6), 100_000)
        runner.run_rounds(targets, args.rounds)
    finally:
        runner.close()
    print("µs per request, median (IQR) -- python -m bench.api")
    print(f"{'protocol':8} {'case':7} " + " ".join(f"{n:>16}" for n in APPS))
    for protocol in ("wsgi", "asgi"):
        for case in CASES:
            cells = []
            for name in APPS:
                target = next(
                    t
                    for t in targets
                    if (t.protocol, t.framework, t.case.name) == (protocol, name, case)
                )
                stats = Stats.of(target.samples, target.batch)
                cells.append(f"{stats.median:8.1f} ({stats.iqr:4.1f})")
            print(f"{protocol:8} {case:7} " + " ".join(f"{c:>16}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
