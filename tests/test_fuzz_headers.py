"""A bounded fuzz of routing and the conditional, range and cache headers, run through
both adapters on the same generated requests: never a 5xx, no leaked file descriptor,
the same answer from WSGI and ASGI.

It runs for seconds by default; ``CARBOY_FUZZ_EXAMPLES=5000 pytest
tests/test_fuzz_headers.py`` runs it for longer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carboy import Carboy, Response, request, send_file

EXAMPLES = int(os.environ.get("CARBOY_FUZZ_EXAMPLES", "80"))
DATA = bytes(range(256)) * 4


def make_app(root: Path) -> Carboy:
    (root / "data.bin").write_bytes(DATA)
    app = Carboy("fuzz_headers", root_path=str(root), static_folder=None)
    app.config.update(TESTING=False, SECRET_KEY="fuzz")

    @app.get("/")
    def index() -> Response:
        rv = Response("hello")
        rv.set_etag("v1")
        rv.last_modified = 1_700_000_000
        return rv.make_conditional(request)

    @app.get("/file")
    def file() -> Any:
        return send_file("data.bin", download_name=request.args.get("name"))

    @app.get("/dir/")
    def directory() -> str:
        return "dir"

    @app.get("/i/<int:n>")
    def integer(n: int) -> str:
        return str(n)

    @app.get("/f/<float:x>")
    def number(x: float) -> str:
        return repr(x)

    @app.get("/<path:p>")
    def catch_all(p: str) -> str:
        return p

    @app.get("/inspect")
    def inspect() -> dict[str, Any]:
        cc = request.cache_control
        rng = request.range
        return {
            "cc": [cc.max_age, cc.no_cache, cc.max_stale, sorted(cc)],
            "if_match": sorted(request.if_match.as_set(include_weak=True)),
            "if_none_match": [
                request.if_none_match.is_any,
                sorted(request.if_none_match.as_set(include_weak=True)),
            ],
            "dates": [str(request.if_modified_since), str(request.if_unmodified_since)],
            "range": None if rng is None else rng.ranges,
            "if_range": [request.if_range.etag, str(request.if_range.date)],
            "pragma": sorted(request.pragma.as_set()),
            "auth": None
            if request.authorization is None
            else request.authorization.type,
        }

    return app


HEADER_CHARS = st.characters(min_codepoint=0x20, max_codepoint=0x7E) | st.sampled_from(
    ["\t", "é", "W", "/", '"', ",", "*", "-", "=", ";"]
)
STRUCTURED = st.sampled_from(
    [
        '"v1"',
        'W/"v1"',
        '"other", "v1"',
        "*",
        "v1",
        'W/"',
        ", ,",
        "Wed, 15 Nov 2023 22:13:20 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "bytes=0-9",
        "bytes=-5",
        "bytes=1000-",
        "bytes=5-1",
        "bytes=0-1,3-4",
        "max-age=0, no-cache",
        'no-cache="a, b", max-stale',
        "Basic YWRhOnNlY3JldA==",
        "Bearer abc",
        'Digest realm="r", nonce=',
    ]
)
VALUE = st.one_of(STRUCTURED, st.text(HEADER_CHARS, max_size=40))
HEADER_NAMES = st.sampled_from(
    [
        "If-Match",
        "If-None-Match",
        "If-Modified-Since",
        "If-Unmodified-Since",
        "If-Range",
        "Range",
        "Cache-Control",
        "Pragma",
        "Authorization",
    ]
)
PATHS = st.one_of(
    st.sampled_from(
        [
            "/",
            "/file",
            "/dir",
            "/dir/",
            "/inspect",
            "/i/12",
            "/f/1.5",
            "/f/" + "9" * 400 + ".0",
        ]
    ),
    st.lists(
        st.sampled_from(["dir", "i", "f", "1.5", "12", "x", "", "%2e%2e", "é"]),
        min_size=1,
        max_size=4,
    ).map(lambda parts: "/" + "/".join(parts)),
)
NAMES = st.one_of(
    st.none(), st.sampled_from(["a.txt", "data:text/html,x", "x\r\n.html"])
)


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory: pytest.TempPathFactory) -> Carboy:
    return make_app(tmp_path_factory.mktemp("fuzz"))


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def answer(rv: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = sorted(
        (k.lower(), v) for k, v in rv.headers.items() if k.lower() != "date"
    )
    return rv.status_code, headers, rv.data


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    path=PATHS,
    headers=st.dictionaries(HEADER_NAMES, VALUE, max_size=4),
    name=NAMES,
)
def test_both_adapters_agree_and_never_fail(
    fuzz_app: Carboy, path: str, headers: dict[str, str], name: str | None
) -> None:
    query = {"name": name} if name is not None and path == "/file" else None
    answers = []
    before = open_fds()
    for protocol in ("wsgi", "asgi"):
        client = fuzz_app.test_client(protocol=protocol)
        rv = client.get(path, headers=headers, query_string=query)
        assert rv.status_code < 500, (protocol, path, headers, rv.data[:300])
        answers.append(answer(rv))
        rv.close()
    assert answers[0] == answers[1], (path, headers)
    assert open_fds() == before
