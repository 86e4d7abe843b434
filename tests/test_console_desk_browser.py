"""The front desk and the figures in a real browser (Debian's headless Chromium through Selenium):
a texter books through the real /sms webhook, the desk finds the booking and cancels it, the
cancellation text waits in the outbox and the time is open again, the figures show the booking
and the cancellation; a viewer sees the figures but no number and no words."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from ivr.storage.tables import outbox

from browser import served
from console_client import PASSWORD, Clock
from desk_helpers import NOW, PATIENT, book_by_text, desk_app, rows
from test_console_browser import OVERFLOW, UNLABELLED

FIGURES = "/console/figures?since=2026-11-25&until=2026-12-01"


@pytest.fixture
def site(tmp_path):
    app = desk_app(tmp_path, Clock(NOW))
    with served(app) as base:
        yield app, base


def sign_in(driver, base: str, role: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "/console/sign-in")
    driver.find_element(By.ID, "email").send_keys(f"{role}@clinic.example")
    driver.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    WebDriverWait(driver, 20).until(lambda d: "/sign-in" not in d.current_url)


def table_text(driver, table_id: str) -> str:
    return driver.find_element(By.ID, table_id).text


def no_policy_problems(driver) -> list:
    return [e for e in driver.get_log("browser") if "Content Security Policy" in e["message"]]


def test_a_texters_booking_is_cancelled_by_the_desk_and_counted_in_the_figures(site, browser):
    app, base = site
    book_by_text(app, "Ana Lopez")  # through the real, signed /sms webhook

    sign_in(browser, base, "desk")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Bookings"  # where the desk starts
    listed = table_text(browser, "bookings")
    assert "Ana Lopez" in listed and PATIENT in listed and "Wed 2026-12-02 09:00" in listed
    browser.find_element(By.LINK_TEXT, "Booking 1").click()
    assert "text messages" in browser.find_element(By.CLASS_NAME, "facts").text
    browser.find_element(By.ID, "cancel-booking").click()
    assert "the patient is being texted" in browser.find_element(By.CLASS_NAME, "flash").text
    assert browser.find_element(By.ID, "booking-state").text.startswith("cancelled")

    browser.find_element(By.LINK_TEXT, "Texts sent").click()
    waiting = table_text(browser, "outbox")
    assert "cancellation" in waiting and "pending" in waiting and PATIENT in waiting
    (text,) = rows(app, outbox)
    assert text.body[:30] in waiting  # the words, for the desk

    browser.get(base + "/console/desk/slots?week=2026-11-30")
    wednesday = table_text(browser, "slots-2026-12-02")
    assert "Wed 2026-12-02 09:00 30 Dr. Doss Open" in wednesday  # the time is open again

    browser.get(base + FIGURES)
    totals = table_text(browser, "figures-totals")
    assert "Appointments booked 1" in totals and "Bookings cancelled 1" in totals
    assert "Tue 2026-12-01 0 1 0 0 1 1 0" in table_text(browser, "figures-days")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.chart[role='img']")
    assert no_policy_problems(browser) == []

    sign_in(browser, base, "viewer")
    browser.get(base + FIGURES)
    page = browser.find_element(By.TAG_NAME, "main").text
    assert "Appointments booked 1" in page and "Bookings cancelled 1" in page
    for path in (FIGURES, "/console/desk/bookings?day=2026-12-02", "/console/desk/bookings/1",
                 "/console/desk/outbox", "/console/desk/callbacks"):
        browser.get(base + path)
        shown = browser.find_element(By.TAG_NAME, "body").text
        assert PATIENT not in shown and "Ana Lopez" not in shown and text.body[:30] not in shown, path
    assert not browser.find_elements(By.ID, "cancel-booking")


def test_the_desk_pages_label_their_controls_and_reflow_at_200_percent_zoom(site, browser):
    app, base = site
    book_by_text(app)
    sign_in(browser, base, "admin")
    browser.set_window_size(640, 900)  # 1280 px wide at 200% zoom
    for path in ("/console/desk/bookings", "/console/desk/bookings/1", "/console/desk/slots",
                 "/console/desk/callbacks", "/console/desk/outbox", FIGURES,
                 "/console/figures/compare?a=1&b=2"):
        browser.get(base + path)
        assert browser.execute_script(UNLABELLED) == [], path
        assert browser.execute_script(OVERFLOW) <= 0, path
    assert no_policy_problems(browser) == []
