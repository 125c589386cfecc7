"""The application-factory pattern: create_app() reads config and registers blueprints."""

from __future__ import annotations

import pytest

from carboy import Carboy
from carboy.testing import CarboyClient
from factoryapp import create_app


@pytest.fixture
def app() -> Carboy:
    return create_app({"TESTING": True, "GREETING": "Welcome"})


def test_config(app: Carboy) -> None:
    assert app.testing
    assert app.config["GREETING"] == "Welcome"
    assert app.config["SECRET_KEY"] == "dev"
    assert not create_app().testing


def test_independent_apps_share_blueprints() -> None:
    first = create_app({"TESTING": True, "GREETING": "one"})
    second = create_app({"TESTING": True, "GREETING": "two"})
    assert first.blueprints["auth"] is second.blueprints["auth"]
    for app, greeting in ((first, "one"), (second, "two")):
        with app.test_client() as client:
            client.post("/auth/login", data={"username": "ann"})
            rv = client.get("/")
            assert (
                rv.get_data(as_text=True)
                == f"index user=ann login=/auth/login|{greeting}, ann;"
            )


def test_login_flow(client: CarboyClient) -> None:
    assert (
        client.get("/auth/login").get_data(as_text=True)
        == "<form method=post>Welcome</form>|"
    )
    rv = client.post("/auth/login", data={"username": "bob"}, follow_redirects=True)
    assert rv.get_data(as_text=True) == "index user=bob login=/auth/login|Welcome, bob;"
    assert rv.history[0].headers["Location"] == "/"
    assert client.get("/").get_data(as_text=True) == "index user=bob login=/auth/login|"
    client.get("/auth/logout")
    assert (
        client.get("/").get_data(as_text=True) == "index user=None login=/auth/login|"
    )
