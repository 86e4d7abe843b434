"""The waitlist: joining it by text and by voice, and freed times offered to one waiting person
at a time, for WAITLIST_OFFER_MINUTES; the first YES within it books; a late YES, or one after
someone else took the time, is told it was taken and given new choices. Never two bookings on
one slot; a number that opted out is offered nothing.

The store-level tests run on SQLite and on PostgreSQL (the `db` fixture); the webhook tests on
PostgreSQL with IVR_TEST_DATABASE=postgresql. Time is passed in (the app's clock)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from ivr.booking.days import Days, parse
from ivr.privacy import phone_hash
from ivr.reminders.offers import join, offer_freed_times, take
from ivr.storage.reminders import WAITLIST_OFFER
from ivr.storage.tables import bookings, waitlist_offers
from ivr.storage.times import as_utc
from ivr.storage.waitlist import EXPIRED, OPEN, TAKEN

from booking_fakes import NOW, Clock
from reminder_helpers import NUMBER, SCHEDULE, at, book, ivr, line_app, line_stores, local, texter_on, texts
from stores import run_together

WAITER, SECOND = "+15025550111", "+15025550122"
ANY = Days(None, None)


@pytest.fixture
def stores(db):
    return line_stores(db)


def offers(db) -> list:
    with db.begin() as conn:
        return conn.execute(select(waitlist_offers).order_by(waitlist_offers.c.id)).all()


def freed(stores, starts=None, when=NOW):
    """A time booked by someone else, then cancelled at `when`: freed."""
    taken = book(stores, starts or local(8, 10), phone="+15025550199", made=when - timedelta(hours=1))
    assert stores.bookings.cancel(taken.id, when)
    return taken.slot


def waiting(stores, phone=WAITER, days=ANY, when=NOW - timedelta(hours=2), name="Ana Ruiz"):
    return join(stores, SCHEDULE, phone, name, "en", "sms", days, when)


def offer_round(stores, flow, now=NOW):
    return offer_freed_times(stores, flow, SCHEDULE, now)


# ---- offers, one person at a time ------------------------------------------------------------------

def test_a_cancelled_time_is_offered_to_the_first_waiting_person_only(stores, flow):
    first, second = waiting(stores), waiting(stores, SECOND, when=NOW - timedelta(hours=1))
    slot = freed(stores)
    assert offer_round(stores, flow)["offered"] == 1
    (offer,) = offers(stores.db)
    assert (offer.entry_id, offer.slot_id, offer.status) == (first.id, slot.id, OPEN)
    assert as_utc(offer.expires_at) == NOW + timedelta(minutes=30)
    (text,) = texts(stores.db, WAITLIST_OFFER)
    assert text.to_number == WAITER and "Tue Dec 8, 10am" in text.body and "30 min" in text.body
    assert offer_round(stores, flow, NOW + timedelta(minutes=29))["offered"] == 0  # still the first's to answer
    counts = offer_round(stores, flow, NOW + timedelta(minutes=30))  # expired: the next person's turn
    assert (counts["expired"], counts["offered"]) == (1, 1)
    assert [(o.entry_id, o.status) for o in offers(stores.db)] == [(first.id, EXPIRED), (second.id, OPEN)]
    assert offer_round(stores, flow, NOW + timedelta(minutes=61))["offered"] == 0  # no one is offered it twice


def test_the_offer_holds_for_waitlist_offer_minutes(stores, flow):
    waiting(stores)
    freed(stores)
    offer_freed_times(stores, flow, replace(SCHEDULE, offer_minutes=10), NOW)
    (offer,) = offers(stores.db)
    assert as_utc(offer.expires_at) == NOW + timedelta(minutes=10)
    assert "10 min" in texts(stores.db, WAITLIST_OFFER)[0].body


def test_a_time_freed_by_a_move_or_new_slots_is_offered_too(stores, flow):
    first, second = waiting(stores), waiting(stores, SECOND)
    mover = book(stores, local(8, 10), phone="+15025550199", made=NOW - timedelta(days=1))
    (later,) = stores.slots.add_slots(local(9, 15), timedelta(minutes=30), 1, now=NOW - timedelta(days=1))
    assert stores.bookings.move(mover.id, later.id, mover.phone_hash, NOW) is not None
    assert offer_round(stores, flow)["offered"] == 1
    assert [(o.entry_id, o.slot_id) for o in offers(stores.db)] == [(first.id, mover.slot.id)]
    (added,) = stores.slots.add_slots(local(10, 9), timedelta(minutes=30), 1, now=NOW + timedelta(minutes=5))
    assert offer_round(stores, flow, NOW + timedelta(minutes=6))["offered"] == 1
    assert offers(stores.db)[-1].entry_id == second.id and offers(stores.db)[-1].slot_id == added.id


def test_a_time_open_when_they_joined_is_not_offered(stores, flow):
    stores.slots.add_slots(local(8, 10), timedelta(minutes=30), 1, now=NOW - timedelta(days=1))
    waiting(stores)  # they saw it, and it did not suit
    assert offer_round(stores, flow) == {}


def test_only_a_time_on_their_days_is_offered(stores, flow):
    waiting(stores, days=Days(date(2026, 12, 9), date(2026, 12, 10)))
    freed(stores, local(8, 10))
    assert offer_round(stores, flow)["offered"] == 0
    freed(stores, local(9, 10), NOW + timedelta(minutes=1))
    assert offer_round(stores, flow, NOW + timedelta(minutes=2))["offered"] == 1


def test_an_opted_out_number_is_never_offered_anything_and_waits_no_more(stores, flow):
    entry = waiting(stores)
    stores.sms.set_opted_out(entry.phone_hash, True, NOW)
    freed(stores)
    assert offer_round(stores, flow)["cannot text"] == 1
    assert stores.waitlist.waiting_entry(entry.phone_hash) is None
    assert offers(stores.db) == [] and texts(stores.db) == []  # the offer went with the text it could not send
    waiting(stores, SECOND)  # waiting since before the time freed up: it goes on to them
    assert offer_round(stores, flow, NOW + timedelta(minutes=1))["offered"] == 1
    assert [t.to_number for t in texts(stores.db)] == [SECOND]


def test_no_offers_in_quiet_hours_nor_over_the_daily_cap(stores, flow):
    waiting(stores)
    freed(stores, when=local(1, 22))
    assert offer_round(stores, flow, local(1, 22, 5)) == {}  # quiet hours
    stores.outbox.queue(WAITER, "a reminder", "reminder", local(2, 8, 1))  # today's automated text
    assert offer_round(stores, flow, local(2, 8, 5))["passed"] == 1
    assert offer_round(stores, flow, local(3, 8, 5))["offered"] == 1  # the next day


def test_someone_holding_an_upcoming_booking_is_not_offered(stores, flow):
    entry = waiting(stores)
    book(stores, local(9, 9), phone=WAITER)
    freed(stores)
    assert offer_round(stores, flow)["offered"] == 0
    assert stores.waitlist.waiting_entry(entry.phone_hash) is not None


# ---- taking an offer -------------------------------------------------------------------------------

def test_the_first_yes_within_the_time_books_it_and_a_late_one_does_not(stores, flow):
    entry = waiting(stores)
    slot = freed(stores)
    offer_round(stores, flow)
    (offer,) = offers(stores.db)
    assert take(stores, offer.id, entry.phone_hash, NOW + timedelta(minutes=30)) is None  # too late
    booked = take(stores, offer.id, entry.phone_hash, NOW + timedelta(minutes=29))
    assert (booked.slot.id, booked.name, booked.phone) == (slot.id, "Ana Ruiz", WAITER)
    assert offers(stores.db)[0].status == TAKEN
    assert take(stores, offer.id, entry.phone_hash, NOW + timedelta(minutes=29)) is None  # once


def test_a_yes_after_someone_else_booked_the_time_gets_nothing(stores, flow):
    entry = waiting(stores)
    slot = freed(stores)
    offer_round(stores, flow)
    (offer,) = offers(stores.db)
    stores.bookings.book(slot.id, "+15025550133", "Lee Park", "sms", "en", NOW + timedelta(minutes=1))
    assert take(stores, offer.id, entry.phone_hash, NOW + timedelta(minutes=2)) is None
    assert take(stores, offer.id, "another-numbers-hash", NOW + timedelta(minutes=2)) is None


def test_never_two_bookings_on_one_slot_when_a_yes_races_a_booking(db, db_url, flow):
    stores = line_stores(db)
    entry = waiting(stores)
    slot = freed(stores)
    offer_round(stores, flow)
    (offer,) = offers(db)
    later = NOW + timedelta(minutes=5)
    jobs = [lambda own: take(own, offer.id, entry.phone_hash, later),
            lambda own: own.bookings.book(slot.id, "+15025550133", "Lee Park", "sms", "en", later)]
    results = run_together(db_url, jobs, line_stores)
    with db.begin() as conn:
        on_slot = conn.execute(select(bookings).where(bookings.c.slot_id == slot.id,
                                                      bookings.c.status == "booked")).all()
    assert len(on_slot) == 1, results
    assert (offers(db)[0].status == TAKEN) == (on_slot[0].phone == WAITER)


# ---- the days written after WAIT ------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "lang", "days"), [
    ("", "en", ANY),
    ("next week", "en", Days(date(2026, 12, 7), date(2026, 12, 13))),
    ("friday", "en", Days(date(2026, 12, 4), date(2026, 12, 4))),
    ("12/5-12/9", "en", Days(date(2026, 12, 5), date(2026, 12, 9))),
    ("5 de diciembre", "es", Days(date(2026, 12, 5), date(2026, 12, 5))),
    ("after 12/5", "en", Days(date(2026, 12, 6), None)),
])
def test_the_days_after_wait_are_read(text, lang, days):
    assert parse(text, lang, date(2026, 12, 1)) == days


def test_days_that_cannot_be_read_are_none():
    assert parse("whenever the moon is full", "en", date(2026, 12, 1)) is None


# ---- by text and by voice, through the webhooks -----------------------------------------------------------

OFFER_MINUTES = 20  # WAITLIST_OFFER_MINUTES of the app below: not the default


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def app(tmp_path, clock):
    return line_app(tmp_path, clock, WAITLIST_OFFER_MINUTES=OFFER_MINUTES)

def test_a_texter_joins_by_wait_and_takes_the_offer_with_yes(app, clock):
    svc, texter = app.extensions["ivr"], texter_on(app)
    assert "Reply WAIT to join the waiting list." in texter.send("BOOK")
    assert texter.send("WAIT next week").startswith("Waiting list for")
    assert texter.send("Ana Ruiz").startswith("You are on the waiting list as Ana Ruiz")
    ((entry, _),) = svc.waitlist.list(clock.now)
    assert (entry.name, entry.phone, entry.earliest, entry.latest) == (
        "Ana Ruiz", NUMBER, at(7, 0), at(14, 0))
    other = svc.bookings.book(svc.slots.open_slots(clock.now, 1)[0].id, "+15025550177", "Lee Park", "sms", "en",
                              clock.now)
    clock.now = at(1, 10)
    svc.bookings.cancel(other.id, clock.now)
    assert "1 offered" in ivr(app, "reminders", "run")
    assert f"{OFFER_MINUTES} min" in texts(svc.db, WAITLIST_OFFER)[-1].body
    clock.now = at(1, 10, OFFER_MINUTES - 1)
    assert texter.send("YES").startswith("Booked: Tue Dec 8, 9am for Ana Ruiz.")
    assert "Ana Ruiz" in ivr(app, "waitlist", "list", "--all") and "taken" in ivr(app, "waitlist", "list", "--all")


@pytest.mark.parametrize("why", ["expired", "someone else took it"])
def test_a_late_yes_is_told_the_time_was_taken_and_given_new_choices(app, clock, why):
    svc, texter = app.extensions["ivr"], texter_on(app)
    texter.send("BOOK")
    texter.send("WAIT")
    texter.send("Ana Ruiz")
    nine = svc.slots.open_slots(clock.now, 1)[0]
    other = svc.bookings.book(nine.id, "+15025550177", "Lee Park", "sms", "en", clock.now)
    clock.now = at(1, 10)
    svc.bookings.cancel(other.id, clock.now)
    assert "1 offered" in ivr(app, "reminders", "run")
    if why == "expired":
        clock.now = at(1, 10, OFFER_MINUTES)  # it held for WAITLIST_OFFER_MINUTES, and no longer
    else:
        clock.now = at(1, 10, 5)
        svc.bookings.book(nine.id, "+15025550188", "Kim Diaz", "sms", "en", clock.now)
    answer = texter.send("YES")
    assert answer.startswith("Sorry, that time was just taken.")
    first_choice = "Tue Dec 8, 9am" if why == "expired" else "Tue Dec 8, 9:30am"
    assert answer.splitlines()[1] == f"1 {first_choice}"
    assert [b.phone for b in svc.bookings.list_bookings(clock.now, status="booked")] == (
        [] if why == "expired" else ["+15025550188"])
    assert texter.send("1").startswith(f"You picked {first_choice}.")  # the new choices work as a booking does


def test_spanish_espera_with_days_joins_the_waitlist(app, clock):
    svc, texter = app.extensions["ivr"], texter_on(app)
    texter.send("ESPAÑOL")
    assert "Responda ESPERA para la lista de espera." in texter.send("CITA")
    assert texter.send("ESPERA la proxima semana").startswith("Lista de espera para")
    assert texter.send("Ana Ruiz").startswith("Esta en la lista de espera como Ana Ruiz")  # folded to GSM-7
    ((entry, _),) = svc.waitlist.list(clock.now)
    assert (entry.lang, entry.earliest, entry.latest) == ("es", at(7, 0), at(14, 0))


def test_days_that_cannot_be_read_are_asked_again(app, clock):
    texter = texter_on(app)
    texter.send("BOOK")
    assert "WAIT next week" in texter.send("WAIT whenever the moon is full")
    assert app.extensions["ivr"].waitlist.list(clock.now) == []


def test_a_caller_whose_number_gets_no_texts_is_told_so_and_not_put_on_the_list(app, phone):
    svc = app.extensions["ivr"]
    svc.sms.set_opted_out(phone_hash(NUMBER, app.config["SECRET_KEY"]), True, NOW)
    phone.call()
    phone.press("1")
    phone.say("I want to make an appointment")
    assert "this phone does not get our texts" in phone.press("5").text
    assert svc.waitlist.list(NOW) == []


def test_a_caller_joins_by_a_key_where_no_time_suits(app, phone):
    svc = app.extensions["ivr"]
    phone.call()
    phone.press("1")
    listed = phone.say("I want to make an appointment")
    assert "To join the waiting list, press 5, or say waiting list." in listed.text
    assert "first and last name for the waiting list" in phone.press("5").text
    assert "You are on the waiting list" in phone.say("Maria Gonzalez").text
    ((entry, _),) = svc.waitlist.list(at(1, 9))
    assert (entry.name, entry.channel, entry.phone) == ("Maria Gonzalez", "voice", NUMBER)


def test_a_caller_finding_no_open_time_joins_by_a_word(app, clock, phone):
    svc = app.extensions["ivr"]
    for slot in svc.slots.open_slots(clock.now, 10):
        svc.slots.remove_slot(slot.id)
    phone.call()
    phone.press("1")
    listed = phone.say("I want to make an appointment")
    assert "There are no open times right now." in listed.text and "press 5, or say waiting list" in listed.text
    assert "first and last name for the waiting list" in phone.say("put me on the waiting list").text
    phone.say("Maria Gonzalez")
    assert [entry.name for entry, _ in svc.waitlist.list(clock.now)] == ["Maria Gonzalez"]
