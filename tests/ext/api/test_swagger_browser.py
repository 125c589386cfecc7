"""/docs in a real browser: headless Chromium loads Swagger UI from the app over
HTTP on 127.0.0.1 and renders every operation of the OpenAPI 3.1 document, with every
other host unreachable and no request leaving the app.

Needs ``chromium`` and ``chromedriver`` (Debian's chromium and chromium-driver, which
``.ci/run`` installs): skipped without them, except under CI, where it fails.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from .shop import make_app
from .test_swagger import bundle_is_swagger_ui_5

pytestmark = pytest.mark.server


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def served() -> Iterator[tuple[str, list[str]]]:
    """The shop app on a free 127.0.0.1 port (a thread of this process), and the
    paths it was asked for."""
    app = make_app("def")
    asked: list[str] = []

    def recording(environ: dict[str, Any], start_response: Any) -> Any:
        asked.append(environ["PATH_INFO"])
        return app.wsgi_app(environ, start_response)

    server: WSGIServer = make_server(
        "127.0.0.1", 0, recording, handler_class=_QuietHandler
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def _browser() -> Any:
    chromium = shutil.which("chromium")
    driver = shutil.which("chromedriver")
    if chromium is None or driver is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium and chromedriver are needed under CI (.ci/run)")
        pytest.skip("chromium and chromedriver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        # NOTE: every host but 127.0.0.1 is unreachable: what the page needs from a
        # CDN would fail to load.
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    return webdriver.Chrome(options=options, service=Service(driver))


def test_swagger_ui_renders_the_document_offline(
    served: tuple[str, list[str]],
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    base, asked = served
    bundle_is_swagger_ui_5()
    browser = _browser()
    try:
        browser.set_page_load_timeout(60)
        browser.get(base + "/docs")
        WebDriverWait(browser, 60).until(
            lambda b: len(b.find_elements(By.CSS_SELECTOR, ".opblock")) >= 9
        )
        blocks = browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
        shown = sorted({b.get_attribute("data-path") for b in blocks})
        title = browser.find_element(By.CSS_SELECTOR, ".info .title").text
        errors = browser.find_elements(By.CSS_SELECTOR, ".errors-wrapper")
        requested = []
        for entry in browser.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            if message["method"] == "Network.requestWillBeSent":
                requested.append(message["params"]["request"]["url"])
    finally:
        browser.quit()
    assert title.startswith("Shop")
    assert errors == []
    assert shown == [
        "/items",
        "/items/prices/sum",
        "/items/{item_id}",
        "/orders",
        "/orders/{order_id}",
        "/reports/{year}/{section}",
    ]
    outside = [url for url in requested if not url.startswith((base, "data:", "blob:"))]
    assert outside == []
    assert "/openapi.json" in asked
    assert "/docs/swagger-ui-bundle.js" in asked
