"""Routing through the app, under both adapters: slash redirects and float limits."""

from __future__ import annotations

import pytest

from carboy import Carboy
from carboy.testing import CarboyClient


@pytest.fixture
def routed(app: Carboy, protocol: str) -> CarboyClient:
    @app.get("/dir/")
    def directory() -> str:
        return "dir"

    @app.get("/<path:p>")
    def catch_all(p: str) -> str:
        return f"catch {p}"

    @app.get("/f/<float:x>")
    def number(x: float) -> str:
        return repr(x)

    @app.get("/s/<float(signed=True):x>.json")
    def signed(x: float) -> str:
        return repr(x)

    return app.test_client(protocol=protocol)


def test_dir_redirects_to_slash_even_with_a_catch_all(routed: CarboyClient) -> None:
    rv = routed.get("/dir")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "./dir/"
    assert routed.get("/dir", follow_redirects=True).text == "dir"
    assert routed.get("/dir/").text == "dir"
    assert routed.get("/other").text == "catch other"


def test_redirect_keeps_the_query_string(routed: CarboyClient) -> None:
    rv = routed.get("/dir?a=1&b=%20")
    assert rv.status_code == 308
    assert rv.headers["Location"] == "./dir/?a=1&b=%20"


def test_float_never_matches_non_finite(app: Carboy, protocol: str) -> None:
    @app.get("/f/<float:x>")
    def number(x: float) -> str:
        return repr(x)

    @app.get("/s/<float(signed=True):x>.json")
    def signed(x: float) -> str:
        return repr(x)

    client = app.test_client(protocol=protocol)
    huge = "9" * 5000 + ".0"
    assert client.get(f"/f/{huge}").status_code == 404
    assert client.get(f"/s/-{huge}.json").status_code == 404
    assert client.get("/f/inf").status_code == 404
    assert client.get("/f/nan").status_code == 404
    assert client.get("/f/1.5").text == "1.5"
    assert client.get("/s/-2.25.json").text == "-2.25"


def test_huge_float_falls_through_to_the_catch_all(routed: CarboyClient) -> None:
    huge = "9" * 5000 + ".0"
    rv = routed.get(f"/f/{huge}")
    assert rv.status_code == 200
    assert rv.text == f"catch f/{huge}"
