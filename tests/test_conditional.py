"""If-Match / If-None-Match with hostile lists: the work is capped, the answer safe."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carboy import Carboy, Response, request
from carboy.sansio.http import parse_etags
from carboy.sansio.http.etags import MAX_ETAGS
from carboy.testing import CarboyClient

MANY = ", ".join(f'"{i}"' for i in range(100_000))


def test_parse_etags_reads_at_most_max_tags() -> None:
    # Counts the work instead of timing it: only the first MAX_ETAGS tags are read.
    etags = parse_etags(MANY)
    assert etags.as_set() == {str(i) for i in range(MAX_ETAGS)}
    assert parse_etags(MANY, max_tags=3).as_set() == {"0", "1", "2"}
    weak = ", ".join(f'W/"{i}"' for i in range(100_000))
    assert len(parse_etags(weak).as_set(include_weak=True)) == MAX_ETAGS


@given(st.text(), st.integers(0, 20))
def test_parse_etags_never_reads_more_than_asked(value: str, cap: int) -> None:
    etags = parse_etags(value * 30, max_tags=cap)
    assert len(etags.as_set(include_weak=True)) <= cap


@given(
    st.lists(
        st.text(
            st.characters(exclude_characters='",', exclude_categories=("Zs", "Cc"))
        ),
        max_size=300,
    )
)
def test_parse_etags_keeps_the_first_tags_in_order(tags: list[str]) -> None:
    header = ", ".join(f'"{tag}"' for tag in tags)
    assert parse_etags(header).as_set() == set(tags[:MAX_ETAGS])


@pytest.fixture
def conditional(app: Carboy, protocol: str) -> CarboyClient:
    @app.route("/", methods=["GET", "PUT"])
    def index() -> Response:
        rv = Response("body")
        rv.set_etag("99999" if request.args.get("late") else "0")
        if request.method == "PUT":
            return rv
        return rv.make_conditional(request)

    @app.put("/guarded")
    def guarded() -> tuple[str, int]:
        if not request.if_match.contains("0"):
            return "precondition failed", 412
        return "saved", 200

    return app.test_client(protocol=protocol)


def test_if_none_match_with_many_tags(conditional: CarboyClient) -> None:
    assert conditional.get("/", headers={"If-None-Match": MANY}).status_code == 304
    # The matching tag is past the cap: the full body is sent, which is always safe.
    rv = conditional.get("/?late=1", headers={"If-None-Match": MANY})
    assert rv.status_code == 200
    assert rv.data == b"body"


def test_if_match_with_many_tags(conditional: CarboyClient) -> None:
    assert conditional.put("/guarded", headers={"If-Match": MANY}).text == "saved"
    late = ", ".join(f'"{i}"' for i in range(1, 100_000)) + ', "0"'
    rv = conditional.put("/guarded", headers={"If-Match": late})
    assert rv.status_code == 412


def test_many_etags_cost_little_under_both_adapters() -> None:
    # Not timed: 400 requests with 100,000 tags each run in a child process with a
    # 60-second deadline. Capped parsing needs a few seconds; parsing every tag (about
    # 0.2 to 0.6 s a request before the cap) would need minutes.
    code = textwrap.dedent(
        """
        from carboy import Carboy, Response, request
        app = Carboy("etags")

        @app.route("/", methods=["GET", "PUT"])
        def index():
            rv = Response("x")
            rv.set_etag("99999")
            return rv.make_conditional(request)

        many = ", ".join(f'"{i}"' for i in range(100_000))
        for protocol in ("wsgi", "asgi"):
            client = app.test_client(protocol=protocol)
            for _ in range(100):
                assert client.get("/", headers={"If-None-Match": many}).status_code == 200
                assert client.get("/", headers={"If-Match": many}).status_code == 412
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
