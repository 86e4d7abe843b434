"""Replies to a reminder, and the waitlist, through the real /sms and /voice webhooks, the app's
database and its clock: C or YES confirms, R moves the booking, N or CANCEL APPT cancels after
a question, the opt-out words still opt out, Spanish has its own words, and a reply that fits
nothing gets short help. `ivr reminders run` and `ivr reminders list` as staff and cron run them.

On SQLite, and on PostgreSQL with IVR_TEST_DATABASE=postgresql. Time is the app's clock."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.messaging.reminder_worker import running_reminder_worker
from ivr.render.gsm import to_gsm7
from ivr.storage.tables import bookings, outbox

from booking_fakes import NOW, Clock
from reminder_helpers import NUMBER, at, ivr, line_app, texter_on


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def app(tmp_path, clock):
    return line_app(tmp_path, clock)


@pytest.fixture
def svc(app):
    return app.extensions["ivr"]


def rows(app, table, *where):
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(table).where(*where).order_by(table.c.id)).all()


def texted(app, kind: str) -> list:
    return rows(app, outbox, outbox.c.kind == kind)


def reminded(app, svc, clock, lang: str = "en", number: str = NUMBER):
    """A booking of Tuesday the 8th at 9:00, made now, and its 72-hour reminder sent on the 5th."""
    first = min(svc.slots.open_slots(NOW, 10), key=lambda s: s.starts_at)
    booking = svc.bookings.book(first.id, number, "Sam Lee", "sms", lang, NOW)
    clock.now = at(5, 9, 1)
    assert "1 sent" in ivr(app, "reminders", "run")
    return booking


def reminder_rows(app, booking_id):
    return {r.kind: r for r in app.extensions["ivr"].reminders.for_booking(booking_id)}


def booking_row(app, booking_id):
    (row,) = rows(app, bookings, bookings.c.id == booking_id)
    return row


# ---- confirming ------------------------------------------------------------------------------------

@pytest.mark.parametrize("reply", ["C", "YES", "yes!", "Confirmed, thanks"])
def test_c_or_yes_confirms_and_staff_see_it(app, svc, clock, reply):
    booking = reminded(app, svc, clock)
    answer = texter_on(app).send(reply)
    assert answer.startswith("Thank you. Your visit on Tue Dec 8, 9am is confirmed.")
    assert booking_row(app, booking.id).confirmed_at is not None
    assert reminder_rows(app, booking.id)["72h"].status == "confirmed"
    assert [(r.kind, r.status) for r in svc.reminders.of_booking(booking.id)] == [("72h", "confirmed"), ("24h", "due")]
    listed = ivr(app, "reminders", "list")
    assert "***0123" in listed and NUMBER not in listed and "5025550123" not in listed
    assert [line.split()[7] for line in listed.splitlines()[1:]] == ["confirmed", "due"]


def test_a_sentence_that_says_it_will_not_come_does_not_confirm(app, svc, clock):
    booking = reminded(app, svc, clock)
    texter_on(app).send("yes but I can't make it")
    assert booking_row(app, booking.id).confirmed_at is None


def test_another_numbers_reply_is_not_about_the_booking(app, svc, clock):
    booking = reminded(app, svc, clock)
    texter_on(app, "+15025550177").send("C")
    assert booking_row(app, booking.id).confirmed_at is None


# ---- moving -------------------------------------------------------------------------------------------

def test_r_lists_the_next_open_times_and_choosing_one_moves_the_booking(app, svc, clock):
    booking = reminded(app, svc, clock)
    texter = texter_on(app)
    listed = texter.send("R")
    assert listed.startswith("1 Tue Dec 8, 9:30am\n2 Tue Dec 8, 10am\n3 Tue Dec 8, 10:30am\n")
    assert "WAIT" not in listed  # moving a booking is not joining the waitlist
    assert texter.send("2") == "Done: your visit is now Tue Dec 8, 10am. To cancel, reply CANCEL APPT."
    assert booking_row(app, booking.id).status == "moved"
    (moved,) = rows(app, bookings, bookings.c.status == "booked")
    assert svc.slots.slot(moved.slot_id).starts_at == at(8, 10)
    assert svc.slots.open_slot(booking.slot.id, clock.now) is not None  # the old time is free again
    assert {r.status for r in reminder_rows(app, booking.id).values()} == {"sent", "skipped"}
    clock.now = at(7, 10, 1)
    assert ivr(app, "reminders", "run").startswith("2 planned, 1 sent, 1 skipped;")  # 72h: booked after it
    assert reminder_rows(app, moved.id)["24h"].status == "sent"  # the moved booking is reminded at its new time
    assert texted(app, "reminder")[-1].body.count("Tue Dec 8, 10am") == 1


def test_a_time_taken_while_choosing_gets_new_choices_and_the_booking_stays(app, svc, clock):
    booking = reminded(app, svc, clock)
    texter = texter_on(app)
    texter.send("R")
    ten = next(s for s in svc.slots.open_slots(clock.now, 10) if s.starts_at == at(8, 10))
    svc.bookings.book(ten.id, "+15025550177", "Ana Ruiz", "sms", "en", clock.now)  # someone else, first
    answer = texter.send("2")
    assert answer.startswith("Sorry, that time was just taken.") and "Tue Dec 8, 10:30am" in answer
    assert booking_row(app, booking.id).status == "booked"
    assert texter.send("1").startswith("Done: your visit is now Tue Dec 8, 9:30am.")


# ---- cancelling --------------------------------------------------------------------------------------

@pytest.mark.parametrize("reply", ["N", "CANCEL APPT", "cancel my appointment please"])
def test_n_or_cancel_appt_cancels_after_a_question(app, svc, clock, reply):
    booking = reminded(app, svc, clock)
    texter = texter_on(app)
    assert texter.send(reply) == "Cancel your appointment on Tue Dec 8, 9am? Reply YES to cancel it, or NO to keep it."
    assert booking_row(app, booking.id).status == "booked"  # not before the answer
    assert texter.send("YES") == "Your appointment on Tue Dec 8, 9am is cancelled."
    assert booking_row(app, booking.id).status == "cancelled"
    assert (reminder_rows(app, booking.id)["24h"].status, reminder_rows(app, booking.id)["24h"].reason) == (
        "skipped", "booking cancelled")


def test_no_to_the_question_keeps_the_booking(app, svc, clock):
    booking = reminded(app, svc, clock)
    texter = texter_on(app)
    texter.send("N")
    assert texter.send("NO") == "OK, your appointment on Tue Dec 8, 9am is kept."
    assert booking_row(app, booking.id).status == "booked"


@pytest.mark.parametrize("word", ["CANCEL", "STOP", "unsubscribe"])
def test_bare_cancel_and_stop_still_opt_out_and_no_more_reminders_go(app, svc, clock, flow, word):
    booking = reminded(app, svc, clock)
    answer = texter_on(app).send(word)
    assert answer == to_gsm7(flow.phrase("sms_stopped", "en", name=flow.name("en")))
    assert booking_row(app, booking.id).status == "booked"  # an opt-out is not a cancellation
    clock.now = at(7, 9, 1)
    assert "1 skipped" in ivr(app, "reminders", "run")
    assert reminder_rows(app, booking.id)["24h"].reason == "opted out"
    assert [t.status for t in texted(app, "reminder")] == ["pending", "blocked"]  # never sent
    assert "opted out" in ivr(app, "reminders", "list")


# ---- Spanish, and help -----------------------------------------------------------------------------------

def test_spanish_has_its_own_words(app, svc, clock, flow):
    booking = reminded(app, svc, clock, lang="es")
    assert texted(app, "reminder")[0].body.startswith(to_gsm7(flow.name("es")) + ": cita el")
    texter = texter_on(app)
    assert texter.send("SI").startswith("Gracias. Su cita del")
    assert booking_row(app, booking.id).confirmed_at is not None
    assert "Responda con un numero para cambiar su cita" in to_gsm7(texter.send("CAMBIAR"))
    texter.send("MENU")
    assert texter.send("CANCELAR CITA").startswith("¿Cancelar su cita del")
    assert texter.send("SI").startswith("Su cita del") and booking_row(app, booking.id).status == "cancelled"


@pytest.mark.parametrize("reply", ["purple elephants", "what?"])
def test_a_reply_that_fits_nothing_gets_short_help(app, svc, clock, reply):
    reminded(app, svc, clock)
    answer = texter_on(app).send(reply)
    help_line = "Reply C to confirm your visit on Tue Dec 8, 9am, R to pick a new time, or N to cancel it."
    assert answer.endswith("\n" + help_line)
    assert len(answer) <= 160


def test_without_a_reminder_the_words_go_to_the_menus_as_before(app, svc):
    answer = texter_on(app).send("C")
    assert "Thank you" not in answer and "confirm" not in answer.lower()


# ---- the background worker, and the commands staff and cron run -----------------------------------------

def test_each_servers_background_worker_runs_the_rounds(tmp_path, clock):
    app = line_app(tmp_path, clock, REMINDERS_WORKER=True, REMINDERS_POLL_SECONDS=3600)
    worker = running_reminder_worker(app)
    try:
        assert worker.wait_for_rounds(1)  # its first round, at start
        svc = app.extensions["ivr"]
        first = min(svc.slots.open_slots(NOW, 10), key=lambda s: s.starts_at)
        booking = svc.bookings.book(first.id, NUMBER, "Sam Lee", "sms", "en", NOW)
        clock.now = at(5, 9, 1)
        done = worker.rounds
        worker.wake()
        assert worker.wait_for_rounds(done + 1)
        assert reminder_rows(app, booking.id)["72h"].status == "sent"
        assert len(texted(app, "reminder")) == 1
    finally:
        worker.stop()



def test_reminders_run_and_list_show_due_sent_confirmed_and_skipped_and_why(app, svc, clock):
    first = reminded(app, svc, clock)
    texter_on(app).send("C")
    late = svc.slots.add_slots(at(5, 12), timedelta(minutes=30), 1, "", 30, clock.now)[0]
    svc.bookings.book(late.id, "+15025550177", "Ana Ruiz", "sms", "en", clock.now)  # 3 hours ahead
    assert ivr(app, "reminders", "run").startswith("2 planned;")  # skipped as planned
    listed = ivr(app, "reminders", "list").splitlines()
    assert listed[0].split()[:4] == ["id", "booking", "kind", "appointment"]
    statuses = {(line.split()[1], line.split()[2]): line for line in listed[1:]}
    assert "confirmed" in statuses[(str(first.id), "72h")] and "due" in statuses[(str(first.id), "24h")]
    assert "booked after this reminder's time" in statuses[("2", "72h")]
    assert "***0177" in statuses[("2", "24h")] and "+15025550177" not in "\n".join(listed)
    assert "nothing to do" in ivr(app, "reminders", "run")
    assert "confirmed" not in ivr(app, "reminders", "list", "--status", "due")
