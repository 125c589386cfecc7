"""The notes example in a real browser: headless Chromium (Debian's ``chromium`` and
``chromedriver``) driven by Selenium, against the app served by uvicorn over ASGI on a
free 127.0.0.1 port, with its own instance folder and database.

Each step saves a screenshot into ``$CARBOY_SCREENSHOTS`` (default: the test's tmp
folder); ``.ci/run`` points it at ``artifacts/screenshots``, which CI keeps, so a
failure shows the page as the browser saw it (``failure.png``).

Without Chromium the test skips, except under CI (``CI=true``), where it fails.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT
from .test_cli import free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
PASSWORD = "correct horse battery"

pytestmark = pytest.mark.server


def _need_chromium() -> None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    if missing:
        message = (
            f"{', '.join(missing)} not found (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message}: CI must run the browser test.")
        pytest.skip(message)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("CARBOY_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    """The app under uvicorn (ASGI), stopped by its PID."""
    port = free_port()
    env = dict(
        os.environ,
        NOTES_INSTANCE_PATH=str(tmp_path / "instance"),
        CARBOY_SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'browser.sqlite'}",
        CARBOY_NOTES_PASSWORD_METHOD="pbkdf2:sha256:1000",
        CARBOY_SECRET_KEY="browser-test",
    )
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [
            *(
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "examples.notes:create_app",
            ),
            *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/auth/login", timeout=1).close()
                break
            except OSError:
                assert server.poll() is None, (tmp_path / "server.log").read_text()
                assert time.monotonic() < deadline, "the server did not start"
                time.sleep(0.2)
        yield url
    finally:
        os.kill(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:  # pragma: no cover - a stuck shutdown
            os.kill(server.pid, signal.SIGKILL)
            server.wait()
        log.close()


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[Any]:
    _need_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1100,800",
        "--lang=en-US",
    ):
        options.add_argument(argument)
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options.add_experimental_option(
        "prefs",
        {
            "download.default_directory": str(downloads),
            "download.prompt_for_download": False,
        },
    )
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.downloads = downloads  # type: ignore[attr-defined]
    browser.set_page_load_timeout(20)
    try:
        yield browser
    finally:
        browser.quit()


def wait_for(condition: Callable[[], Any], what: str, timeout: float = 10) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        try:
            result = condition()
        except Exception:  # the element is not there yet
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_register_write_watch_attach_call_the_api_and_log_out(
    served: str, driver: Any, screenshots: Path, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    def shot(name: str) -> None:
        driver.save_screenshot(str(screenshots / f"{name}.png"))

    def fill(form_id: str, **values: str) -> None:
        form = driver.find_element(By.ID, form_id)
        for name, value in values.items():
            field = form.find_element(By.NAME, name)
            field.clear()
            field.send_keys(value)
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    def flash() -> str:
        return str(driver.find_element(By.CSS_SELECTOR, ".flash").text)

    try:
        # 1. Register, log out, log in, write a note.
        driver.get(served + "/auth/register")
        fill("register-form", username="ada", password=PASSWORD, confirm=PASSWORD)
        wait_for(lambda: "Welcome, ada!" in flash(), "the welcome message")
        driver.find_element(By.ID, "logout").click()
        wait_for(lambda: flash() == "Logged out.", "the log-out message")
        fill("login-form", username="ada", password="wrong password")
        wait_for(lambda: flash() == "Wrong username or password.", "the refusal")
        fill("login-form", username="ada", password=PASSWORD)
        wait_for(lambda: flash() == "Logged in as ada.", "the login")
        fill("note-form", title="Groceries", body="milk\neggs\nbread")
        wait_for(lambda: flash() == "Created “Groceries”.", "the new note")
        assert driver.find_element(By.ID, "note-title").text == "Groceries"
        shot("1-registered-logged-in-note-created")

        # 2. A second page sees a note written in the first, without a reload.
        first = driver.current_window_handle
        driver.switch_to.new_window("tab")
        second = driver.current_window_handle
        driver.get(served + "/")
        wait_for(
            lambda: driver.find_element(By.ID, "live-status").text == "live",
            "the live socket",
        )
        driver.execute_script("window.notReloaded = true;")
        driver.switch_to.window(first)
        driver.get(served + "/")
        fill("note-form", title="Seen live", body="written in the first tab")
        wait_for(lambda: flash() == "Created “Seen live”.", "the second note")
        driver.switch_to.window(second)
        card = wait_for(
            lambda: driver.find_element(By.CSS_SELECTOR, "#notes li.card .title"),
            "the live card",
        )
        assert card.text == "Seen live"
        assert driver.execute_script("return window.notReloaded") is True
        titles = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".card .title")]
        assert titles == ["Seen live", "Groceries"]
        assert driver.find_element(By.CSS_SELECTOR, ".count").text == "2"
        shot("2-live-in-a-second-page")
        driver.close()
        driver.switch_to.window(first)

        # 3. Upload an attachment and download it.
        upload = tmp_path / "shopping-list.txt"
        upload.write_bytes(b"milk, eggs, bread\n" * 50)
        driver.get(served + "/")
        driver.find_element(By.LINK_TEXT, "Groceries").click()
        form = driver.find_element(By.ID, "upload-form")
        form.find_element(By.NAME, "file").send_keys(str(upload))
        form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        wait_for(lambda: flash() == "Attached “shopping-list.txt”.", "the upload")
        link = driver.find_element(By.LINK_TEXT, "shopping-list.txt")
        link.click()
        saved = driver.downloads / "shopping-list.txt"
        wait_for(saved.is_file, "the download")
        wait_for(lambda: saved.read_bytes() == upload.read_bytes(), "the whole file")
        shot("3-attachment-uploaded-and-downloaded")

        # 4. The API, from its docs page.
        api_step(driver, served, shot)

        # 5. Log out.
        driver.get(served + "/")
        driver.find_element(By.ID, "logout").click()
        wait_for(lambda: flash() == "Logged out.", "the log-out message")
        shot("5-logged-out")
        driver.get(served + "/")
        wait_for(lambda: "/auth/login?next=" in driver.current_url, "the login page")
    except BaseException:
        shot("failure")
        raise


def api_step(driver: Any, served: str, shot: Callable[[str], None]) -> None:
    """GET /api/notes from the docs page: Swagger UI's "Try it out", then "Execute";
    the browser sends the session cookie, so the answer lists ada's notes."""
    from selenium.webdriver.common.by import By

    driver.get(served + "/docs")
    summary = wait_for(
        lambda: driver.find_element(
            By.CSS_SELECTOR,
            '.opblock-get .opblock-summary-path[data-path="/api/notes"]',
        ),
        "the GET /api/notes operation",
    )
    summary.click()
    block = summary.find_element(By.XPATH, "ancestor::div[contains(@class, 'opblock')]")
    wait_for(lambda: block.find_element(By.CSS_SELECTOR, ".try-out__btn"), "Try it out")
    block.find_element(By.CSS_SELECTOR, ".try-out__btn").click()
    wait_for(lambda: block.find_element(By.CSS_SELECTOR, ".execute"), "Execute").click()
    status = wait_for(
        lambda: block.find_element(
            By.CSS_SELECTOR, ".live-responses-table tbody .response-col_status"
        ),
        "the response",
    )
    assert status.text.strip() == "200"
    body = block.find_element(By.CSS_SELECTOR, ".live-responses-table .microlight")
    assert '"title": "Seen live"' in body.text
    assert '"total": 2' in body.text
    driver.execute_script("arguments[0].scrollIntoView(true);", status)
    shot("4-api-called-from-the-docs-page")
