"""The booking store on a real SQLite file and on a real PostgreSQL server: slots, bookings,
callbacks, CSV import, and no slot ever booked twice however many callers confirm it at once."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from ivr.privacy import phone_hash
from ivr.storage.db import Database
from ivr.storage.slots import Slot
from ivr.storage.tables import bookings, slots

from stores import appointments
from stores import run_together as race

SECRET = "test-secret"
NOW = datetime(2030, 3, 1, 12, 0, tzinfo=timezone.utc)
NY = ZoneInfo("America/New_York")
CALLER, OTHER = "+15025550123", "+15025550177"
CONFIRMATIONS = 24  # callers confirming the same slot at the same moment


@pytest.fixture
def store(db):
    return appointments(db, SECRET)


def hours(n: float) -> datetime:
    return NOW + timedelta(hours=n)


def add(store, at: datetime, label: str = "", count: int = 1, **kw) -> list[Slot]:
    return store.slots.add_slots(at, timedelta(minutes=30), count, label=label, now=NOW, **kw)


def book(store, slot: Slot, phone: str = CALLER, name: str = "Jane Doe", now: datetime = NOW):
    return store.bookings.book(slot.id, phone, name, "sms", "en", now)


def booking_rows(db: Database, slot_id: int) -> list:
    with db.begin() as conn:
        return conn.execute(select(bookings).where(bookings.c.slot_id == slot_id)).all()


def run_together(db_url: str, jobs: list) -> list:
    """Each job(store) raced from its own connection (stores.run_together)."""
    return race(db_url, jobs, lambda own: appointments(own, SECRET))


# ---- the key guarantee ---------------------------------------------------------------------------

def test_concurrent_confirmations_of_one_slot_book_it_exactly_once(store, db, db_url):
    slot = add(store, hours(24), "Dr. Doss")[0]
    jobs = [lambda s, i=i: s.bookings.book(slot.id, f"+1502555{i:04d}", f"Caller {i}", "voice", "en", NOW)
            for i in range(CONFIRMATIONS)]

    results = run_together(db_url, jobs)

    assert not [r for r in results if isinstance(r, Exception)]
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and results.count(None) == CONFIRMATIONS - 1
    rows = booking_rows(db, slot.id)
    assert [(r.id, r.status, r.phone_hash) for r in rows] == [(winners[0].id, "booked", winners[0].phone_hash)]
    assert store.slots.open_slots(NOW) == []


def test_removing_a_slot_while_it_is_being_booked_leaves_one_or_the_other(store, db, db_url):
    candidates = add(store, hours(24), count=10)
    jobs = []
    for slot in candidates:
        jobs += [lambda s, slot=slot: s.bookings.book(slot.id, CALLER, "Jane", "voice", "en", NOW),
                 lambda s, slot=slot: s.slots.remove_slot(slot.id)]

    results = run_together(db_url, jobs)

    for slot, booked, removed in zip(candidates, results[::2], results[1::2]):
        was_booked = booked is not None
        assert not isinstance(booked, Exception)
        assert removed is True or (isinstance(removed, ValueError) and f"slot {slot.id}" in str(removed))
        assert was_booked == (removed is not True)  # exactly one of the two happened
        with db.begin() as conn:
            gone = conn.execute(select(slots.c.removed).where(slots.c.id == slot.id)).scalar_one()
        assert gone == (not was_booked)
        assert len([r for r in booking_rows(db, slot.id) if r.status == "booked"]) == int(was_booked)


# ---- slots ---------------------------------------------------------------------------------------

def test_add_slots_stores_utc_and_skips_ones_already_there(store):
    start = datetime(2030, 3, 4, 9, 0, tzinfo=NY)  # 14:00 UTC in winter

    added = store.slots.add_slots(start, timedelta(minutes=30), 4, label="Dr. Doss", now=NOW)

    assert [s.starts_at for s in added] == [datetime(2030, 3, 4, 14, m, tzinfo=timezone.utc) for m in (0, 30)] + [
        datetime(2030, 3, 4, 15, m, tzinfo=timezone.utc) for m in (0, 30)]
    assert all(s.starts_at.tzinfo == timezone.utc and s.minutes == 30 and s.label == "Dr. Doss" for s in added)
    again = store.slots.add_slots(start, timedelta(minutes=30), 6, label="Dr. Doss", now=NOW)
    assert [s.starts_at.astimezone(NY).strftime("%H:%M") for s in again] == ["11:00", "11:30"]
    other = store.slots.add_slots(start, timedelta(hours=1), 1, label="Dr. Ruiz", minutes=45, now=NOW)
    assert other[0].minutes == 45 and other[0].starts_at == added[0].starts_at
    assert len(store.slots.list_slots(NOW)) == 7
    assert store.slots.slot(added[0].id) == added[0]


def test_add_slots_keeps_the_clinic_clock_across_a_daylight_saving_change(store):
    start = datetime(2030, 3, 8, 9, 0, tzinfo=NY)  # clocks go forward on Sunday 2030-03-10

    added = store.slots.add_slots(start, timedelta(days=1), 4, now=NOW)

    assert [s.starts_at.hour for s in added] == [14, 14, 13, 13]
    assert {s.starts_at.astimezone(NY).strftime("%H:%M") for s in added} == {"09:00"}


@pytest.mark.parametrize("start, every, count, kw, message", [
    (datetime(2030, 3, 4, 9), timedelta(minutes=30), 1, {}, "no time zone"),
    (hours(24), timedelta(minutes=30), 0, {}, "count"),
    (hours(24), timedelta(0), 2, {}, "more than zero"),
    (hours(24), timedelta(minutes=30), 1, {"minutes": 0}, "minutes"),
    (hours(24), timedelta(minutes=30), 1, {"label": "x" * 121}, "label"),
])
def test_add_slots_refuses_bad_input(store, start, every, count, kw, message):
    with pytest.raises(ValueError, match=message):
        store.slots.add_slots(start, every, count, now=NOW, **kw)
    assert store.slots.list_slots(NOW, include_past=True) == []


def test_open_slots_are_ordered_by_time_then_id_and_page(store):
    late = add(store, hours(3), "B")[0]
    first_a = add(store, hours(1), "A")[0]
    first_b = add(store, hours(1), "B")[0]  # same time, later id
    middle = add(store, hours(2), "A")[0]
    add(store, hours(-1), "A")  # past
    removed = add(store, hours(1.5), "A")[0]
    store.slots.remove_slot(removed.id)

    assert store.slots.open_slots(NOW, limit=10) == [first_a, first_b, middle, late]
    assert store.slots.open_slots(NOW) == [first_a, first_b, middle]  # three at a time by default
    assert store.slots.open_slots(NOW, limit=2) == [first_a, first_b]
    assert store.slots.open_slots(NOW, limit=2, offset=2) == [middle, late]
    assert store.slots.open_slots(NOW, limit=2, offset=4) == []


def test_a_slot_that_has_started_is_never_offered_nor_booked(store):
    past, starting, soon = add(store, hours(-1))[0], add(store, NOW)[0], add(store, hours(1))[0]

    assert store.slots.open_slots(NOW, limit=10) == [soon]
    assert book(store, past) is None and book(store, starting) is None
    assert store.slots.open_slots(hours(2), limit=10) == []  # time moves on
    assert book(store, soon, now=hours(2)) is None
    assert store.slots.list_slots(hours(2)) == [] and len(store.slots.list_slots(hours(2), include_past=True)) == 3


def test_remove_slot_refuses_a_booked_slot_naming_it(store, db):
    slot, spare = add(store, hours(5), count=2)
    booking = book(store, slot)

    with pytest.raises(ValueError, match=rf"slot {slot.id} is booked"):
        store.slots.remove_slot(slot.id)
    assert store.slots.slot(slot.id) == slot
    assert store.slots.remove_slot(spare.id) is True
    assert store.slots.remove_slot(spare.id) is False and store.slots.remove_slot(9999) is False
    assert store.slots.slot(spare.id) is None and spare not in store.slots.list_slots(NOW)
    assert store.bookings.cancel(booking.id, NOW)
    assert store.slots.remove_slot(slot.id) is True
    assert store.slots.open_slots(NOW) == [] and book(store, slot) is None


def test_a_removed_slot_added_again_is_offered_again(store):
    slot = add(store, hours(5), "Dr. Doss")[0]
    store.slots.remove_slot(slot.id)

    again = add(store, hours(5), "Dr. Doss", minutes=45)

    assert again == [Slot(slot.id, slot.starts_at, 45, "Dr. Doss")]
    assert store.slots.open_slots(NOW) == again


# ---- bookings ------------------------------------------------------------------------------------

def test_booking_takes_the_slot_and_cancelling_frees_it(store, db):
    slot, other_slot = add(store, hours(5), "Dr. Doss", count=2)

    booking = store.bookings.book(slot.id, " (502) 555-0123 ", "  Jane \t  Doe ", "voice", "es", NOW)

    assert booking.slot == slot and booking.status == "booked" and booking.created_at == NOW
    assert (booking.phone, booking.name, booking.channel, booking.lang) == ("5025550123", "Jane Doe", "voice", "es")
    assert booking.phone_hash == phone_hash("5025550123", SECRET)
    assert store.slots.open_slots(NOW) == [other_slot]
    assert book(store, slot, OTHER) is None
    assert store.bookings.cancel(booking.id, hours(1)) is True
    assert store.bookings.cancel(booking.id, hours(1)) is False and store.bookings.cancel(9999, NOW) is False
    assert store.slots.open_slots(NOW) == [slot, other_slot]
    rebooked = book(store, slot, OTHER)
    assert rebooked is not None and rebooked.id != booking.id
    assert sorted(r.status for r in booking_rows(db, slot.id)) == ["booked", "cancelled"]
    assert store.bookings.booking(booking.id).status == "cancelled"


def test_open_slot_is_the_slot_only_while_a_caller_may_book_it(store):
    free, taken, gone = add(store, hours(5), count=3)
    book(store, taken)
    store.slots.remove_slot(gone.id)

    assert store.slots.open_slot(free.id, NOW) == free
    assert store.slots.open_slot(free.id, hours(6)) is None  # started
    assert store.slots.open_slot(taken.id, NOW) is None and store.slots.open_slot(gone.id, NOW) is None
    assert store.slots.open_slot(9999, NOW) is None


def test_book_returns_none_for_a_removed_or_unknown_slot(store):
    slot = add(store, hours(5))[0]
    store.slots.remove_slot(slot.id)

    assert book(store, slot) is None
    assert store.bookings.book(9999, CALLER, "Jane", "sms", "en", NOW) is None


def test_book_limits_the_name_and_refuses_bad_input_without_showing_the_number(store):
    slot = add(store, hours(5))[0]
    long_number = "+1502555012345678901234567890123456789"

    for kwargs, message in [({"phone": long_number}, "phone number"), ({"phone": ""}, "phone number"),
                            ({"channel": "fax"}, "channel"), ({"lang": ""}, "lang"),
                            ({"now": datetime(2030, 3, 1, 12)}, "no time zone")]:
        args = {"phone": CALLER, "name": "Jane", "channel": "sms", "lang": "en", "now": NOW, **kwargs}
        with pytest.raises(ValueError, match=message) as raised:
            store.bookings.book(slot.id, **args)
        assert "5550123" not in str(raised.value)
    booking = store.bookings.book(slot.id, CALLER, "N" * 200, "sms", "en", NOW)
    assert booking.name == "N" * 120


def test_booking_and_callback_reprs_never_show_the_number(store):
    booking = book(store, add(store, hours(5))[0])
    callback = store.callbacks.add_callback(CALLER, "Jane", "en", NOW)

    assert "5550123" not in repr(booking) and "5550123" not in repr(callback)
    assert booking.phone == CALLER and callback.phone == CALLER


def test_next_booking_is_the_callers_soonest_booked_one(store):
    s1, s2, s3, s4 = (add(store, hours(h))[0] for h in (1, 2, 3, 5))
    book(store, s1, OTHER)
    cancelled = book(store, s2)
    store.bookings.cancel(cancelled.id, NOW)
    mine = book(store, s3)
    later = book(store, s4)
    me = phone_hash(CALLER, SECRET)

    assert store.bookings.next_booking(me, NOW) == mine
    store.bookings.cancel(mine.id, NOW)
    assert store.bookings.next_booking(me, NOW) == later
    assert store.bookings.next_booking(me, hours(6)) is None
    assert store.bookings.next_booking(phone_hash("+15025550999", SECRET), NOW) is None


def test_list_bookings_by_time_upcoming_unless_asked(store):
    past = add(store, hours(-2))[0]
    with store.bookings.db.begin() as conn:  # booked yesterday for a slot that has since passed
        conn.execute(bookings.insert().values(slot_id=past.id, phone=CALLER, phone_hash="h", name="Old",
                                              channel="sms", lang="en", status="booked", created_at=hours(-30)))
    b2 = book(store, add(store, hours(2))[0], name="Two")
    b1 = book(store, add(store, hours(1))[0], name="One")
    store.bookings.cancel(b2.id, NOW)

    assert [b.name for b in store.bookings.list_bookings(NOW)] == ["One", "Two"]
    assert [b.name for b in store.bookings.list_bookings(NOW, status="booked")] == ["One"]
    assert [b.name for b in store.bookings.list_bookings(NOW, include_past=True)] == ["Old", "One", "Two"]
    assert [b.status for b in store.bookings.list_bookings(NOW, include_past=True, status="cancelled")] == ["cancelled"]
    assert b1.slot.starts_at == hours(1)


# ---- callbacks -----------------------------------------------------------------------------------

def test_callbacks_are_listed_oldest_first_until_done(store):
    first = store.callbacks.add_callback(CALLER, "  Jane  Doe ", "en", NOW)
    second = store.callbacks.add_callback(OTHER, "", "es", hours(1))

    assert (first.name, first.lang, first.status, first.created_at) == ("Jane Doe", "en", "open", NOW)
    assert store.callbacks.list_callbacks() == [first, second]
    assert store.callbacks.mark_callback_done(first.id) is True
    assert store.callbacks.mark_callback_done(first.id) is False and store.callbacks.mark_callback_done(9999) is False
    assert store.callbacks.list_callbacks() == [second]
    assert [c.status for c in store.callbacks.list_callbacks(None)] == ["done", "open"]
    assert [c.id for c in store.callbacks.list_callbacks("done")] == [first.id]
    with pytest.raises(ValueError, match="phone number"):
        store.callbacks.add_callback("", "Jane", "en", NOW)


# ---- CSV import ----------------------------------------------------------------------------------

CSV = """date,time,minutes,label
2030-03-04,09:00,30,Dr. Doss
2030-03-04,9:30 AM,,Dr. Doss
03/05/2030,2:00 PM,45,"Doss, MD"

2030-02-30,09:00,30,Dr. Doss
2030-03-04,25:00,30,Dr. Doss
2030-03-04,10:00,half,Dr. Doss
2030-03-04,10:00
2030-03-10,02:30,30,Dr. Doss
2029-01-01,09:00,30,Dr. Doss
2030-03-04,10:30,30,Dr. Doss,extra
# a comment line
2030-03-04,09:00,30,Dr. Doss
2030-03-04,11:00,30,""" + "L" * 121 + "\n"


def test_import_csv_adds_good_rows_and_reports_each_bad_one_by_file_and_line(store, tmp_path):
    path = tmp_path / "slots.csv"
    path.write_text(CSV, encoding="utf-8")

    added, problems = store.slots.import_csv(path, "America/New_York", now=NOW)

    utc = timezone.utc
    assert [(s.starts_at, s.minutes, s.label) for s in added] == [
        (datetime(2030, 3, 4, 14, 0, tzinfo=utc), 30, "Dr. Doss"),
        (datetime(2030, 3, 4, 14, 30, tzinfo=utc), 30, "Dr. Doss"),
        (datetime(2030, 3, 5, 19, 0, tzinfo=utc), 45, "Doss, MD"),
        (datetime(2030, 3, 4, 15, 0, tzinfo=utc), 30, ""),
    ]
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{line}" for line in (6, 7, 8, 10, 11, 12, 15)]
    for problem, words in zip(problems, ["date '2030-02-30'", "time '25:00'", "minutes 'half'", "does not exist",
                                         "in the past", "found 5 columns", "label is longer"]):
        assert words in problem
    assert store.slots.import_csv(path, NY, now=NOW) == ([], problems)  # a second import adds nothing twice
    assert len(store.slots.list_slots(NOW)) == 4


def test_import_csv_reads_open_files_with_or_without_a_byte_order_mark(store):
    added, problems = store.slots.import_csv(io.BytesIO("\ufeffdate,time\n2030-03-04,09:00\n".encode()), NY, now=NOW)
    assert len(added) == 1 and problems == []

    added, problems = store.slots.import_csv(io.StringIO("2030-03-04,09:30\nnope,09:00\n"), NY, now=NOW)
    assert len(added) == 1 and problems == ["<csv>:2: date 'nope' is not a date (write 2026-12-01 or 12/01/2026)"]


def test_slot_times_come_back_in_utc_whatever_the_server_zone(store, db):
    slot = add(store, hours(7))[0]
    with db.begin() as conn:
        count = conn.execute(select(func.count()).select_from(slots)).scalar_one()
    assert count == 1
    assert store.slots.open_slots(NOW)[0].starts_at.utcoffset() == timedelta(0) == slot.starts_at.utcoffset()
