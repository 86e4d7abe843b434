"""The console in a real browser: headless Chromium from Debian's packages, driven by Selenium,
against the app served on 127.0.0.1. Keyboard only, as a staff member without a mouse would."""
from __future__ import annotations

import pytest
from browser import chromium, served
from console_client import PASSWORD, make_staff
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from ivr.app import create_app

from conftest import make_config


@pytest.fixture
def site(tmp_path):
    app = create_app(make_config(tmp_path))
    make_staff(app, "viewer@clinic.example", "viewer")
    make_staff(app, "admin@clinic.example", "admin")
    with served(app) as base:
        yield app, base


@pytest.fixture
def browser():
    with chromium() as driver:
        yield driver


def sign_in_by_keyboard(driver, base: str, email: str) -> None:
    driver.get(base + "/console/")
    assert driver.current_url.startswith(base + "/console/sign-in")
    body = driver.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)  # the skip link first
    assert driver.switch_to.active_element.text == "Skip to the content"
    driver.switch_to.active_element.send_keys(Keys.TAB)
    assert driver.switch_to.active_element.get_attribute("id") == "email"
    driver.switch_to.active_element.send_keys(email, Keys.TAB, PASSWORD, Keys.ENTER)


def test_a_viewer_signs_in_by_keyboard_and_reads_the_line(site, browser):
    app, base = site
    sign_in_by_keyboard(browser, base, "viewer@clinic.example")
    assert browser.current_url == base + "/console/"
    assert browser.find_element(By.TAG_NAME, "h1").text == "The line as callers meet it"
    links = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "nav a")]
    assert "Accounts" not in links  # and the server refuses it too:
    browser.get(base + "/console/admin/staff")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Not allowed"


def test_a_wrong_password_is_told_beside_the_form_and_tied_to_its_fields(site, browser):
    _, base = site
    browser.get(base + "/console/sign-in")
    browser.find_element(By.ID, "email").send_keys("admin@clinic.example")
    browser.find_element(By.ID, "password").send_keys("not it at all", Keys.ENTER)
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
