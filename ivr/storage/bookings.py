"""Bookings: a caller's appointment in an open slot.

A slot is booked at most once, and the database decides it: `book` is one INSERT, and the
partial unique index `uq_slot_booked_once` lets exactly one of any number of callers confirming
the same slot at the same moment through, on SQLite and PostgreSQL alike. A number may hold at
most `max_per_number` upcoming bookings (one call must not book the whole calendar): the count
and the insert run serialized on the number's hash, so two calls from one number confirming at
the same moment cannot both get past it. Times are stored and returned in UTC; staff and
callers see them in the clinic's time zone.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..privacy import normalize_number, phone_hash
from .db import Database
from .driver import DriverTransaction
from .reminders import CANCELLED_REASON, MOVED_REASON, ReminderStore
from .slots import BOOKED, BY_TIME, Slot, check_lang, clean_text
from .tables import bookings, slots
from .times import as_utc, utc

CHANNELS = ("voice", "sms")
ATTENDANCE = ("arrived", "no_show")  # as the front desk marks a booking on its day
CANCELLED, MOVED = "cancelled", "moved"
BOOKINGS_LOCK = 11  # the scope of the per-number lock taken while booking (see DriverTransaction.serialize)


class BookingLimitReached(Exception):
    """The number already has as many upcoming bookings as the clinic allows."""


class _Changed(Exception):
    """The booking changed while it was being moved: roll the move back."""


@dataclass(frozen=True)
class Booking:
    id: int
    slot: Slot
    phone: str = field(repr=False)  # never in a log line or an error
    phone_hash: str
    name: str
    channel: str  # voice or sms
    lang: str
    status: str  # booked, cancelled, or moved (to the booking in moved_to)
    created_at: datetime
    confirmed_at: datetime | None = None  # the patient confirmed it, replying to a reminder
    attendance: str | None = None  # arrived or no_show, as the desk marked it
    cancelled_at: datetime | None = None


def _booking(row) -> Booking:
    slot = Slot(row.slot_id, as_utc(row.starts_at), row.minutes, row.label)
    return Booking(row.id, slot, row.phone, row.phone_hash, row.name, row.channel, row.lang, row.status,
                   as_utc(row.created_at), as_utc(row.confirmed_at) if row.confirmed_at is not None else None,
                   row.attendance, as_utc(row.cancelled_at) if row.cancelled_at is not None else None)


_BOOKING_ROWS = (select(bookings, slots.c.starts_at, slots.c.minutes, slots.c.label)
                 .join(slots, slots.c.id == bookings.c.slot_id))
_BOOKING_COLUMNS = ("phone", "phone_hash", "name", "channel", "lang", "status", "created_at")
# One INSERT ... SELECT: the row goes in only if the slot is live as it does.
_BOOK = insert(bookings).from_select(
    ["slot_id", *_BOOKING_COLUMNS],
    select(slots.c.id, *(bindparam(k, type_=bookings.c[k].type) for k in _BOOKING_COLUMNS))
    .where(slots.c.id == bindparam("slot_id"), slots.c.removed.is_(False),
           slots.c.starts_at > bindparam("now", type_=slots.c.starts_at.type))
    .with_for_update(read=True)  # PostgreSQL: a removal of the slot waits for this booking
).returning(bookings.c.id)
_BOOKING = _BOOKING_ROWS.where(bookings.c.id == bindparam("booking_id"))
_UPCOMING = (select(func.count().label("upcoming")).select_from(bookings.join(slots, slots.c.id == bookings.c.slot_id))
             .where(bookings.c.phone_hash == bindparam("phone_hash"), bookings.c.status == BOOKED,
                    slots.c.starts_at > bindparam("now", type_=slots.c.starts_at.type)))
_CANCEL = (update(bookings).where(bookings.c.id == bindparam("booking_id"), bookings.c.status == BOOKED)
           .values(status=CANCELLED, cancelled_at=bindparam("now", type_=bookings.c.cancelled_at.type))
           .returning(bookings.c.id))
# A move frees the old slot once the new booking is in (same transaction): cancelled_at is when
# its slot was freed, as for a cancellation.
_MOVED = (update(bookings).where(bookings.c.id == bindparam("booking_id"), bookings.c.status == BOOKED)
          .values(status=MOVED, moved_to=bindparam("new_booking"),
                  cancelled_at=bindparam("now", type_=bookings.c.cancelled_at.type))
          .returning(bookings.c.id))
_CONFIRMED_MOVE = (update(bookings).where(bookings.c.id == bindparam("booking_id"))
                   .values(confirmed_at=bindparam("now", type_=bookings.c.confirmed_at.type)))


class BookingStore:
    def __init__(self, db: Database, secret: str, max_per_number: int = 0):
        self.db = db
        self.secret = secret
        self.max_per_number = max_per_number  # upcoming bookings one number may hold; 0: no limit
        # A confirmation's statements run on the driver (see driver.py): it is the line's
        # busiest write.
        self._book, self._booking = db.prepare(_BOOK), db.prepare(_BOOKING)
        self._upcoming, self._cancel = db.prepare(_UPCOMING), db.prepare(_CANCEL)
        self._moved, self._confirmed_move = db.prepare(_MOVED), db.prepare(_CONFIRMED_MOVE)
        self._reminders = ReminderStore(db)  # a booking's reminders change with it, in its transaction

    def book(self, slot_id: int, phone: str, name: str, channel: str, lang: str, now: datetime,
             then: Callable[[DriverTransaction, Booking], object] | None = None) -> Booking | None:
        """Book the slot for this caller, or None when it is taken, removed, past or unknown.

        One INSERT ... SELECT: the slot must be live when the row goes in, and the partial unique
        index lets at most one 'booked' row per slot exist, whoever else is confirming it.
        `then(tx, booking)` runs in the same transaction (queueing the confirmation): if it
        fails, nothing is booked. Raises BookingLimitReached when the number already holds
        `max_per_number` upcoming bookings."""
        number = normalize_number(phone)
        if not number or len(number) > bookings.c.phone.type.length:
            raise ValueError("the phone number is missing or too long")
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)} (got {channel!r})")
        check_lang(lang)
        now = utc(now, "now")
        values = {"slot_id": slot_id, "now": now, "phone": number, "phone_hash": phone_hash(number, self.secret),
                  "name": clean_text(name), "channel": channel, "lang": lang, "status": BOOKED, "created_at": now}
        try:
            with self.db.driver_begin() as tx:
                if self.max_per_number:
                    tx.serialize(BOOKINGS_LOCK, values["phone_hash"])
                    if self._count_upcoming(tx, values["phone_hash"], now) >= self.max_per_number:
                        raise BookingLimitReached()
                inserted = tx.first(self._book, values)
                booking = _booking(tx.first(self._booking, {"booking_id": inserted.id})) if inserted else None
                if booking is not None and then is not None:
                    then(tx, booking)
        except IntegrityError:
            return None  # someone else's confirmation of this slot got in first
        return booking

    def at_limit(self, phone_hash: str, now: datetime) -> bool:
        """Whether the number already holds as many upcoming bookings as allowed."""
        if not self.max_per_number:
            return False
        with self.db.driver_begin(durable=False) as tx:  # a read
            return self._count_upcoming(tx, phone_hash, utc(now, "now")) >= self.max_per_number

    def _count_upcoming(self, tx: DriverTransaction, phone_hash: str, now: datetime) -> int:
        return tx.first(self._upcoming, {"phone_hash": phone_hash, "now": now}).upcoming

    def booking(self, booking_id: int) -> Booking | None:
        with self.db.driver_begin(durable=False) as tx:  # a read
            row = tx.first(self._booking, {"booking_id": booking_id})
        return _booking(row) if row else None

    def next_booking(self, phone_hash: str, now: datetime) -> Booking | None:
        """This caller's soonest upcoming booking that is still on."""
        query = (_BOOKING_ROWS.where(bookings.c.phone_hash == phone_hash, bookings.c.status == BOOKED,
                                     slots.c.starts_at > utc(now, "now"))
                 .order_by(*BY_TIME, bookings.c.id).limit(1))
        with self.db.begin() as conn:
            row = conn.execute(query).first()
        return _booking(row) if row else None

    def cancel(self, booking_id: int, now: datetime,
               then: Callable[[DriverTransaction, Booking], object] | None = None) -> bool:
        """Cancel a booking that is on; its slot is offered again. False if there is none.
        `then(tx, booking)` runs in the same transaction (queueing the text that tells the
        booking's number): if it fails, nothing is cancelled."""
        with self.db.driver_begin() as tx:
            changed = tx.first(self._cancel, {"booking_id": booking_id, "now": utc(now, "now")})
            if changed is not None:
                self._reminders.skip_for_booking_in(tx, booking_id, CANCELLED_REASON, utc(now, "now"))
            if changed is not None and then is not None:
                then(tx, _booking(tx.first(self._booking, {"booking_id": booking_id})))
        return changed is not None

    def move(self, booking_id: int, slot_id: int, phone_hash: str, now: datetime) -> Booking | None:
        """Move this number's upcoming booking to another open slot, in one transaction: the new
        slot is booked first (the partial unique index decides a race for it, as for any booking),
        then the old one is freed and its reminders not yet sent are skipped (the new booking gets
        its own). The new booking counts as confirmed: the patient just chose it. None when the
        new slot is taken, removed or past, or the booking is not this number's or no longer on;
        then nothing changes."""
        now = utc(now, "now")
        try:
            with self.db.driver_begin() as tx:
                old = tx.first(self._booking, {"booking_id": booking_id})
                if old is None or old.status != BOOKED or old.phone_hash != phone_hash or as_utc(old.starts_at) <= now:
                    return None
                values = {"slot_id": slot_id, "now": now, "phone": old.phone, "phone_hash": old.phone_hash,
                          "name": old.name, "channel": old.channel, "lang": old.lang, "status": BOOKED,
                          "created_at": now}
                inserted = tx.first(self._book, values)
                if inserted is None:
                    return None
                if tx.first(self._moved, {"booking_id": booking_id, "new_booking": inserted.id, "now": now}) is None:
                    raise _Changed()  # cancelled meanwhile: the new booking goes too
                self._reminders.skip_for_booking_in(tx, booking_id, MOVED_REASON, now)
                tx.execute(self._confirmed_move, {"booking_id": inserted.id, "now": now})
                moved = _booking(tx.first(self._booking, {"booking_id": inserted.id}))
        except (IntegrityError, _Changed):
            return None  # someone else's confirmation of that slot got in first
        return moved

    def mark_attendance(self, booking_id: int, attendance: str, now: datetime) -> bool:
        """The desk marks whether the patient came (ATTENDANCE), on a booking that is on; a
        no-show only once its time has begun (a patient may arrive early). False otherwise."""
        if attendance not in ATTENDANCE:
            raise ValueError(f"attendance must be one of {', '.join(ATTENDANCE)}")
        now = utc(now, "now")
        conditions = [bookings.c.id == booking_id, bookings.c.status == BOOKED]
        if attendance == "no_show":
            conditions.append(select(slots.c.id).where(slots.c.id == bookings.c.slot_id, slots.c.starts_at <= now)
                              .exists())
        with self.db.begin() as conn:
            return conn.execute(update(bookings).where(*conditions)
                                .values(attendance=attendance, attendance_at=now)).rowcount == 1

    def booking_in(self, tx: DriverTransaction, booking_id: int) -> Booking | None:
        """The booking, read in a transaction the caller has open."""
        row = tx.first(self._booking, {"booking_id": booking_id})
        return _booking(row) if row else None

    def list_bookings(self, now: datetime, include_past: bool = False, status: str | None = None) -> list[Booking]:
        """Bookings by slot time; upcoming only unless asked; of one status if given."""
        query = _BOOKING_ROWS.order_by(*BY_TIME, bookings.c.id)
        if not include_past:
            query = query.where(slots.c.starts_at > utc(now, "now"))
        if status is not None:
            query = query.where(bookings.c.status == status)
        with self.db.begin() as conn:
            return [_booking(row) for row in conn.execute(query)]
