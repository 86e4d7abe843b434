"""The console in a real browser: headless Chromium from Debian's packages, driven by Selenium,
against the app served on 127.0.0.1. Keyboard only, as a staff member without a mouse would."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from ivr.app import create_app
from ivr.simulate.phone import Phone, Signer

from browser import served, text_when
from conftest import AUTH_TOKEN, make_config
from console_client import PASSWORD, StaffBrowser, make_staff


@pytest.fixture
def site(tmp_path):
    app = create_app(make_config(tmp_path))
    make_staff(app, "viewer@clinic.example", "viewer")
    make_staff(app, "admin@clinic.example", "admin")
    with served(app) as base:
        yield app, base


def sign_in_by_keyboard(driver, base: str, email: str) -> None:
    driver.get(base + "/console/")
    assert driver.current_url.startswith(base + "/console/sign-in")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link first
    assert driver.switch_to.active_element.text == "Skip to the content"
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "email"
    driver.switch_to.active_element.send_keys(email, Keys.TAB, PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 20).until(lambda d: "/sign-in" not in d.current_url)


def test_a_viewer_signs_in_by_keyboard_and_reads_the_line(site, browser):
    app, base = site
    sign_in_by_keyboard(browser, base, "viewer@clinic.example")
    text_when(browser, By.TAG_NAME, "h1", lambda heading: heading == "The line as callers meet it")
    assert browser.current_url == base + "/console/"
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav a")]
    assert "Accounts" not in links  # and the server refuses it too:
    browser.get(base + "/console/admin/staff")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not allowed"


def test_a_wrong_password_is_told_beside_the_form_and_tied_to_its_fields(site, browser):
    _, base = site
    browser.get(base + "/console/sign-in")
    browser.find_element(By.ID, "email").send_keys("admin@clinic.example")
    browser.find_element(By.ID, "password").send_keys("not it at all", Keys.ENTER)
    text_when(browser, By.ID, "signin-error", bool)
    error = browser.find_element(By.ID, "signin-error")
    assert error.get_attribute("role") == "alert" and "do not match" in error.text
    assert browser.find_element(By.ID, "password").get_attribute("aria-describedby") == "signin-error"


def test_the_page_runs_no_script_the_policy_forbids(site, browser):
    _, base = site
    sign_in_by_keyboard(browser, base, "admin@clinic.example")
    for path in ("/console/", "/console/admin/staff", "/console/admin/audit"):
        browser.get(base + path)
        problems = [entry for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]
        assert problems == [], (path, problems)


# ---- changing, trying, publishing and rolling back, as an editor would ----------------------------------

CURLY = "Good habits protect your back \u2019every day\u2019."
PLAIN_ES = "Los buenos habitos protegen su espalda cada dia."


@pytest.fixture
def editing_site(tmp_path):
    app = create_app(make_config(tmp_path))
    make_staff(app, "editor@clinic.example", "editor")
    make_staff(app, "viewer@clinic.example", "viewer")
    with served(app) as base:
        yield app, base


def wait_for_text(driver, element_id: str, wanted: str, seconds: float = 20) -> str:
    WebDriverWait(driver, seconds).until(lambda d: wanted in d.find_element(By.ID, element_id).text)
    return driver.find_element(By.ID, element_id).text


def heard_on_the_line(app) -> str:
    """Through the real, signed /voice webhook: a caller choosing English, then prevention."""
    app.extensions["ivr"].flows.look_now()
    phone = Phone(Signer(app.test_client(), AUTH_TOKEN))
    phone.call()
    phone.press("1")
    return phone.press("4").text


def replace_text(element, text: str) -> None:
    element.send_keys(Keys.CONTROL, "a")
    element.send_keys(Keys.DELETE)
    element.send_keys(text)


def test_an_editor_changes_both_languages_tries_publishes_and_rolls_back(editing_site, browser):
    app, base = editing_site
    before = heard_on_the_line(app)
    sign_in_by_keyboard(browser, base, "editor@clinic.example")

    browser.find_element(By.LINK_TEXT, "Drafts").click()
    browser.find_element(By.ID, "note").send_keys("friendlier prevention", Keys.ENTER)
    text_when(browser, By.TAG_NAME, "h1", lambda heading: heading.startswith("Draft 1"))
    browser.get(base + "/console/drafts/1/nodes/prevention")

    spoken = browser.find_element(By.ID, "say-en")
    replace_text(spoken, CURLY)
    note = wait_for_text(browser, "say-en-check", "GSM-7")  # the warning appears while typing
    assert "U+2019" in note and "texts send it as" in note
    replace_text(browser.find_element(By.ID, "say-es"), PLAIN_ES)
    browser.find_element(By.XPATH, "//button[text()='Save to the draft']").click()
    assert "Saved to the draft." in browser.find_element(By.CLASS_NAME, "flash").text
    assert heard_on_the_line(app) == before  # a draft is heard by nobody

    browser.get(base + "/console/drafts/1/try")
    browser.find_element(By.ID, "read-aloud").click()  # quiet: the headless browser has no speakers
    browser.find_element(By.ID, "call-start").click()
    wait_for_text(browser, "call-transcript", "9 1 1")
    browser.find_element(By.CSS_SELECTOR, "button[data-key='1']").click()
    wait_for_text(browser, "call-transcript", "You: 1")
    browser.find_element(By.CSS_SELECTOR, "button[data-key='4']").click()
    assert CURLY in wait_for_text(browser, "call-transcript", CURLY)

    browser.get(base + "/console/drafts/1/publish")
    assert CURLY in browser.find_element(By.TAG_NAME, "main").text
    browser.find_element(By.XPATH, "//button[starts-with(text(), 'Publish')]").click()
    assert "Published as version 2" in browser.find_element(By.CLASS_NAME, "flash").text
    assert CURLY in heard_on_the_line(app)  # a real call hears it

    browser.get(base + "/console/versions/1")
    browser.find_element(By.ID, "rollback-note").send_keys("back to the old words")
    browser.find_element(By.XPATH, "//button[starts-with(text(), 'Publish version 1')]").click()
    assert "live again, as version 3" in browser.find_element(By.CLASS_NAME, "flash").text
    assert heard_on_the_line(app) == before


def test_a_viewer_sees_the_changes_but_no_way_to_publish(editing_site, browser):
    app, base = editing_site
    editor = StaffBrowser(app)
    editor.sign_in("editor@clinic.example")
    editor.post("/console/drafts", {"note": "x"}, token_from="/console/drafts")
    sign_in_by_keyboard(browser, base, "viewer@clinic.example")
    browser.get(base + "/console/drafts/1/publish")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Review and publish draft 1"
    assert not browser.find_elements(By.XPATH, "//button[starts-with(text(), 'Publish')]")
    browser.get(base + "/console/drafts/1/nodes/prevention")
    assert browser.find_element(By.ID, "say-en").get_attribute("readonly") == "true"


# ---- usable by everyone ----------------------------------------------------------------------------------

UNLABELLED = """
return Array.from(document.querySelectorAll('input, select, textarea, button'))
  .filter(el => el.type !== 'hidden')
  .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !(el.textContent || '').trim())
  .map(el => el.outerHTML.slice(0, 120));
"""
OVERFLOW = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"


def test_every_page_labels_its_controls_and_reflows_at_200_percent_zoom(editing_site, browser):
    app, base = editing_site
    make_staff(app, "admin@clinic.example", "admin")
    editor = StaffBrowser(app)
    editor.sign_in("editor@clinic.example")
    editor.post("/console/drafts", {"note": "x"}, token_from="/console/drafts")
    sign_in_by_keyboard(browser, base, "admin@clinic.example")
    pages = ["/console/", "/console/drafts", "/console/drafts/1", "/console/drafts/1/nodes/main",
             "/console/drafts/1/nodes/prevention", "/console/drafts/1/publish", "/console/drafts/1/try",
             "/console/drafts/1/files/main.yaml", "/console/history", "/console/versions/1",
             "/console/admin/staff", "/console/admin/audit"]
    browser.set_window_size(640, 900)  # 1280 px wide at 200% zoom
    for path in pages:
        browser.get(base + path)
        assert browser.find_elements(By.TAG_NAME, "h1"), path
        assert browser.execute_script(UNLABELLED) == [], path
        assert browser.execute_script(OVERFLOW) <= 0, path  # nothing needs sideways scrolling
