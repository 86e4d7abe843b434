"""Appointment reminders: planned for every booking, re-checked and queued when due, each exactly
once however many workers run, and held to the rules for automated health-care texts.

Every test runs on SQLite and on a real PostgreSQL server (the `db` fixture). Time is passed in.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from ivr.reminders.rules import ONE_A_DAY, THREE_A_WEEK
from ivr.reminders.schedule import SHORT_NOTICE, TOO_LATE, Schedule
from ivr.reminders.sending import plan, send_due, send_one
from ivr.render import reminder_texts
from ivr.storage.db import Database
from ivr.storage.reminders import CLAIMED, DUE, REMINDER, SENT, SKIPPED, WAITLIST_OFFER

from booking_fakes import NOW
from reminder_helpers import SCHEDULE, ZONE, book, line_stores, local, texts
from stores import run_together


@pytest.fixture
def stores(db):
    return line_stores(db)


def run(stores, flow, now, owner="worker-a", schedule=SCHEDULE):
    plan(stores, schedule, now)
    return send_due(stores, flow, schedule, now, owner)


def by_kind(stores, booking_id):
    return {r.kind: r for r in stores.reminders.for_booking(booking_id)}


# ---- planning -------------------------------------------------------------------------------------

def test_every_booking_gets_a_reminder_72_and_24_hours_before(stores):
    booking = book(stores, local(8, 10))  # next Tuesday 10:00
    assert plan(stores, SCHEDULE, NOW) == 2
    rows = by_kind(stores, booking.id)
    assert {kind: (r.status, r.due_at) for kind, r in rows.items()} == {
        "72h": (DUE, local(5, 10).astimezone(NOW.tzinfo)), "24h": (DUE, local(7, 10).astimezone(NOW.tzinfo))}
    assert plan(stores, SCHEDULE, NOW) == 0  # the unique key: planning again adds nothing


def test_a_reminder_whose_time_had_passed_when_booked_is_skipped(stores):
    booking = book(stores, local(3, 10))  # Thursday: 72 hours before was Monday
    plan(stores, SCHEDULE, NOW)
    rows = by_kind(stores, booking.id)
    assert (rows["72h"].status, rows["72h"].reason) == (SKIPPED, TOO_LATE)
    assert rows["24h"].status == DUE


def test_a_booking_made_less_than_two_hours_before_gets_none(stores):
    booking = book(stores, local(1, 10, 30))  # in 90 minutes
    plan(stores, SCHEDULE, NOW)
    assert {(r.status, r.reason) for r in by_kind(stores, booking.id).values()} == {(SKIPPED, SHORT_NOTICE)}
    assert run(stores, None, NOW + timedelta(minutes=80)) == {}
    assert texts(stores.db) == []


def test_a_reminder_falling_in_quiet_hours_goes_when_they_end(stores):
    booking = book(stores, local(8, 7, 30))  # 7:30: 24 hours before is 7:30, before 8:00
    plan(stores, SCHEDULE, NOW)
    assert by_kind(stores, booking.id)["24h"].due_at == local(7, 8)


def test_quiet_hours_lasting_until_the_appointment_skip_the_reminder():
    early = Schedule((1,), SCHEDULE.quiet, ZONE)  # one hour before a 7:30 appointment is 6:30, quiet till 8
    from ivr.storage.reminders import ToPlan
    (row,) = early.plan(ToPlan(1, "hash", local(8, 7, 30), NOW))
    assert (row["status"], row["reason"]) == (SKIPPED, "quiet hours until the appointment")


def test_the_settings_read_and_refuse(monkeypatch, tmp_path):
    from ivr.config import ConfigError, from_env
    monkeypatch.setenv("REMINDER_HOURS", "24, 72,24")
    monkeypatch.setenv("QUIET_HOURS", "22:30-7:00")
    monkeypatch.setenv("TWILIO_MPS", "30")
    config = from_env(str(tmp_path))
    assert (config["REMINDER_HOURS"], config["QUIET_HOURS"], config["TWILIO_MPS"]) == ((72, 24), ("22:30", "07:00"), 30)
    for name, bad in (("REMINDER_HOURS", "72h"), ("REMINDER_HOURS", "0,24"), ("QUIET_HOURS", "9pm-8am"),
                      ("QUIET_HOURS", "08:00-08:00"), ("TWILIO_MPS", "fast")):
        monkeypatch.setenv(name, bad)
        with pytest.raises(ConfigError, match=name):
            from_env(str(tmp_path))
        monkeypatch.delenv(name)
    monkeypatch.setenv("QUIET_HOURS", "none")
    monkeypatch.setenv("REMINDER_HOURS", "none")
    assert (from_env(str(tmp_path))["QUIET_HOURS"], from_env(str(tmp_path))["REMINDER_HOURS"]) == (None, ())


# ---- what a reminder says, and to whom -------------------------------------------------------------

def test_a_reminder_goes_to_the_booking_number_within_the_rules(stores, flow):
    booking = book(stores, local(8, 10), phone="+1 (502) 555-0177", name="Maria Elena Lopez")
    assert run(stores, flow, local(5, 10, 1)) == {"sent": 1}
    (text,) = texts(stores.db, REMINDER)
    assert text.to_number == "+15025550177"  # only to the number that made the booking
    body = text.body
    assert reminder_texts.rule_breaks(flow, "en", body) == []
    assert len(body) <= 160 and body.isascii()
    assert flow.name("en") in body and flow.line.clinic_phone in body and "STOP" in body
    assert "Lopez" not in body and "Maria" not in body  # no name of the patient
    assert "Dr. Doss" not in body and "spine surgery" not in body  # nor what the visit is for
    assert "Tue Dec 8, 10am" in body
    assert by_kind(stores, booking.id)["72h"].status == SENT


def test_a_reminder_is_in_the_bookings_language(stores, flow):
    book(stores, local(8, 10), lang="es")
    run(stores, flow, local(5, 10, 1))
    (text,) = texts(stores.db, REMINDER)
    assert text.body == reminder_texts.reminder(flow, "es", local(8, 10))
    assert flow.phrase("sms_reminder", "es", name="", time="", phone="")[:10].replace("í", "i") in text.body
    assert reminder_texts.rule_breaks(flow, "es", text.body) == []


def test_every_reminder_and_offer_text_fits_the_rules_at_its_longest(flow):
    for lang in flow.languages:
        for when in reminder_texts.longest_times():
            for text in (reminder_texts.reminder(flow, lang, when), reminder_texts.offer(flow, lang, when, 30)):
                assert reminder_texts.rule_breaks(flow, lang, text) == [], (lang, text)


@pytest.mark.parametrize(("old", "new", "problem"), [
    ("Reply STOP to opt out.\"\n    es: \"{name}: cita", "\"\n    es: \"{name}: cita", "no STOP to opt out"),
    ("R to change, N to cancel.", "R to change, N to cancel, or write to us any time you like.",
     "over 160 characters"),
    ("Call {phone}. Reply STOP", "Reply STOP", "no clinic phone number"),
])
def test_ivr_validate_refuses_a_reminder_text_that_breaks_the_rules(tmp_path, old, new, problem):
    from test_flow_loader import broken_flows

    from ivr.lint import lint
    folder, line = broken_flows(tmp_path, "booking.yaml", old, new)
    errors = [f.labelled() for f in lint(folder).findings if f.severity == "error"]
    assert any("sms_reminder" in e and "en:" in e and problem in e for e in errors), errors


def test_a_text_that_breaks_the_rules_is_never_sent(stores, flow, monkeypatch):
    book(stores, local(8, 10))
    monkeypatch.setattr(reminder_texts, "reminder", lambda f, lang, when: "Your visit " + "x" * 170)
    assert run(stores, flow, local(5, 10, 1)) == {"skipped": 1}
    assert texts(stores.db) == []
    (reminder,) = [r for r in stores.reminders.list(NOW) if r.kind == "72h"]
    assert reminder.reason.startswith("text breaks the rules: over 160 characters")


# ---- checked again when it goes -------------------------------------------------------------------

def test_cancelling_a_booking_cancels_its_reminders_at_once(stores, flow):
    booking = book(stores, local(8, 10))
    plan(stores, SCHEDULE, NOW)
    assert stores.bookings.cancel(booking.id, NOW)
    assert {(r.status, r.reason) for r in by_kind(stores, booking.id).values()} == {(SKIPPED, "booking cancelled")}
    assert run(stores, flow, local(7, 10, 1)) == {}
    assert texts(stores.db) == []


def test_a_booking_cancelled_after_its_reminder_was_claimed_is_not_reminded(stores, flow):
    booking = book(stores, local(8, 10))
    plan(stores, SCHEDULE, NOW)
    (claimed,) = stores.reminders.claim(local(5, 10, 1), 10, "worker-a")
    with stores.db.begin() as conn:  # cancelled by a path that knows nothing of reminders
        from ivr.storage.tables import bookings
        conn.execute(bookings.update().where(bookings.c.id == booking.id).values(status="cancelled"))
    assert send_one(stores, flow, SCHEDULE, claimed, local(5, 10, 1), "worker-a") == "skipped"
    assert texts(stores.db) == []


def test_an_opted_out_number_gets_no_reminder(stores, flow):
    booking = book(stores, local(8, 10))
    stores.sms.set_opted_out(booking.phone_hash, True, NOW)
    assert run(stores, flow, local(5, 10, 1)) == {"skipped": 1}
    assert [t.status for t in texts(stores.db)] == ["blocked"]  # recorded, never sent
    assert by_kind(stores, booking.id)["72h"].reason == "opted out"


def test_a_number_in_a_country_the_clinic_does_not_text_gets_none(stores, flow):
    booking = book(stores, local(8, 10), phone="+18765550123")  # Jamaica shares +1
    run(stores, flow, local(5, 10, 1))
    assert by_kind(stores, booking.id)["72h"].reason == "country not allowed"
    assert [t.status for t in texts(stores.db)] == ["refused"]


def test_a_reminder_due_in_quiet_hours_waits_for_the_morning(stores, flow):
    booking = book(stores, local(8, 10))
    plan(stores, SCHEDULE, NOW)
    late = local(5, 22)  # the worker comes round at 10 pm (it was down, or busy)
    assert run(stores, flow, late) == {"deferred": 1}
    assert by_kind(stores, booking.id)["72h"].due_at == local(6, 8)
    assert run(stores, flow, local(6, 7, 59)) == {}
    assert run(stores, flow, local(6, 8)) == {"sent": 1}


def test_at_most_one_automated_text_a_day_to_a_number(stores, flow):
    first = book(stores, local(8, 10))
    second = book(stores, local(8, 11), phone=first.phone)  # the same number, two bookings
    assert run(stores, flow, local(5, 11, 1)) == {"sent": 1, "deferred": 1}
    assert len(texts(stores.db, REMINDER)) == 1
    deferred = by_kind(stores, second.id)["72h"]
    assert (deferred.status, deferred.reason, deferred.due_at) == (DUE, ONE_A_DAY, local(6, 8))
    assert run(stores, flow, local(6, 8)) == {"sent": 1}


def test_at_most_three_a_week_to_a_number(stores, flow):
    phone = "+15025550123"
    for day in (1, 2, 3):  # three texts this week already (offers count too)
        stores.outbox.queue(phone, "earlier", WAITLIST_OFFER if day == 2 else REMINDER, local(day, 12))
    booking = book(stores, local(5, 12), phone=phone)  # Saturday noon: 24 hours before is Friday noon
    assert run(stores, flow, local(4, 12)) == {"skipped": 1, "deferred": 1}  # the 72h one went by meanwhile
    assert (by_kind(stores, booking.id)["24h"].reason, by_kind(stores, booking.id)["24h"].due_at) == (
        THREE_A_WEEK, local(5, 8))
    assert run(stores, flow, local(5, 8)) == {"skipped": 1}  # still three this week, and Sunday is too late
    assert by_kind(stores, booking.id)["24h"].reason == THREE_A_WEEK
    assert len(texts(stores.db)) == 3


def test_after_a_worker_was_down_only_the_latest_due_reminder_goes(stores, flow):
    booking = book(stores, local(8, 10))
    assert run(stores, flow, local(7, 12)) == {"skipped": 1, "sent": 1}  # both due now: 72h and 24h
    rows = by_kind(stores, booking.id)
    assert (rows["72h"].status, rows["72h"].reason) == (SKIPPED, "a later reminder went instead")
    assert rows["24h"].status == SENT


# ---- moving a booking -----------------------------------------------------------------------------------

def test_moving_books_the_new_time_first_then_frees_the_old_and_moves_the_reminders(stores, flow):
    booking = book(stores, local(8, 10))
    plan(stores, SCHEDULE, NOW)
    (later,) = stores.slots.add_slots(local(10, 9), timedelta(minutes=30), 1, now=NOW)
    moved = stores.bookings.move(booking.id, later.id, booking.phone_hash, NOW)
    assert moved.slot.id == later.id and moved.status == "booked" and moved.confirmed_at is not None
    assert stores.bookings.booking(booking.id).status == "moved"
    assert stores.slots.open_slot(booking.slot.id, NOW) is not None  # the old time is free again
    assert {r.reason for r in by_kind(stores, booking.id).values()} == {"booking moved"}
    plan(stores, SCHEDULE, NOW)
    assert {kind: r.due_at for kind, r in by_kind(stores, moved.id).items()} == {
        "72h": local(7, 9), "24h": local(9, 9)}


def test_a_move_to_a_time_someone_took_changes_nothing(stores):
    mine = book(stores, local(8, 10))
    theirs = book(stores, local(9, 10), phone="+15025550177")
    assert stores.bookings.move(mine.id, theirs.slot.id, mine.phone_hash, NOW) is None
    assert stores.bookings.booking(mine.id).status == "booked"
    assert stores.bookings.booking(theirs.id).status == "booked"


def test_only_the_bookings_own_number_moves_it(stores):
    mine = book(stores, local(8, 10))
    (free,) = stores.slots.add_slots(local(10, 9), timedelta(minutes=30), 1, now=NOW)
    assert stores.bookings.move(mine.id, free.id, "someone-elses-hash", NOW) is None
    assert stores.bookings.booking(mine.id).status == "booked"


def test_two_moves_racing_for_one_time_end_as_booking_races_do(db, db_url):
    stores = line_stores(db)
    one = book(stores, local(8, 10))
    two = book(stores, local(8, 11), phone="+15025550177")
    (free,) = stores.slots.add_slots(local(10, 9), timedelta(minutes=30), 1, now=NOW)
    jobs = [lambda s, b=b: s.bookings.move(b.id, free.id, b.phone_hash, NOW) for b in (one, two)]
    results = run_together(db_url, jobs, line_stores)
    assert sum(result is not None for result in results) == 1, results
    on_free = [b for b in stores.bookings.list_bookings(NOW, status="booked") if b.slot.id == free.id]
    assert len(on_free) == 1
    assert sorted(b.status for b in map(stores.bookings.booking, (one.id, two.id))) == ["booked", "moved"]


# ---- exactly once -----------------------------------------------------------------------------------------

def test_two_workers_claiming_the_same_due_reminders_at_once_queue_each_once(db, db_url, flow):
    stores = line_stores(db)
    bookings = [book(stores, local(8, 10) + timedelta(minutes=5 * n), phone=f"+1502555{n:04d}") for n in range(24)]
    plan(stores, SCHEDULE, NOW)
    now = local(5, 12)

    def worker(name):
        return lambda own: send_due(own, flow, SCHEDULE, now, name)

    counts = run_together(db_url, [worker("a"), worker("b"), worker("c")], line_stores)
    assert sum(c["sent"] for c in counts) == 24, counts
    sent = texts(db, REMINDER)
    assert len(sent) == 24
    assert sorted(t.to_number for t in sent) == sorted(b.phone for b in bookings)


def test_two_planners_at_once_plan_each_reminder_once(db, db_url):
    stores = line_stores(db)
    for n in range(10):
        book(stores, local(8, 10) + timedelta(minutes=5 * n), phone=f"+1502555{n:04d}")
    run_together(db_url, [lambda own: plan(own, SCHEDULE, NOW)] * 3, line_stores)
    assert len(stores.reminders.list(NOW)) == 20


def test_a_crash_between_claiming_and_sending_loses_nothing(db, flow):
    stores = line_stores(db)
    booking = book(stores, local(8, 10))
    plan(stores, SCHEDULE, NOW)
    due = local(5, 10, 1)
    (claimed,) = stores.reminders.claim(due, 10, "a-worker-that-dies")  # ... and it dies
    assert claimed.status == CLAIMED
    restarted = line_stores(Database(db.url))  # a new process on the same database
    assert run(restarted, flow, due + timedelta(minutes=1), "worker-b") == {}  # its lease may still be live
    assert run(restarted, flow, due + timedelta(minutes=3), "worker-b") == {"sent": 1}
    assert len(texts(db, REMINDER)) == 1
    assert by_kind(stores, booking.id)["72h"].status == SENT
    restarted.db.dispose()


def test_a_worker_that_lost_its_lease_keeps_nothing_of_its_send(db, flow):
    stores = line_stores(db)
    book(stores, local(8, 10))
    plan(stores, SCHEDULE, NOW)
    due = local(5, 10, 1)
    (slow,) = stores.reminders.claim(due, 10, "slow-worker")
    later = due + timedelta(minutes=3)  # its lease ran out; another took the reminder and sent it
    assert send_due(stores, flow, SCHEDULE, later, "fast-worker") == {"sent": 1}
    assert send_one(stores, flow, SCHEDULE, slow, later, "slow-worker") == "lost"
    assert len(texts(db, REMINDER)) == 1
