"""SERVER_NAME, subdomain_matching and host_matching behave as in Flask 3.1."""

from __future__ import annotations

import pytest

from carboy import Carboy, url_for
from carboy.testing import CarboyClient


@pytest.fixture(params=["sync", "async"])
def sites(request: pytest.FixtureRequest) -> Carboy:
    """An app whose views answer with relative and external URLs of two rules."""
    app = Carboy("sites", static_folder=None)
    app.config.update(TESTING=True, SERVER_NAME="example.test")

    def urls() -> str:
        return " ".join(
            [
                url_for("index"),
                url_for("index", _external=True),
                url_for("api"),
            ]
        )

    if request.param == "async":

        @app.get("/")
        async def index() -> str:
            return urls()

        @app.get("/", subdomain="api", endpoint="api")
        async def api() -> str:
            return "api " + urls()

    else:

        @app.get("/")
        def index() -> str:
            return urls()

        @app.get("/", subdomain="api", endpoint="api")
        def api() -> str:
            return "api " + urls()

    return app


def _client(app: Carboy, protocol: str) -> CarboyClient:
    return app.test_client(protocol=protocol)


# -- subdomain_matching off (the default) -----------------------------------------------


def test_server_name_does_not_restrict_requests(sites: Carboy, protocol: str) -> None:
    client = _client(sites, protocol)
    # NOTE: Flask 3.1: without subdomain_matching, a request under another host is
    # served; absolute URLs still name SERVER_NAME.
    for base_url in ("http://other.test/", "http://example.test:8080/"):
        rv = client.get("/", base_url=base_url)
        assert rv.status_code == 200
        assert rv.data == b"/ http://example.test/ http://api.example.test/"


def test_subdomain_rules_do_not_match_without_subdomain_matching(
    sites: Carboy, protocol: str
) -> None:
    client = _client(sites, protocol)
    # The subdomain is not looked at: api.example.test is the apex rule's request.
    rv = client.get("/", base_url="http://api.example.test/")
    assert rv.data == b"/ http://example.test/ http://api.example.test/"


def test_no_server_name_uses_the_request_host(sites: Carboy, protocol: str) -> None:
    sites.config["SERVER_NAME"] = None
    rv = _client(sites, protocol).get("/", base_url="https://here.test:8443/")
    # A subdomain rule with no SERVER_NAME: the request's host is the base.
    assert rv.data == b"/ https://here.test:8443/ https://api.here.test:8443/"


# -- subdomain_matching on ---------------------------------------------------------------


def test_subdomain_matching(sites: Carboy, protocol: str) -> None:
    sites.subdomain_matching = True
    client = _client(sites, protocol)
    assert client.get("/").data == b"/ http://example.test/ http://api.example.test/"
    # From the api subdomain: its own rule is relative, the apex is absolute.
    assert client.get("/", subdomain="api").data == (
        b"api http://example.test/ http://example.test/ /"
    )
    assert client.get("/", subdomain="nope").status_code == 404


@pytest.mark.parametrize(
    "base_url",
    [
        "http://other.test/",  # another host
        "http://notexample.test/",  # ends like SERVER_NAME, is not a subdomain of it
        "http://example.test:8080/",  # another port is another server
        "https://example.test/",  # https's default port 443 is not SERVER_NAME's 80
    ],
)
def test_subdomain_matching_refuses_hosts_outside_server_name(
    sites: Carboy, protocol: str, base_url: str
) -> None:
    sites.subdomain_matching = True
    if base_url.startswith("https"):
        sites.config["SERVER_NAME"] = "example.test:80"
    assert _client(sites, protocol).get("/", base_url=base_url).status_code == 404


@pytest.mark.parametrize(
    ("server_name", "base_url", "status"),
    [
        ("example.test:80", "http://example.test/", 200),
        ("example.test:443", "https://example.test/", 200),
        ("example.test:8080", "http://example.test:8080/", 200),
        ("example.test:8080", "http://api.example.test:8080/", 200),
        ("EXAMPLE.test", "http://example.TEST/", 200),
        ("example.test:8080", "http://example.test/", 404),
    ],
)
def test_server_name_ports(
    sites: Carboy, protocol: str, server_name: str, base_url: str, status: int
) -> None:
    sites.subdomain_matching = True
    sites.config["SERVER_NAME"] = server_name
    assert _client(sites, protocol).get("/", base_url=base_url).status_code == status


def test_urls_outside_a_request(sites: Carboy) -> None:
    sites.config.update(
        SERVER_NAME="example.test:8080",
        APPLICATION_ROOT="/root",
        PREFERRED_URL_SCHEME="https",
    )
    with sites.app_context():
        assert url_for("index") == "https://example.test:8080/root/"
        assert url_for("api") == "https://api.example.test:8080/root/"
        assert url_for("index", _external=False) == "/root/"


# -- host_matching -------------------------------------------------------------------------


@pytest.fixture(params=["sync", "async"])
def hosts(request: pytest.FixtureRequest) -> Carboy:
    app = Carboy("hosts", host_matching=True, static_folder=None)
    app.config.update(TESTING=True, SERVER_NAME="ignored.test")

    if request.param == "async":

        @app.get("/", host="a.test:8080")
        async def a() -> str:
            return f"a {url_for('a')} {url_for('b', name='x')}"

    else:

        @app.get("/", host="a.test:8080")
        def a() -> str:
            return f"a {url_for('a')} {url_for('b', name='x')}"

    @app.get("/", host="<name>.b.test")
    def b(name: str) -> str:
        return f"b {name} {url_for('b', name=name)} {url_for('a')}"

    return app


def test_host_matching_matches_the_host_and_its_port(
    hosts: Carboy, protocol: str
) -> None:
    client = _client(hosts, protocol)
    assert client.get("/", base_url="http://a.test:8080/").data == (
        b"a / http://x.b.test/"
    )
    assert client.get("/", base_url="http://y.b.test/").data == (
        b"b y / http://a.test:8080/"
    )
    # A default port is no port.
    assert client.get("/", base_url="http://y.b.test:80/").data == (
        b"b y / http://a.test:8080/"
    )
    for base_url in ("http://a.test/", "http://y.b.test:81/", "http://ignored.test/"):
        assert client.get("/", base_url=base_url).status_code == 404


def test_a_variable_subdomain_does_not_match_a_foreign_host(protocol: str) -> None:
    app = Carboy("variable_sub", static_folder=None, subdomain_matching=True)
    app.config["SERVER_NAME"] = "example.test"

    @app.get("/", subdomain="<user>")
    def profile(user: str) -> str:
        return user

    client = _client(app, protocol)
    assert client.get("/", subdomain="ada").data == b"ada"
    # Flask would call the view with user="<invalid>"; carboy answers 404.
    rv = client.get("/", base_url="http://elsewhere.test/")
    assert rv.status_code == 404
