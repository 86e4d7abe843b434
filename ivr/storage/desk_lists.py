"""The front desk's lists, one page at a time: a week of slots, bookings found by day, name or the
last digits of the number, the call-back queue, the outbox by state, and the texts about one
booking. Every page is a keyset page (`after` the last row of the one before) on an index, so
the 500th page costs what the first does at 100,000 bookings."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Generic, TypeVar

from sqlalchemy import and_, func, or_, select

from .bookings import Booking, _booking
from .callbacks import DONE, OPEN, Callback, _callback
from .db import Database
from .outbox import OutboxMessage
from .slots import BOOKED, BY_TIME, Slot, slot_of
from .tables import bookings, callbacks, outbox, reminders, slots
from .times import as_utc, utc

PAGE = 50
WEEK_LIMIT = 1000  # slots shown in one week's view
T = TypeVar("T")
# The outbox as the desk sees it: each state and the statuses it gathers.
OUTBOX_STATES = {"waiting": ("pending", "sending"), "sent": ("sent",), "failed": ("failed",),
                 "blocked": ("blocked", "refused")}


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    after: str | None  # the cursor of the next page; None on the last one


@dataclass(frozen=True)
class WeekSlot:
    slot: Slot
    booking_id: int | None  # the booking holding it, if any
    name: str = field(default="", repr=False)


@dataclass(frozen=True)
class BookingText:
    """A text about a booking: a confirmation, a cancellation notice, a reminder."""
    id: int
    kind: str
    status: str
    created_at: datetime
    updated_at: datetime
    body: str = field(repr=False)
    last_error: str | None = None


def _stamp(moment: datetime) -> str:
    return utc(moment).strftime("%Y%m%d%H%M%S%f")


def _parse_cursor(cursor: str | None, parts: int) -> list[str] | None:
    """A cursor from a query string: None when absent or not one of ours (the first page)."""
    if not cursor:
        return None
    pieces = cursor.split("-")
    if len(pieces) != parts or not all(p.isdigit() and len(p) <= 20 for p in pieces):
        return None
    return pieces


def _moment(stamp: str) -> datetime | None:
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M%S%f").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


class DeskLists:
    def __init__(self, db: Database):
        self.db = db

    def week(self, since: datetime, until: datetime, label: str | None = None) -> tuple[list[WeekSlot], bool]:
        """The slots from `since` to `until` (a week), booked or open, by time; whether there were
        more than WEEK_LIMIT (only the first are given)."""
        held = and_(bookings.c.slot_id == slots.c.id, bookings.c.status == BOOKED)
        query = (select(slots, bookings.c.id.label("booking_id"), bookings.c.name)
                 .select_from(slots.outerjoin(bookings, held))
                 .where(slots.c.removed.is_(False), slots.c.starts_at >= utc(since), slots.c.starts_at < utc(until))
                 .order_by(*BY_TIME).limit(WEEK_LIMIT + 1))
        if label is not None:
            query = query.where(slots.c.label == label)
        with self.db.begin(durable=False) as conn:
            rows = conn.execute(query).all()
        return [WeekSlot(slot_of(r), r.booking_id, r.name or "") for r in rows[:WEEK_LIMIT]], len(rows) > WEEK_LIMIT

    def bookings(self, since: datetime, until: datetime | None = None, name: str = "", digits: str = "",
                 after: str | None = None, limit: int = PAGE) -> Page[Booking]:
        """Bookings whose time is from `since` (to `until`), by time; of a name containing `name`
        (any case) and a number ending in `digits`, if given."""
        query = (select(bookings, slots.c.starts_at, slots.c.minutes, slots.c.label)
                 .join(slots, slots.c.id == bookings.c.slot_id)
                 .where(slots.c.starts_at >= utc(since)).order_by(slots.c.starts_at, bookings.c.id).limit(limit + 1))
        if until is not None:
            query = query.where(slots.c.starts_at < utc(until))
        if name.strip():
            query = query.where(func.lower(bookings.c.name).contains(" ".join(name.lower().split()), autoescape=True))
        if digits:
            query = query.where(bookings.c.phone.endswith(digits, autoescape=True))
        cursor = _parse_cursor(after, 2)
        at = _moment(cursor[0]) if cursor else None
        if at is not None:
            # `>=` first, so the range stays on the index of slot times
            query = query.where(slots.c.starts_at >= at, or_(slots.c.starts_at > at, bookings.c.id > int(cursor[1])))
        with self.db.begin(durable=False) as conn:
            found = [_booking(row) for row in conn.execute(query)]
        more = len(found) > limit
        found = found[:limit]
        return Page(found, f"{_stamp(found[-1].slot.starts_at)}-{found[-1].id}" if more else None)

    def callbacks(self, status: str = OPEN, after: str | None = None, limit: int = PAGE) -> Page[Callback]:
        """Open requests oldest first (the queue); done ones newest first."""
        query = select(callbacks).where(callbacks.c.status == status).limit(limit + 1)
        cursor = _parse_cursor(after, 2)
        at = _moment(cursor[0]) if cursor else None
        if status == DONE:
            query = query.order_by(callbacks.c.created_at.desc(), callbacks.c.id.desc())
            if at is not None:
                query = query.where(callbacks.c.created_at <= at,
                                    or_(callbacks.c.created_at < at, callbacks.c.id < int(cursor[1])))
        else:
            query = query.order_by(callbacks.c.created_at, callbacks.c.id)
            if at is not None:
                query = query.where(callbacks.c.created_at >= at,
                                    or_(callbacks.c.created_at > at, callbacks.c.id > int(cursor[1])))
        with self.db.begin(durable=False) as conn:
            found = [_callback(row) for row in conn.execute(query)]
        more = len(found) > limit
        found = found[:limit]
        return Page(found, f"{_stamp(found[-1].created_at)}-{found[-1].id}" if more else None)

    def callback(self, callback_id: int) -> Callback | None:
        with self.db.begin(durable=False) as conn:
            row = conn.execute(select(callbacks).where(callbacks.c.id == callback_id)).first()
        return _callback(row) if row else None

    def outbox(self, state: str, after: str | None = None, limit: int = PAGE) -> Page[OutboxMessage]:
        """The texts in one state (OUTBOX_STATES), newest first. One indexed query per status,
        merged: each reads at most a page from ix_outbox_status_id."""
        cursor = _parse_cursor(after, 1)
        found: list[OutboxMessage] = []
        with self.db.begin(durable=False) as conn:
            for status in OUTBOX_STATES[state]:
                query = select(outbox).where(outbox.c.status == status).order_by(outbox.c.id.desc()).limit(limit + 1)
                if cursor:
                    query = query.where(outbox.c.id < int(cursor[0]))
                found += [OutboxMessage.from_row(row) for row in conn.execute(query)]
        found.sort(key=lambda m: -m.id)
        more = len(found) > limit
        found = found[:limit]
        return Page(found, str(found[-1].id) if more else None)

    def booking_texts(self, booking_id: int) -> list[BookingText]:
        """The texts about a booking, oldest first: those queued for it (confirmation,
        cancellation) and its reminders' texts."""
        # Two indexed reads rather than one OR, which PostgreSQL answers by reading the whole outbox.
        reminded = select(reminders.c.outbox_id).where(reminders.c.booking_id == booking_id,
                                                       reminders.c.outbox_id.is_not(None))
        with self.db.begin(durable=False) as conn:
            found = {r.id: r for r in conn.execute(select(outbox).where(outbox.c.booking_id == booking_id))}
            ids = [i for i in conn.execute(reminded).scalars() if i not in found]
            if ids:
                found.update((r.id, r) for r in conn.execute(select(outbox).where(outbox.c.id.in_(ids))))
        return [BookingText(r.id, r.kind, r.status, as_utc(r.created_at), as_utc(r.updated_at), r.body, r.last_error)
                for _, r in sorted(found.items())]

    def cancelled_between(self, since: datetime, until: datetime) -> list[datetime]:
        """When bookings were cancelled (not moved) in the range: the figures' cancellations."""
        query = select(bookings.c.cancelled_at).where(bookings.c.cancelled_at >= utc(since),
                                                      bookings.c.cancelled_at < utc(until),
                                                      bookings.c.status == "cancelled")
        with self.db.begin(durable=False) as conn:
            return [as_utc(at) for at, in conn.execute(query)]
