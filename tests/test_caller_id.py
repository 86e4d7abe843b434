"""A caller ID is easy to fake: hearing or cancelling a booking by phone takes more than one.

Through the real webhooks, signed as Twilio signs them, with Twilio's caller-ID verification
(`StirVerstat`) sent only on the request that starts the call, as Twilio sends it:

- every caller says the name the booking was made under before hearing anything of it;
- a verified caller (attestation A) then hears the time and may cancel;
- an unverified caller hears the same words whether or not there is a booking, and the
  booking's number is texted: its owner cancels by replying YES;
- a call whose verification failed may neither book nor cancel, and is offered a person;
- whoever cancels, the booking's number is texted that it was cancelled.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest

from ivr.app import create_app
from ivr.cli import main
from ivr.simulate.phone import Phone, Signer, Texter
from ivr.storage.tables import bookings, outbox

from booking_fakes import NOW
from conftest import AUTH_TOKEN, make_config
from stores import table_rows

OWNER = "+15025550123"  # the booking's number, which an attacker's call shows as its caller ID
NAME = "Maria Gonzalez"
SPOKEN_TIME = "Wednesday, December 2nd, at 9 in the morning"
WRITTEN_TIME = "Wed Dec 2, 9am"
VERIFIED = {"StirVerstat": "TN-Validation-Passed-A"}
FAILED = {"StirVerstat": "TN-Validation-Failed-A"}


@pytest.fixture
def app(tmp_path):
    app = create_app(make_config(tmp_path, CLOCK=lambda: NOW))
    svc = app.extensions["ivr"]
    first = svc.slots.add_slots(NOW + timedelta(days=1), timedelta(minutes=30), 4, "Dr. Doss", 30, NOW)[0]
    svc.bookings.book(first.id, OWNER, NAME, "sms", "en", NOW)
    return app


def statuses(app) -> list[str]:
    return [b.status for b in table_rows(app, bookings)]


def texts(app) -> list[tuple[str, str, str]]:
    return [(t.kind, t.to_number, t.status) for t in table_rows(app, outbox)]


def asks_to_cancel(signer, first: dict, caller: str = OWNER) -> tuple[Phone, str]:
    """A call that says "cancel my appointment"; what it heard."""
    phone = Phone(signer, caller=caller)
    heard = phone.call(**first).text
    heard += phone.press("1").text
    heard += phone.say("cancel my appointment").text
    return phone, heard


@pytest.mark.parametrize("first", [VERIFIED, {}, {"StirVerstat": "No-TN-Validation"},
                                   {"StirVerstat": "TN-Validation-Passed-C"}], ids=["A", "none", "no-tn", "C"])
def test_a_caller_is_asked_for_the_bookings_name_before_hearing_anything_of_it(app, signer, flow, first):
    phone, heard = asks_to_cancel(signer, first)
    assert flow.phrase("cancel_ask_name", "en") in heard
    assert SPOKEN_TIME not in heard and "To cancel it, press 1" not in heard
    assert phone.turn.gather["input"] == "dtmf speech" and "hints" not in phone.turn.gather  # a name is anything
    assert statuses(app) == ["booked"]


def test_a_verified_caller_who_says_the_name_hears_the_time_cancels_and_the_number_is_texted(app, signer, flow):
    phone, _ = asks_to_cancel(signer, VERIFIED)
    asked = phone.say("it's under Maria Gonzales")  # as speech recognition may spell it
    assert f"You have an appointment on {SPOKEN_TIME}. To cancel it, press 1" in asked.text
    done = phone.press("1")
    assert f"Your appointment on {SPOKEN_TIME} is cancelled." in done.text and done.waiting == "gather"
    assert statuses(app) == ["cancelled"]
    (notice,) = table_rows(app, outbox)
    assert (notice.kind, notice.to_number, notice.status) == ("cancellation", OWNER, "pending")
    assert notice.body == f"Your appointment on {WRITTEN_TIME} was cancelled. If you did not ask for this, " \
                          f"call {flow.line.clinic_phone}."


def test_a_verified_caller_with_the_wrong_name_hears_nothing_of_the_booking(app, signer, flow):
    phone, heard = asks_to_cancel(signer, VERIFIED)
    again = phone.say("Sam Lee")
    assert flow.phrase("cancel_name_again", "en") in again.text and flow.phrase("cancel_ask_name", "en") in again.text
    given_up = phone.say("Pam Lee")
    assert flow.phrase("cancel_not_found", "en") in given_up.text and given_up.waiting == "gather"
    assert "To talk to a person, press 0" in given_up.text  # the main menu, with a person
    heard += again.text + given_up.text + phone.press("1").text
    assert SPOKEN_TIME not in heard
    assert statuses(app) == ["booked"] and texts(app) == []


def test_without_a_booking_a_wrong_name_is_answered_the_same_as_a_missing_booking(tmp_path, flow):
    """Nothing tells a caller faking a number whether that number has an appointment."""
    empty = create_app(make_config(tmp_path, CLOCK=lambda: NOW))
    phone, _ = asks_to_cancel(Signer(empty.test_client(), AUTH_TOKEN), VERIFIED)
    phone.say("Maria Gonzalez")
    assert flow.phrase("cancel_not_found", "en") in phone.say("Maria Gonzalez").text


def test_an_unverified_caller_cancels_only_by_the_owner_answering_a_text(app, signer, flow):
    phone, _ = asks_to_cancel(signer, {})
    told = phone.say("Maria Gonzalez")
    assert flow.phrase("cancel_check_sent", "en") in told.text and SPOKEN_TIME not in told.text
    assert statuses(app) == ["booked"]  # the caller cannot cancel it
    (check,) = table_rows(app, outbox)
    assert (check.kind, check.to_number, check.status) == ("cancel_check", OWNER, "pending")
    assert check.body.startswith(f"Someone called to cancel your appointment on {WRITTEN_TIME}. Reply YES")

    owner = Texter(signer, OWNER)  # the real phone gets the text and answers it
    assert owner.send("YES") == f"Your appointment on {WRITTEN_TIME} is cancelled."
    assert statuses(app) == ["cancelled"]


def test_an_unverified_caller_with_a_wrong_name_hears_the_same_words_and_no_text_goes(app, signer, flow):
    phone, _ = asks_to_cancel(signer, {})
    told = phone.say("Sam Lee")
    assert flow.phrase("cancel_check_sent", "en") in told.text  # word for word what the right name hears
    assert texts(app) == [] and statuses(app) == ["booked"]


def test_the_owner_answering_no_keeps_the_booking(app, signer):
    phone, _ = asks_to_cancel(signer, {})
    phone.say("Maria Gonzalez")
    assert Texter(signer, OWNER).send("NO") == f"OK, your appointment on {WRITTEN_TIME} is kept."
    assert statuses(app) == ["booked"]


def test_a_verification_claimed_after_the_first_request_counts_for_nothing(app, signer, flow):
    """Twilio sends StirVerstat when the call starts; the line keeps that, not what a later
    request says."""
    phone = Phone(signer, caller=OWNER)
    phone.call()
    phone.params.update(VERIFIED)  # every later request carries it
    phone.press("1")
    phone.say("cancel my appointment")
    assert flow.phrase("cancel_check_sent", "en") in phone.say(NAME).text
    assert statuses(app) == ["booked"]


@pytest.mark.parametrize("verstat", ["TN-Validation-Failed-A", "TN-Validation-Failed-B", "TN-Validation-Failed"])
def test_a_call_whose_caller_id_failed_verification_may_not_cancel_book_or_be_texted(app, signer, flow, verstat):
    refused = flow.phrase("call_not_verified", "en")
    phone, heard = asks_to_cancel(signer, {"StirVerstat": verstat})
    assert refused in heard and SPOKEN_TIME not in heard
    assert refused in phone.press("5").text  # booking
    phone.press("1")
    phone.press("3")
    page = phone.press("1")
    assert "press 8" in page.text
    assert flow.phrase("text_not_sent", "en") in phone.press("8").text
    assert statuses(app) == ["booked"] and texts(app) == []


def said(response) -> str:
    assert response.status_code == 200
    return " ".join((say.text or "") for say in ET.fromstring(response.data).iter("Say"))


def cancel_url(app) -> str:
    return f"/voice/step?node=appointments&lang=en&miss=0&stage=cancel&ref={table_rows(app, bookings)[0].id}"


def test_a_cancel_url_naming_a_booking_is_not_enough_without_the_name(app, signer, flow):
    """The cancel step's URL names a booking. Posted by the owner's number (or a fake of it)
    without this call having said the name, it asks for the name and cancels nothing."""
    phone = Phone(signer, caller=OWNER)
    phone.call(**VERIFIED)
    heard = said(signer.post(cancel_url(app), {**phone.params, "Digits": "1", "CallStatus": "in-progress"}))
    assert flow.phrase("cancel_ask_name", "en") in heard and SPOKEN_TIME not in heard
    assert statuses(app) == ["booked"]


def test_caller_b_at_a_cancel_url_naming_as_booking_cancels_and_hears_nothing(app, signer, flow):
    other = Phone(signer, caller="+15025550177")
    other.call(**VERIFIED)
    heard = ""
    for answer in ({"Digits": "1"}, {"SpeechResult": "yes"}, {"SpeechResult": NAME}):
        heard += said(signer.post(cancel_url(app), {**other.params, **answer, "CallStatus": "in-progress"}))
    assert SPOKEN_TIME not in heard and statuses(app) == ["booked"]


def test_staff_cancelling_texts_the_bookings_number(app):
    booking_id = table_rows(app, bookings)[0].id
    result = app.test_cli_runner().invoke(main, ["bookings", "cancel", str(booking_id)])
    assert result.exit_code == 0, result.output
    assert "the number was texted" in result.output and OWNER not in result.output
    assert statuses(app) == ["cancelled"]
    assert texts(app) == [("cancellation", OWNER, "pending")]


def test_a_cancellation_is_never_texted_to_a_number_that_opted_out(app, signer):
    Texter(signer, OWNER).send("STOP")
    booking_id = table_rows(app, bookings)[0].id
    result = app.test_cli_runner().invoke(main, ["bookings", "cancel", str(booking_id)])
    assert result.exit_code == 0 and "not texted" in result.output
    assert texts(app) == [("cancellation", OWNER, "blocked")]


def test_a_cancellation_and_its_text_are_kept_together_or_neither(app, signer, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from ivr.storage.outbox import Outbox

    def queue_fails(*args, **kwargs):
        raise OperationalError("INSERT INTO outbox", None, Exception("disk I/O error"))

    phone, _ = asks_to_cancel(signer, VERIFIED)
    phone.say(NAME)
    monkeypatch.setattr(Outbox, "queue", queue_fails)
    refused = phone.press("1")
    assert "Sorry, booking is not available right now." in refused.text
    assert statuses(app) == ["booked"] and texts(app) == []


def test_spanish_callers_get_the_same_protection_in_spanish(app, signer, flow):
    phone = Phone(signer, caller=OWNER)
    phone.call(**VERIFIED)
    phone.press("2")
    asked = phone.say("cancelar mi cita")
    assert flow.phrase("cancel_ask_name", "es") in asked.text
    assert all(lang == "es-US" for _, lang in asked.said)
    assert "Tiene una cita el miércoles 2 de diciembre" in phone.say("me llamo María González").text


def test_a_withheld_caller_id_is_offered_a_person_before_any_name_is_asked(app, signer, flow):
    phone, heard = asks_to_cancel(signer, VERIFIED, caller="+266696687")  # Twilio's "Anonymous"
    assert flow.phrase("book_unavailable", "en", phone=flow.line.clinic_phone) in heard
    assert flow.phrase("cancel_ask_name", "en") not in heard
