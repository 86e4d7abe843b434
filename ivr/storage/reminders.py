"""Appointment reminders as rows: one per (booking, kind), so none can be sent twice.

A row's life: due -> claimed (leased to one worker, storage/claims.py) -> sent -> confirmed when
the patient replies C or YES; or skipped, with the reason (the booking was cancelled or moved, it
was made after the reminder's time, the number opted out ...). A claimed row whose worker
stopped comes back once its lease runs out; a worker that lost its lease cannot finish the row
(`finish_in` is conditional on the lease), so the text it was about to queue is rolled back with it.

What a reminder says and when it goes are the reminders package's rules (ivr/reminders/); this
store keeps the rows, counts the automated texts a number got, and answers staff's questions.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, func, null, or_, select, update

from .claims import claiming, skip_locked
from .db import Database
from .driver import DriverTransaction
from .slots import BOOKED
from .tables import bookings, outbox, reminders, slots
from .times import as_utc, utc

DUE, CLAIMED, SENT, CONFIRMED, SKIPPED = "due", "claimed", "sent", "confirmed", "skipped"
STATUSES = (DUE, CLAIMED, SENT, CONFIRMED, SKIPPED)
LEASE = timedelta(minutes=2)  # a claim's hold; a round finishes each row in milliseconds
REMINDER, WAITLIST_OFFER = "reminder", "waitlist_offer"  # outbox kinds
AUTOMATED_KINDS = (REMINDER, WAITLIST_OFFER)  # the texts the daily and weekly caps count
CANCELLED_REASON, MOVED_REASON = "booking cancelled", "booking moved"
_NOT_SENT = ("blocked", "refused")



def _one_of(column, values):
    """column IN (...) written out, so the statement can be prepared once (driver.py)."""
    return or_(*(column == value for value in values))


# Statements run inside the transactions that change a booking, or send a reminder (driver.py).
# (A bind parameter is never named after a column the statement sets: SQLAlchemy reserves those.
# NULL is written null(), in the SQL, rather than sent as a parameter.)
_UNSENT = _one_of(reminders.c.status, (DUE, CLAIMED))
SKIP_FOR_BOOKING = (update(reminders)
                    .where(reminders.c.booking_id == bindparam("the_booking"), _UNSENT)
                    .values(status=SKIPPED, reason=bindparam("why"), lease_owner=null(), lease_until=null(),
                            updated_at=bindparam("now", type_=reminders.c.updated_at.type)))
_FINISH = (update(reminders)
           .where(reminders.c.id == bindparam("reminder_id"), reminders.c.status == CLAIMED,
                  reminders.c.lease_owner == bindparam("owner"))
           .values(status=bindparam("new_status"), reason=bindparam("why"), outbox_id=bindparam("text_id"),
                   sent_at=bindparam("sent", type_=reminders.c.sent_at.type),
                   due_at=bindparam("due", type_=reminders.c.due_at.type), lease_owner=null(), lease_until=null(),
                   updated_at=bindparam("now", type_=reminders.c.updated_at.type))
           .returning(reminders.c.id))
_AUTOMATED_SINCE = select(func.count().label("texts")).where(
    outbox.c.to_hash == bindparam("to_hash"), _one_of(outbox.c.kind, AUTOMATED_KINDS),
    *(outbox.c.status != status for status in _NOT_SENT),
    outbox.c.created_at >= bindparam("since", type_=outbox.c.created_at.type))
_OTHERS_DUE = select(func.count().label("later")).where(
    reminders.c.booking_id == bindparam("the_booking"), reminders.c.id != bindparam("reminder_id"), _UNSENT,
    reminders.c.due_at <= bindparam("now", type_=reminders.c.due_at.type),
    reminders.c.due_at > bindparam("due", type_=reminders.c.due_at.type))


# What staff see of reminders: each with its appointment and the booking's number and state.
_VIEWS = (select(reminders, slots.c.starts_at, bookings.c.phone, bookings.c.status.label("booking_status"),
                 bookings.c.confirmed_at)
          .join(bookings, bookings.c.id == reminders.c.booking_id)
          .join(slots, slots.c.id == bookings.c.slot_id)
          .order_by(reminders.c.due_at, reminders.c.id))


@dataclass(frozen=True)
class Reminder:
    id: int
    booking_id: int
    kind: str
    phone_hash: str
    status: str
    due_at: datetime
    reason: str | None
    lease_owner: str | None
    lease_until: datetime | None
    outbox_id: int | None
    sent_at: datetime | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row) -> Reminder:
        values = dict(row._mapping)
        for name in ("due_at", "lease_until", "sent_at", "created_at", "updated_at"):
            values[name] = as_utc(values[name]) if values[name] is not None else None
        return cls(**values)


@dataclass(frozen=True)
class ToPlan:
    """A booking that lacks some of its reminders."""
    booking_id: int
    phone_hash: str
    starts_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class ReminderView:
    """A reminder as staff see it (`ivr reminders list`, the console)."""
    id: int
    booking_id: int
    kind: str
    status: str
    reason: str | None
    due_at: datetime
    sent_at: datetime | None
    starts_at: datetime  # the appointment
    phone: str  # the booking's number: mask it before showing (***0123)
    booking_status: str
    confirmed_at: datetime | None


def _when(value):
    return as_utc(value) if value is not None else None


class ReminderStore:
    def __init__(self, db: Database):
        self.db = db
        self._skip_for_booking, self._finish = db.prepare(SKIP_FOR_BOOKING), db.prepare(_FINISH)
        self._automated_since, self._others_due = db.prepare(_AUTOMATED_SINCE), db.prepare(_OTHERS_DUE)

    # ---- planning -----------------------------------------------------------------------------

    def bookings_to_plan(self, kinds: tuple[str, ...], now: datetime, limit: int = 500) -> list[ToPlan]:
        """Upcoming bookings that lack a row for one of `kinds`."""
        if not kinds:
            return []
        have = (select(func.count()).where(reminders.c.booking_id == bookings.c.id, reminders.c.kind.in_(kinds))
                .scalar_subquery())
        query = (select(bookings.c.id, bookings.c.phone_hash, bookings.c.created_at, slots.c.starts_at)
                 .join(slots, slots.c.id == bookings.c.slot_id)
                 .where(bookings.c.status == BOOKED, slots.c.starts_at > utc(now, "now"), have < len(kinds))
                 .order_by(slots.c.starts_at, bookings.c.id).limit(limit))
        with self.db.begin(durable=False) as conn:
            return [ToPlan(r.id, r.phone_hash, as_utc(r.starts_at), as_utc(r.created_at)) for r in conn.execute(query)]

    def add(self, rows: list[dict], now: datetime) -> int:
        """Insert reminder rows (booking_id, kind, phone_hash, status, due_at, reason); a (booking,
        kind) already there is left as it is, so planners racing each other add each once."""
        if not rows:
            return 0
        now = utc(now, "now")
        values = [{**row, "due_at": utc(row["due_at"]), "created_at": now, "updated_at": now} for row in rows]
        statement = (self.db.upsert_insert(reminders).values(values)
                     .on_conflict_do_nothing(index_elements=["booking_id", "kind"]).returning(reminders.c.id))
        with self.db.begin() as conn:
            return len(conn.execute(statement).all())

    def skip_unbooked(self, now: datetime) -> int:
        """Due reminders of bookings that are no longer on (cancelled or moved by any path): skipped."""
        changed, now = 0, utc(now, "now")
        for status, reason in (("cancelled", CANCELLED_REASON), ("moved", MOVED_REASON)):
            off = select(bookings.c.id).where(bookings.c.status == status)
            with self.db.begin() as conn:
                changed += conn.execute(
                    update(reminders).where(reminders.c.status == DUE, reminders.c.booking_id.in_(off))
                    .values(status=SKIPPED, reason=reason, updated_at=now)).rowcount
        return changed

    def skip_for_booking_in(self, tx: DriverTransaction, booking_id: int, reason: str, now: datetime) -> None:
        """In the transaction that cancels or moves the booking: its reminders not yet sent are skipped."""
        tx.execute(self._skip_for_booking, {"the_booking": booking_id, "why": reason, "now": utc(now, "now")})

    # ---- claiming and finishing -----------------------------------------------------------------

    def claim(self, now: datetime, limit: int, owner: str, lease: timedelta = LEASE) -> list[Reminder]:
        """Take up to `limit` due reminders (and claimed ones whose lease ran out), soonest first,
        leased to `owner` until `now + lease`. Two claimers never get the same row."""
        now = utc(now, "now")
        due = or_(and_(reminders.c.status == DUE, reminders.c.due_at <= now),
                  and_(reminders.c.status == CLAIMED, reminders.c.lease_until < now))
        pick = skip_locked(self.db, select(reminders.c.id).where(due)
                           .order_by(reminders.c.due_at, reminders.c.id).limit(limit))
        claim = (update(reminders).where(reminders.c.id.in_(pick), due)
                 .values(status=CLAIMED, lease_owner=owner, lease_until=now + lease, updated_at=now)
                 .returning(*reminders.c))
        with claiming(self.db) as conn:
            rows = conn.execute(claim).all()
        return sorted((Reminder.from_row(row) for row in rows), key=lambda r: (r.due_at, r.id))

    def finish_in(self, tx: DriverTransaction, reminder: Reminder, owner: str, status: str, now: datetime,
                  reason: str | None = None, outbox_id: int | None = None, due_at: datetime | None = None) -> bool:
        """End this worker's claim: sent (with its outbox row), skipped (why), or due again later
        (deferred: `due_at`). False when the lease is no longer this worker's: then nothing may
        be kept of what the transaction did."""
        now = utc(now, "now")
        done = tx.first(self._finish, {
            "reminder_id": reminder.id, "owner": owner, "new_status": status, "text_id": outbox_id,
            "why": reason[:reminders.c.reason.type.length] if reason else None,
            "sent": now if status == SENT else None, "due": utc(due_at or reminder.due_at), "now": now})
        return done is not None

    def later_due_in(self, tx: DriverTransaction, reminder: Reminder, now: datetime) -> bool:
        """Whether a later reminder of the same booking is due too (a worker that was down): only
        the latest goes."""
        return tx.first(self._others_due, {"the_booking": reminder.booking_id, "reminder_id": reminder.id,
                                           "now": utc(now, "now"), "due": reminder.due_at}).later > 0

    def automated_texts_in(self, tx: DriverTransaction, phone_hash: str, since: datetime) -> int:
        """Reminders and waitlist offers queued to this number since then (not blocked or refused)."""
        return tx.first(self._automated_since, {"to_hash": phone_hash, "since": utc(since, "since")}).texts

    # ---- replies ----------------------------------------------------------------------------------

    def last_sent(self, phone_hash: str, now: datetime) -> tuple[int, datetime] | None:
        """(booking id, when) of the latest reminder sent to this number for a booking still on and
        upcoming: what a reply of C, R or N is about."""
        query = (select(reminders.c.booking_id, reminders.c.sent_at)
                 .join(bookings, bookings.c.id == reminders.c.booking_id)
                 .join(slots, slots.c.id == bookings.c.slot_id)
                 .where(reminders.c.phone_hash == phone_hash, reminders.c.status.in_((SENT, CONFIRMED)),
                        bookings.c.status == BOOKED, bookings.c.phone_hash == phone_hash,
                        slots.c.starts_at > utc(now, "now"))
                 .order_by(reminders.c.sent_at.desc(), reminders.c.id.desc()).limit(1))
        with self.db.begin(durable=False) as conn:
            row = conn.execute(query).first()
        return (row.booking_id, as_utc(row.sent_at)) if row else None

    def confirm(self, booking_id: int, phone_hash: str, now: datetime) -> bool:
        """The patient confirmed by replying: the booking is marked (staff see it) and its sent
        reminders become 'confirmed'. False when the booking is not this number's, or no longer on."""
        now = utc(now, "now")
        with self.db.begin() as conn:
            marked = conn.execute(update(bookings).where(bookings.c.id == booking_id, bookings.c.status == BOOKED,
                                                         bookings.c.phone_hash == phone_hash)
                                  .values(confirmed_at=func.coalesce(bookings.c.confirmed_at, now))).rowcount
            if not marked:
                return False
            conn.execute(update(reminders).where(reminders.c.booking_id == booking_id, reminders.c.status == SENT)
                         .values(status=CONFIRMED, updated_at=now))
        return True

    # ---- what staff see ------------------------------------------------------------------------------

    def list(self, now: datetime, include_past: bool = False, status: str | None = None,
             limit: int = 200) -> list[ReminderView]:
        """Reminders by the time they are (or were) due; of upcoming appointments unless asked."""
        query = _VIEWS.limit(limit)
        if not include_past:
            query = query.where(slots.c.starts_at > utc(now, "now"))
        if status is not None:
            query = query.where(reminders.c.status == status)
        return self._views(query)

    def of_booking(self, booking_id: int) -> list[ReminderView]:
        """A booking's reminders as staff see them (the console's bookings page): each kind, its
        state and why, by the time it is (or was) due."""
        return self._views(_VIEWS.where(reminders.c.booking_id == booking_id))

    def _views(self, query) -> list[ReminderView]:
        with self.db.begin(durable=False) as conn:
            return [ReminderView(r.id, r.booking_id, r.kind, r.status, r.reason, as_utc(r.due_at), _when(r.sent_at),
                                 as_utc(r.starts_at), r.phone, r.booking_status, _when(r.confirmed_at))
                    for r in conn.execute(query)]

    def for_booking(self, booking_id: int) -> list[Reminder]:
        with self.db.begin(durable=False) as conn:
            rows = conn.execute(select(reminders).where(reminders.c.booking_id == booking_id)
                                .order_by(reminders.c.due_at, reminders.c.id)).all()
        return [Reminder.from_row(row) for row in rows]

    def counts(self) -> dict[str, int]:
        """Reminders by status, for a glance (the CLI's summary line)."""
        with self.db.begin(durable=False) as conn:
            rows = conn.execute(select(reminders.c.status, func.count()).group_by(reminders.c.status)).all()
        return {status: count for status, count in rows}
