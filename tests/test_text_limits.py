"""SMS pumping: "text me this" (key 8) and the other texts a caller can ask for again and again
are limited per call and per number a day, go only to the countries the clinic allows
(SMS_COUNTRIES), and the report counts what was held back."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.app import create_app
from ivr.cli import main
from ivr.config import ConfigError, from_env
from ivr.simulate.phone import Phone, Signer
from ivr.storage.db import Database
from ivr.storage.outbox import Outbox
from ivr.storage.sms_store import SmsStore
from ivr.storage.tables import outbox
from ivr.storage.text_rules import COUNTRY, PER_CALL, PER_DAY, TextRules, region_of

from booking_fakes import NOW, Clock
from conftest import AUTH_TOKEN, make_config

CALLER = "+15025550123"


@pytest.fixture
def clock():
    return Clock()


def line(tmp_path, clock, **overrides):
    return create_app(make_config(tmp_path, CLOCK=clock, TEXTS_PER_CALL=3, TEXTS_PER_NUMBER_PER_DAY=5,
                                  **overrides))


@pytest.fixture
def app(tmp_path, clock):
    return line(tmp_path, clock)


def texts(app) -> list:
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(outbox).order_by(outbox.c.id)).all()


def at_a_page(app, caller: str = CALLER) -> Phone:
    """A call at the physical therapy page, where 8 texts it."""
    phone = Phone(Signer(app.test_client(), AUTH_TOKEN), caller=caller)
    phone.call()
    phone.press("1")
    phone.press("3")
    assert "press 8" in phone.press("1").text
    return phone


def test_twenty_presses_of_8_in_one_call_queue_three_texts(app, flow):
    phone = at_a_page(app)
    heard = [phone.press("8").text for _ in range(20)]
    assert all(flow.phrase("text_sent", "en") in turn for turn in heard[:3])
    assert all(flow.phrase("text_limit", "en") in turn for turn in heard[3:])
    assert all(turn.endswith("or say person.") for turn in heard)  # the page's choices follow: no dead end
    rows = texts(app)
    assert [r.status for r in rows].count("pending") == 3
    assert {(r.status, r.last_error) for r in rows[3:]} == {("refused", PER_CALL)}


def test_a_number_gets_at_most_five_a_day_over_many_calls_then_again_the_next_day(app, clock, flow):
    for _ in range(3):
        phone = at_a_page(app)
        for _ in range(3):
            phone.press("8")
    assert [r.status for r in texts(app)].count("pending") == 5
    assert [r.last_error for r in texts(app) if r.status == "refused"] == [PER_DAY] * 4
    assert flow.phrase("text_limit", "en") in at_a_page(app).press("8").text
    clock.now += timedelta(hours=24, seconds=1)
    assert flow.phrase("text_sent", "en") in at_a_page(app).press("8").text


def test_another_number_is_not_held_back_by_the_first(app, flow):
    phone = at_a_page(app)
    for _ in range(5):
        phone.press("8")
    assert flow.phrase("text_sent", "en") in at_a_page(app, "+15025550177").press("8").text


@pytest.mark.parametrize("caller, country", [
    ("+447700900123", None),  # the United Kingdom
    ("+18765550123", "JM"),  # Jamaica: +1, but not the US or Canada
    ("+12425551234", "BS"),  # the Bahamas, a number the metadata calls not valid: still not the US
    ("+33612345678", "FR"),
])
def test_a_caller_from_a_country_the_clinic_does_not_text_is_sent_nothing(app, flow, caller, country):
    assert region_of(caller) in (country, None) and region_of(caller) not in ("US", "CA")
    turn = at_a_page(app, caller).press("8")
    assert flow.phrase("text_not_sent", "en") in turn.text
    assert [(r.status, r.last_error) for r in texts(app)] == [("refused", COUNTRY)]


def test_canada_is_texted_by_default_and_sms_countries_changes_the_list(tmp_path, clock, flow, monkeypatch):
    assert flow.phrase("text_sent", "en") in at_a_page(line(tmp_path, clock), "+14165550123").press("8").text
    monkeypatch.setenv("SMS_COUNTRIES", " us ")
    assert from_env(str(tmp_path))["SMS_COUNTRIES"] == {"US"}
    (tmp_path / "us").mkdir()
    only_us = create_app(make_config(tmp_path / "us", CLOCK=clock, SMS_COUNTRIES=frozenset({"US"})))
    assert flow.phrase("text_not_sent", "en") in at_a_page(only_us, "+14165550123").press("8").text


@pytest.mark.parametrize("value", ["US,XX", "USA", "1"])
def test_an_unknown_country_code_is_refused_at_start(tmp_path, monkeypatch, value):
    monkeypatch.setenv("SMS_COUNTRIES", value)
    with pytest.raises(ConfigError, match="SMS_COUNTRIES"):
        from_env(str(tmp_path))


@pytest.mark.parametrize("name", ["TEXTS_PER_CALL", "TEXTS_PER_NUMBER_PER_DAY", "MAX_BOOKINGS_PER_NUMBER"])
def test_a_limit_that_is_not_a_whole_number_is_refused_at_start(tmp_path, monkeypatch, name):
    monkeypatch.setenv(name, "three")
    with pytest.raises(ConfigError, match=name):
        from_env(str(tmp_path))


def test_booking_confirmations_are_not_counted_against_the_limits(app):
    box = app.extensions["ivr"].outbox
    for i in range(8):
        assert box.enqueue(CALLER, f"confirmation {i}", "booking_confirmation", NOW, call_hash="call-1") is not None


def test_the_report_counts_the_texts_held_back(app):
    phone = at_a_page(app)
    for _ in range(4):
        phone.press("8")
    at_a_page(app, "+447700900123").press("8")
    result = app.test_cli_runner().invoke(main, ["report", "--since", "2026-12-01", "--until", "2026-12-01"])
    assert result.exit_code == 0, result.output
    lines = {line.rsplit("  ", 1)[0].strip(): line.rsplit(" ", 1)[-1] for line in result.output.splitlines()
             if "  " in line.strip()}
    assert lines["to a country not in SMS_COUNTRIES"] == "1"
    assert lines["over TEXTS_PER_CALL"] == "1"
    assert lines["over TEXTS_PER_NUMBER_PER_DAY"] == "0"
    assert "447700900123" not in result.output


# ---- the limit holds when two calls ask at the same moment, on both databases --------------

def test_calls_from_one_number_asking_at_once_never_get_past_the_daily_limit(db, db_url):
    rules = TextRules(frozenset({"US"}), per_call=0, per_day=5)
    boxes = [Outbox(own, SmsStore(own, 60), "test-secret", rules=rules)
             for own in (Database(db_url) for _ in range(12))]
    barrier, results = threading.Barrier(len(boxes)), []

    def ask(box):
        barrier.wait(timeout=60)
        results.append(box.queue(CALLER, "page", "content", NOW, call_hash=None))

    threads = [threading.Thread(target=ask, args=(box,)) for box in boxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(q.status for q in results) == ["pending"] * 5 + ["refused"] * 7
    assert {q.reason for q in results if q.status == "refused"} == {PER_DAY}
    for box in boxes:
        box.db.dispose()
