"""A real headless Chromium (Debian's `chromium` and `chromium-driver`, driven by Selenium) and a
real HTTP server for it to talk to: the app under test, served from a thread of this process so
a test can still set its clock and read its database.

Without Chromium the browser tests skip, saying why; where IVR_REQUIRE_CHROMIUM=1 (CI) they fail
instead. Nothing is ever downloaded: the system browser and driver only.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
from contextlib import contextmanager

import pytest
from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-dev-shm-usage",
         "--window-size=1280,1000"]


def require_chromium() -> None:
    if CHROMIUM and DRIVER:
        return
    why = "Chromium is not installed (apt-get install chromium chromium-driver)"
    if os.environ.get("IVR_REQUIRE_CHROMIUM") == "1":
        pytest.fail(why)
    pytest.skip(why)


@contextmanager
def served(app):
    """The app on a free port of 127.0.0.1; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="browser-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(10)


@pytest.fixture
def browser():
    """A test's own headless Chromium (conftest.py makes it every test's fixture)."""
    with chromium() as driver:
        yield driver


@contextmanager
def chromium():
    """A headless Chromium with a fresh profile, gone afterwards."""
    require_chromium()
    profile = tempfile.mkdtemp(prefix="ivr-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def text_when(driver, by: str, value: str, ready, seconds: float = 20) -> str:
    """The element's text once `ready(text)` holds: after a key press submits a form, the old
    page can still be there for a moment (a loaded machine), so read the new one, not that."""
    def read(d):
        try:
            text = d.find_element(by, value).text
        except (NoSuchElementException, StaleElementReferenceException):
            return False
        return text if ready(text) else False

    return WebDriverWait(driver, seconds).until(read)
