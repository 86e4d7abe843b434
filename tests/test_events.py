"""Every step of a call and of a text conversation is recorded in the events table, through the
real webhooks on a real SQLite file: where it left the caller, what kind of input, understood or
not, what happened, in which language. Numbers only as keyed hashes, never the words."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from ivr.app import create_app
from ivr.privacy import keyed_hash, phone_hash
from ivr.simulate.phone import Phone, Texter
from ivr.storage.tables import events
from ivr.storage.times import as_utc

from conftest import TRANSFER_NUMBER, make_config

SECRET = "test-secret"  # conftest's SECRET_KEY
NOW = datetime(2030, 12, 1, 15, 0, tzinfo=timezone.utc)  # a Sunday; the line is always open in tests
CALLER = "+15025550123"  # the Phone's and the Texter's number
PLAIN = ("5025550123", "502-555-0123", "555-0123")


@pytest.fixture
def app(tmp_path):
    app = create_app(make_config(tmp_path, CLOCK=lambda: NOW))
    app.extensions["ivr"].slots.add_slots(NOW + timedelta(days=2), timedelta(minutes=30), 4, "Dr. Doss", 30, NOW)
    return app


def steps(app) -> list:
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(events).order_by(events.c.id)).all()


def summary(rows) -> list[tuple]:
    return [(r.node, r.stage, r.input_kind, r.matched, r.event, r.lang) for r in rows]


def assert_no_plain_number(app, *extra: str) -> None:
    """Not in any column of any row of the events table, in any spelling."""
    with app.extensions["ivr"].db.begin() as conn:
        values = [str(value) for row in conn.execute(text("SELECT * FROM events")) for value in row]
    for value in values:
        for secret in (*PLAIN, *extra):
            assert secret not in value


def test_a_call_is_recorded_step_by_step_with_hashed_numbers(app, phone, flow):
    phone.call()  # the greeting: emergency guidance, then the language choice
    phone.press("1")  # English
    phone.silence()  # nothing: a re-prompt
    phone.press("7")  # not an option here
    phone.say("my legs gave out")  # red-flag words, from any menu
    turn = phone.press("0")  # a person
    assert turn.waiting == "dial" and turn.dialed == TRANSFER_NUMBER

    rows = steps(app)
    assert summary(rows) == [
        ("_language", "", "start", True, "start", "en"),
        ("main", "", "key", True, "language", "en"),
        ("main", "", "silence", False, "no_input", "en"),
        ("main", "", "key", False, "no_match", "en"),
        (flow.line.emergency, "", "speech", True, "emergency", "en"),
        (flow.line.person, "", "key", True, "person", "en"),
    ]
    call_sid = phone.params["CallSid"]
    assert {(r.channel, r.conversation, r.phone_hash) for r in rows} == {
        ("voice", keyed_hash(call_sid, SECRET), phone_hash(CALLER, SECRET))}
    assert all(as_utc(r.at) == NOW for r in rows)
    assert_no_plain_number(app, CALLER, call_sid, "legs")


def test_a_third_miss_is_recorded_as_the_hand_over_to_a_person(app, phone, flow):
    phone.call()
    phone.press("1")
    phone.press("7")
    phone.silence()
    phone.silence()

    assert summary(steps(app))[2:] == [
        ("main", "", "key", False, "no_match", "en"),
        ("main", "", "silence", False, "no_input", "en"),
        (flow.line.person, "", "silence", False, "too_many_misses", "en"),
    ]


def test_a_text_conversation_is_recorded_with_its_opt_out(app, texter, flow):
    texter.send("good morning")  # a first text not understood: the welcome
    texter.send("symptoms")
    texter.send("purple elephants")  # not understood
    texter.send("HELP")
    texter.send("STOP")
    assert texter.send("hello?") is None  # opted out: nothing sent, still recorded

    rows = steps(app)
    assert summary(rows) == [
        ("main", "", "text", True, "start", "en"),
        ("symptoms", "", "text", True, "option", "en"),
        ("symptoms", "", "text", False, "no_match", "en"),
        ("symptoms", "", "text", True, "help", "en"),
        ("symptoms", "", "text", True, "opt_out", "en"),
        ("symptoms", "", "text", True, "ignored_opted_out", "en"),
    ]
    who = phone_hash(CALLER, SECRET)
    assert {(r.channel, r.conversation, r.phone_hash) for r in rows} == {("sms", who, who)}
    assert_no_plain_number(app, CALLER, "elephants", "morning")


def test_a_first_stop_is_recorded_before_any_menu(app, texter):
    texter.send("STOP")
    assert summary(steps(app)) == [("", "", "text", True, "opt_out", "en")]


def test_a_booking_by_text_records_each_stage_and_the_booking(app, texter, flow):
    texter.send("BOOK")
    texter.send("1")
    texter.send("Sam Lee")
    texter.send("YES")

    rows = steps(app)
    assert [(r.node, r.stage, r.event) for r in rows][-1] == (flow.line.start, "", "booked")
    assert [r.node for r in rows[:-1]] == [flow.line.booking] * 3
    assert all(r.stage for r in rows[:-1])  # the booking's steps: choose, name, confirm
    assert_no_plain_number(app, CALLER, "Sam Lee", "Sam")


def test_a_call_goes_on_when_recording_fails_and_the_log_has_no_number(app, phone, texter, caplog):
    with app.extensions["ivr"].db.begin() as conn:
        conn.execute(text("DROP TABLE events"))
    caplog.set_level(logging.INFO, logger="ivr")

    assert phone.call().waiting == "gather"
    assert phone.press("1").waiting == "gather"
    assert texter.send("symptoms")

    failures = [r.getMessage().rsplit(":", 1)[0] for r in caplog.records if "not recorded" in r.getMessage()]
    assert failures == ["voice step start not recorded", "voice step language not recorded",
                        "sms step option not recorded"]  # then the kind of error, e.g. OperationalError
    for number in (CALLER, *PLAIN):
        assert number not in caplog.text


def test_each_caller_is_a_conversation_of_their_own(app, signer):
    first, second = Phone(signer), Phone(signer, caller="+15025550177")
    first.call()
    second.call()
    first.press("1")
    Texter(signer, number="+15025550177").send("good morning")

    conversations = {}
    for r in steps(app):
        conversations.setdefault((r.channel, r.conversation), []).append(r.event)
    assert conversations == {
        ("voice", keyed_hash(first.params["CallSid"], SECRET)): ["start", "language"],
        ("voice", keyed_hash(second.params["CallSid"], SECRET)): ["start"],
        ("sms", phone_hash("+15025550177", SECRET)): ["start"],
    }
