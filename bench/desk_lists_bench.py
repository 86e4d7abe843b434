"""The front desk's lists on many bookings (run by bench/report_bench.py): `bookings` slots a few
minutes apart over the years around the bench's day, every one booked (a tenth cancelled), a
call-back and two texts for every tenth, written with batched inserts; then one page of each of
the console's lists, the first page and one deep in the list (by its cursor), median of 9."""
from __future__ import annotations

import random
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert

from ivr.storage.db import Database
from ivr.storage.desk_lists import DeskLists
from ivr.storage.tables import bookings, callbacks, outbox, slots

from .timing import median_ms

NOW = datetime(2030, 6, 3, 13, 0, tzinfo=timezone.utc)
BATCH = 5_000
STATUSES = ("pending", "sent", "sent", "sent", "failed", "blocked")


def fill(db: Database, count: int, seed: int = 16) -> None:
    rng = random.Random(seed)
    first = NOW - timedelta(minutes=15 * count // 2)
    with db.begin() as conn:
        for start in range(0, count, BATCH):
            ids = range(start + 1, min(start + BATCH, count) + 1)
            conn.execute(insert(slots), [{"id": i, "starts_at": first + timedelta(minutes=15 * i), "minutes": 15,
                                          "label": f"Dr. {'ABCD'[i % 4]}", "removed": False, "created_at": first}
                                         for i in ids])
            conn.execute(insert(bookings), [{
                "id": i, "slot_id": i, "phone": f"+1617555{i % 10_000:04d}", "phone_hash": f"hash-{i}",
                "name": f"Patient {rng.choice(('Ada', 'Ben', 'Cruz', 'Dee', 'Eva'))} {i}", "channel": "sms",
                "lang": "en", "status": "cancelled" if i % 10 == 0 else "booked", "created_at": first,
                "cancelled_at": first + timedelta(minutes=15 * i - 60) if i % 10 == 0 else None} for i in ids])
            tenth = [i for i in ids if i % 10 == 3]
            conn.execute(insert(callbacks), [{"id": i, "phone": f"+1617555{i % 10_000:04d}", "phone_hash": f"hash-{i}",
                                              "name": f"Caller {i}", "lang": "en",
                                              "status": "open" if i % 20 == 3 else "done",
                                              "created_at": first + timedelta(minutes=15 * i)} for i in tenth])
            conn.execute(insert(outbox), [{
                "to_number": f"+1617555{i % 10_000:04d}", "to_hash": f"hash-{i}", "body": "Your appointment ...",
                "kind": "booking_confirmation", "status": STATUSES[(i + k) % len(STATUSES)], "attempts": 1,
                "next_attempt_at": first, "created_at": first, "updated_at": first, "booking_id": i}
                for i in tenth for k in range(2)])
        if not db.sqlite:
            conn.exec_driver_sql("ANALYZE")  # what autovacuum does on a real server after so many rows


def _median_ms(action) -> float:
    return median_ms(action, 9)


def _deep(page_of, pages: int) -> str | None:
    """The cursor `pages` pages into a list, followed as staff would page."""
    after = None
    for _ in range(pages):
        after = page_of(after).after
    return after


def time_desk_lists(db: Database, count: int) -> dict:
    started = time.perf_counter()
    fill(db, count)
    filled = time.perf_counter() - started
    lists = DeskLists(db)
    day = NOW.replace(hour=4)
    from_today = lambda after=None: lists.bookings(day, after=after)  # noqa: E731
    deep_bookings = _deep(from_today, 200)
    deep_outbox = _deep(lambda after: lists.outbox("sent", after), 50)
    pages = {
        "bookings of a day": _median_ms(lambda: lists.bookings(day, day + timedelta(days=1))),
        "bookings from today, page 1": _median_ms(from_today),
        "... page 201": _median_ms(lambda: from_today(deep_bookings)),
        "by name": _median_ms(lambda: lists.bookings(day - timedelta(days=365), name="ada 5")),
        "by last digits": _median_ms(lambda: lists.bookings(day - timedelta(days=365), digits="4321")),
        "week of slots": _median_ms(lambda: lists.week(day, day + timedelta(days=7))),
        "call-back queue": _median_ms(lambda: lists.callbacks()),
        "outbox: failed": _median_ms(lambda: lists.outbox("failed")),
        "outbox: sent, page 51": _median_ms(lambda: lists.outbox("sent", deep_outbox)),
        "a booking's texts": _median_ms(lambda: lists.booking_texts(count // 2 + 3)),
    }
    return {"bookings": count, "fill_s": round(filled, 1), "pages": pages}
