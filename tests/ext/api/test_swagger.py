"""/docs: Swagger UI served by the app itself from swagger_ui_bundle's files; every
asset the page references is answered by the app (no CDN: it works offline)."""

from __future__ import annotations

from html.parser import HTMLParser
from urllib.parse import urljoin

import pytest

from carboy import Carboy
from carboy.ext.api import Api
from carboy.testing import CarboyClient

TYPES = {
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".png": "image/png",
}


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.data: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("src", "href"):
                self.urls.append(value)
            elif name.startswith("data-"):
                self.data[name] = value


def links(client: CarboyClient, url: str = "/docs") -> Links:
    r = client.get(url)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html; charset=utf-8"
    parser = Links()
    parser.feed(r.get_data(as_text=True))
    return parser


def test_every_asset_the_page_references_is_served(client: CarboyClient) -> None:
    page = links(client)
    assert len(page.urls) == 6
    for url in page.urls:
        assert not url.startswith(("http:", "https:", "//")), url
        r = client.get(urljoin("http://localhost/docs", url))
        assert r.status_code == 200, url
        suffix = url[url.rindex(".") :]
        assert r.headers["Content-Type"] == TYPES[suffix], url
        assert len(r.get_data()) > 100, url
    assert page.data == {"data-openapi-url": "/openapi.json"}
    assert client.get(page.data["data-openapi-url"]).status_code == 200


def bundle_is_swagger_ui_5() -> None:
    # NOTE: Swagger UI renders OpenAPI 3.1 documents from version 5 on.
    import swagger_ui_bundle  # type: ignore[import-untyped]

    path = str(swagger_ui_bundle.swagger_ui_path)
    assert "swagger-ui-5." in path, (
        f"swagger_ui_bundle serves {path}: Swagger UI before 5 cannot render OpenAPI"
        " 3.1. The dev and openapi extras install swagger-ui-bundle-v2 now: run"
        " .venv/bin/pip install -e '.[dev,bench]' again."
    )


def test_the_bundle_is_swagger_ui_5(client: CarboyClient) -> None:
    bundle_is_swagger_ui_5()
    script = client.get("/docs/carboy-swagger-init.js").get_data(as_text=True)
    assert "validatorUrl: null" in script


def test_the_page_needs_nothing_from_outside(client: CarboyClient) -> None:
    text = client.get("/docs").get_data(as_text=True)
    assert "http://" not in text and "https://" not in text
    script = client.get("/docs/carboy-swagger-init.js").get_data(as_text=True)
    assert "http://" not in script and "https://" not in script


@pytest.mark.parametrize(
    "path",
    [
        "/docs/index.j2",
        "/docs/nothing.js",
        "/docs/../pyproject.toml",
        "/docs/%2e%2e/%2e%2e/README.md",
        "/docs/vendor/x.js",
        "/docs/swagger-ui.css/x",
    ],
)
def test_only_the_bundle_files_are_served(client: CarboyClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_assets_are_cacheable(client: CarboyClient) -> None:
    r = client.get("/docs/swagger-ui.css")
    assert r.headers["Cache-Control"] == "public, max-age=86400"


def test_a_path_prefix_and_custom_urls(protocol: str) -> None:
    app = Carboy("prefixed")
    Api(app, title="A <b>", openapi_url="/spec.json", docs_url="/api/docs/")
    client = app.test_client(protocol=protocol)
    page = links(client, "/api/docs/")
    assert page.urls[0] == "/api/docs/swagger-ui.css"
    assert page.data == {"data-openapi-url": "/spec.json"}
    assert "<title>A &lt;b&gt; - Swagger UI</title>" in client.get(
        "/api/docs/"
    ).get_data(as_text=True)
    base = "http://localhost/mount/"
    assert client.get("/docs", base_url=base).status_code == 404
    r = client.get("/api/docs/", base_url=base)
    parser = Links()
    parser.feed(r.get_data(as_text=True))
    assert parser.urls[0] == "/mount/api/docs/swagger-ui.css"
    assert parser.data == {"data-openapi-url": "/mount/spec.json"}
