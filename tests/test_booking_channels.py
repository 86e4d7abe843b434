"""Booking, cancelling, call-backs and "text me this" through the real webhooks and database."""
import sqlite3
import threading
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ivr.app import create_app
from ivr.simulate.phone import Phone, Signer, Texter
from ivr.storage.outbox import Outbox
from ivr.storage.tables import bookings, callbacks, outbox

from booking_fakes import NOW
from conftest import AUTH_TOKEN, TWIML_SCHEMA, make_config

CALLER = "+15025550123"
FIRST_SLOT = NOW + timedelta(days=1)  # Wednesday December 2nd, 9:00 in New York


def booking_app(tmp_path, **overrides):
    app = create_app(make_config(tmp_path, CLOCK=lambda: NOW, **overrides))
    app.extensions["ivr"].slots.add_slots(FIRST_SLOT, timedelta(minutes=30), 8, "Dr. Doss", 30, NOW)
    return app


@pytest.fixture
def app(tmp_path):
    return booking_app(tmp_path)


def rows(app, table):
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(table)).all()


def assert_valid_twiml(documents):
    if not TWIML_SCHEMA.exists():
        return
    from lxml import etree

    schema = etree.XMLSchema(etree.parse(str(TWIML_SCHEMA)))
    for document in documents:
        assert schema.validate(etree.fromstring(document)), schema.error_log.last_error


def test_booking_by_voice_end_to_end(app, phone, flow):
    phone.call()
    phone.press("1")
    listed = phone.say("I want to make an appointment")
    assert "For Wednesday, December 2nd, at 9 in the morning, press 1, or say first." in listed.text
    assert "For later times, press 4, or say more times." in listed.text
    chosen = phone.say("the nine thirty one")
    assert "You chose Wednesday, December 2nd, at 9:30 in the morning." in chosen.text
    assert "Please say your first and last name" in phone.say("yes").text
    readback = phone.say("Maria Gonzalez")
    assert "I heard Maria Gonzalez. To book Wednesday, December 2nd, at 9:30 in the morning" in readback.text
    done = phone.press("1")
    assert "You are booked for Wednesday, December 2nd, at 9:30 in the morning." in done.text
    assert flow.nodes["main"].say["en"] in done.text and done.waiting == "gather"  # back at the main menu

    (booking,) = rows(app, bookings)
    assert (booking.name, booking.phone, booking.channel, booking.lang, booking.status) == (
        "Maria Gonzalez", CALLER, "voice", "en", "booked")
    (text,) = rows(app, outbox)
    assert text.to_number == CALLER and text.kind == "booking_confirmation" and text.status == "pending"
    assert "Wed Dec 2, 9:30am for Maria Gonzalez" in text.body and "CANCEL APPT" in text.body


def test_the_callers_name_never_rides_in_a_url(app, phone):
    documents = []
    for action in (phone.call, lambda: phone.press("1"), lambda: phone.press("5"), lambda: phone.press("1"),
                   lambda: phone.press("1"), lambda: phone.say("Zebulon Quartermaine"), phone.silence):
        documents += action().documents
    for document in documents:
        for element in ET.fromstring(document).iter():
            assert "Zebulon" not in (element.get("action") or "") + (element.text or "" if element.tag == "Redirect"
                                                                      else "")
    assert "I heard Zebulon Quartermaine" in phone.turn.text  # the re-prompt still knows it
    assert_valid_twiml(documents)


def test_booking_by_text_end_to_end_then_cancel(app, texter):
    listed = texter.send("BOOK")
    assert "1 Wed Dec 2, 9am\n2 Wed Dec 2, 9:30am\n3 Wed Dec 2, 10am\n4 More times" in listed
    assert "You picked Wed Dec 2, 9:30am. What name" in texter.send("2")
    assert texter.send("Sam Lee") == ("Book Wed Dec 2, 9:30am for Sam Lee? Reply YES to book it, "
                                      "or NO to pick another time.")
    done = texter.send("YES")
    assert done == "Booked: Wed Dec 2, 9:30am for Sam Lee. To cancel, reply CANCEL APPT."
    assert [(b.name, b.channel, b.status) for b in rows(app, bookings)] == [("Sam Lee", "sms", "booked")]

    assert texter.send("cancel appt") == ("Cancel your appointment on Wed Dec 2, 9:30am? "
                                          "Reply YES to cancel it, or NO to keep it.")
    assert texter.send("yes") == "Your appointment on Wed Dec 2, 9:30am is cancelled."
    assert [b.status for b in rows(app, bookings)] == ["cancelled"]
    assert "2 Wed Dec 2, 9:30am" in texter.send("book")  # the slot is open again


def test_cancel_alone_still_opts_out(app, texter):
    texter.send("BOOK")
    assert "unsubscribed" in texter.send("CANCEL")


def test_booking_by_text_in_spanish(app, texter):
    texter.send("ESPANOL")
    listed = texter.send("CITA")
    assert "1 mié 2 dic, 9am" in listed and "4 Mas horarios" in listed
    texter.send("1")
    assert "para Ana Lopez" in texter.send("Ana López")
    assert texter.send("SI").startswith("Cita hecha: mié 2 dic, 9am para Ana Lopez.")
    assert [(b.name, b.lang) for b in rows(app, bookings)] == [("Ana López", "es")]


def test_a_slot_taken_by_someone_else_gives_new_choices(app, signer):
    first, second = Texter(signer, "+15025550001"), Texter(signer, "+15025550002")
    for texter, name in ((first, "One"), (second, "Two")):
        texter.send("BOOK")
        texter.send("1")
        texter.send(name)
    assert first.send("YES").startswith("Booked")
    reply = second.send("YES")
    assert reply.startswith("Sorry, that time was just taken.") and "1 Wed Dec 2, 9:30am" in reply
    assert len(rows(app, bookings)) == 1


def test_twenty_texters_confirming_one_slot_at_once_book_it_once(app):
    texters = [Texter(Signer(app.test_client(), AUTH_TOKEN), f"+1502555{i:04d}") for i in range(20)]
    for i, texter in enumerate(texters):
        texter.send("BOOK")
        texter.send("1")
        texter.send(f"Pat Doe {chr(65 + i)}")
    barrier, replies = threading.Barrier(len(texters)), [None] * len(texters)

    def confirm(i):
        barrier.wait()
        replies[i] = texters[i].send("YES")

    threads = [threading.Thread(target=confirm, args=(i,)) for i in range(len(texters))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(r.startswith("Booked") for r in replies) == 1, replies
    assert sum(r.startswith("Sorry, that time was just taken.") for r in replies) == 19
    assert [b.status for b in rows(app, bookings)] == ["booked"]


def test_text_me_this_sends_the_page_through_the_outbox(app, phone, flow):
    phone.call()
    phone.press("1")
    phone.press("3")
    page = phone.press("1")
    assert "To get this as a text message, press 8" in page.text
    turn = phone.press("8")
    assert flow.phrase("text_sent", "en") in turn.text and turn.waiting == "gather"
    (text,) = rows(app, outbox)
    assert text.kind == "content" and text.to_number == CALLER
    assert text.body.startswith(flow.nodes["physical-therapy"].sms["en"])


def test_text_me_to_an_opted_out_number_is_refused_and_never_queued(app, signer, flow):
    Texter(signer, CALLER).send("STOP")
    phone = Phone(signer, caller=CALLER)
    phone.call()
    phone.press("1")
    phone.press("4")
    turn = phone.press("8")
    assert flow.phrase("text_not_sent", "en") in turn.text
    assert [r.status for r in rows(app, outbox)] == ["blocked"]


def test_outside_office_hours_a_caller_leaves_a_callback(tmp_path, flow):
    app = booking_app(tmp_path, OFFICE_HOURS="Mon-Fri 08:00-08:00")  # never open
    phone = Phone(Signer(app.test_client(), AUTH_TOKEN))
    phone.call()
    phone.press("1")
    offer = phone.press("0")
    assert "Our office is closed now. Our hours are Monday to Friday, 8 in the morning" in offer.text
    assert offer.waiting == "gather" and "Dial" not in offer.documents[-1].decode()
    phone.press("1")
    confirm = phone.say("Jane Public")
    assert "the number ending in 0 1 2 3" in confirm.text
    done = phone.press("1")
    assert "Our staff will call you back at the number ending in 0 1 2 3" in done.text
    assert [(c.name, c.phone, c.status) for c in rows(app, callbacks)] == [("Jane Public", CALLER, "open")]


def test_inside_office_hours_the_person_option_dials_staff(app, phone):
    phone.call()
    phone.press("1")
    assert phone.press("0").waiting == "dial"


def test_booking_by_voice_in_spanish(app, phone):
    phone.call()
    phone.press("2")
    listed = phone.press("5")
    assert "Para el miércoles 2 de diciembre, a las 9 de la mañana, oprima 1, o diga primero." in listed.text
    assert all(lang == "es-US" for _, lang in listed.said)


@pytest.mark.parametrize("withheld", ["+266696687", "anonymous"])
def test_a_withheld_caller_id_is_offered_a_person_not_a_booking(app, signer, flow, withheld):
    phone = Phone(signer, caller=withheld)
    phone.call()
    phone.press("1")
    turn = phone.press("5")
    assert flow.phrase("book_unavailable", "en", phone=flow.line.clinic_phone) in turn.text
    assert "CANCEL" not in phone.say("cancel my appointment").text  # nobody else's booking is shown
    assert not rows(app, bookings)


def test_a_withheld_caller_id_is_asked_for_a_callback_number(tmp_path):
    app = booking_app(tmp_path, OFFICE_HOURS="Mon-Fri 08:00-08:00")
    phone = Phone(Signer(app.test_client(), AUTH_TOKEN), caller="+266696687")
    phone.call()
    phone.press("1")
    phone.press("0")
    phone.press("1")
    assert "Please enter the 10 digit phone number" in phone.say("Jane Public").text
    phone.press("5025550188")
    assert [(c.name, c.phone) for c in rows(app, callbacks)] == [("Jane Public", "+15025550188")]


def test_a_booking_whose_confirmation_cannot_be_queued_is_not_kept(app, signer, monkeypatch):
    """The booking and its confirmation text are one transaction: both, or neither (the caller
    then hears that booking is unavailable, and is offered a person)."""
    def reach_readback() -> Phone:
        phone = Phone(signer, CALLER)
        phone.call()
        phone.press("1")
        phone.say("I want to make an appointment")
        phone.press("1")
        phone.say("yes")
        assert "I heard Maria Gonzalez" in phone.say("Maria Gonzalez").text
        return phone

    def queue_fails(*args, **kwargs):
        raise OperationalError("INSERT INTO outbox", None, sqlite3.OperationalError("disk I/O error"))

    phone = reach_readback()
    monkeypatch.setattr(Outbox, "queue", queue_fails)
    refused = phone.press("1")
    assert "Sorry, booking is not available right now." in refused.text and refused.waiting == "gather"
    assert rows(app, bookings) == [] and rows(app, outbox) == []
    monkeypatch.undo()
    assert "You are booked" in reach_readback().press("1").text  # the slot is still free
    assert len(rows(app, bookings)) == len(rows(app, outbox)) == 1
