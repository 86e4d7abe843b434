"""The waitlist: people waiting for a time to free up, and the freed times offered to them.

One waiting entry a number (a partial unique index; joining again changes it), optionally for a
range of days. A freed time (a cancellation, a move, a new slot) is offered to one waiting person
at a time: a slot has at most one open offer and a person at most one (partial unique indexes),
and no one is offered the same time twice. An offer expires; the first YES within it books the
time (in the booking's own transaction, so never two bookings on one slot).

Who gets which time, and the texts, are the reminders package's (ivr/reminders/offers.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, exists, func, or_, select, update

from ..privacy import normalize_number, phone_hash
from .db import Database
from .driver import DriverTransaction
from .slots import BOOKED, BOOKED_NOW, clean_text
from .tables import bookings, slots, waitlist, waitlist_offers
from .times import as_utc, utc

WAITING, BOOKED_ENTRY, LEFT, LAPSED = "waiting", "booked", "left", "lapsed"
OPEN, TAKEN, EXPIRED, DECLINED, GONE = "open", "taken", "expired", "declined", "gone"

_ADD_OFFER = waitlist_offers.insert().values(
    entry_id=bindparam("entry"), slot_id=bindparam("slot"), phone_hash=bindparam("number_hash"), status=OPEN,
    offered_at=bindparam("now", type_=waitlist_offers.c.offered_at.type),
    expires_at=bindparam("until", type_=waitlist_offers.c.expires_at.type),
    updated_at=bindparam("now", type_=waitlist_offers.c.updated_at.type)).returning(waitlist_offers.c.id)
_OFFER_TEXT = (update(waitlist_offers).where(waitlist_offers.c.id == bindparam("offer"))
               .values(outbox_id=bindparam("text_id")))
# Taken only while open, unexpired and by the number it was offered to: the booking's transaction
# runs it, and rolls the booking back when it changes nothing.
_TAKE = (update(waitlist_offers)
         .where(waitlist_offers.c.id == bindparam("offer"), waitlist_offers.c.status == OPEN,
                waitlist_offers.c.phone_hash == bindparam("number_hash"),
                waitlist_offers.c.expires_at > bindparam("now", type_=waitlist_offers.c.expires_at.type))
         .values(status=TAKEN, booking_id=bindparam("booking"),
                 updated_at=bindparam("now", type_=waitlist_offers.c.updated_at.type))
         .returning(waitlist_offers.c.entry_id))
_ENTRY_BOOKED = (update(waitlist).where(waitlist.c.id == bindparam("entry"))
                 .values(status=BOOKED_ENTRY, updated_at=bindparam("now", type_=waitlist.c.updated_at.type)))


@dataclass(frozen=True)
class WaitEntry:
    id: int
    phone: str = field(repr=False)  # never in a log line
    phone_hash: str
    name: str = field(repr=False)
    lang: str
    channel: str
    earliest: datetime | None  # None: from now
    latest: datetime | None  # None: any time
    status: str
    created_at: datetime
    ends_at: datetime

    def wants(self, starts_at: datetime) -> bool:
        after_start = self.earliest is None or starts_at >= self.earliest
        return after_start and (self.latest is None or starts_at < self.latest)


@dataclass(frozen=True)
class Offer:
    id: int
    entry_id: int
    slot_id: int
    phone_hash: str
    status: str
    offered_at: datetime
    expires_at: datetime
    booking_id: int | None

    def open_at(self, now: datetime) -> bool:
        return self.status == OPEN and self.expires_at > now


@dataclass(frozen=True)
class FreedSlot:
    """An open slot no one holds an offer for, and when it became open (added, or freed)."""
    id: int
    starts_at: datetime
    opened_at: datetime


def _when(value):
    return as_utc(value) if value is not None else None


def _utc(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def _entry(row) -> WaitEntry:
    return WaitEntry(row.id, row.phone, row.phone_hash, row.name, row.lang, row.channel, _when(row.earliest),
                     _when(row.latest), row.status, as_utc(row.created_at), as_utc(row.ends_at))


def _offer(row) -> Offer:
    return Offer(row.id, row.entry_id, row.slot_id, row.phone_hash, row.status, as_utc(row.offered_at),
                 as_utc(row.expires_at), row.booking_id)


class WaitlistStore:
    def __init__(self, db: Database, secret: str):
        self.db = db
        self.secret = secret
        self._add_offer, self._offer_text = db.prepare(_ADD_OFFER), db.prepare(_OFFER_TEXT)
        self._take, self._entry_booked = db.prepare(_TAKE), db.prepare(_ENTRY_BOOKED)

    # ---- joining -------------------------------------------------------------------------------

    def join(self, phone: str, name: str, lang: str, channel: str, now: datetime, ends_at: datetime,
             earliest: datetime | None = None, latest: datetime | None = None) -> WaitEntry:
        """Put this number on the waitlist (or change its entry: one a number), from `earliest`
        to `latest` (None: any time), waiting until `ends_at`."""
        number = normalize_number(phone)
        if not number or len(number) > waitlist.c.phone.type.length:
            raise ValueError("the phone number is missing or too long")
        values = {"phone": number, "phone_hash": phone_hash(number, self.secret), "name": clean_text(name),
                  "lang": lang, "channel": channel, "earliest": _utc(earliest), "latest": _utc(latest),
                  "status": WAITING, "ends_at": utc(ends_at), "updated_at": utc(now, "now")}
        with self.db.begin() as conn:
            # A number's waiting entry is replaced, not added to: the partial unique index keeps one.
            conn.execute(update(waitlist).where(waitlist.c.phone_hash == values["phone_hash"],
                                                waitlist.c.status == WAITING)
                         .values(status=LEFT, updated_at=values["updated_at"]))
            entry_id = conn.execute(waitlist.insert().values(**values, created_at=values["updated_at"])
                                    ).inserted_primary_key[0]
            return _entry(conn.execute(select(waitlist).where(waitlist.c.id == entry_id)).one())

    def waiting_entry(self, phone_hash: str) -> WaitEntry | None:
        with self.db.begin(durable=False) as conn:
            row = conn.execute(select(waitlist).where(waitlist.c.phone_hash == phone_hash,
                                                      waitlist.c.status == WAITING)).first()
        return _entry(row) if row else None

    def leave(self, entry_id: int, now: datetime) -> None:
        """The number can no longer be offered anything (it opted out): it waits no more."""
        with self.db.begin() as conn:
            conn.execute(update(waitlist).where(waitlist.c.id == entry_id, waitlist.c.status == WAITING)
                         .values(status=LEFT, updated_at=utc(now, "now")))

    # ---- what the offering round works from ----------------------------------------------------

    def tidy(self, now: datetime) -> dict[str, int]:
        """Offers past their time expire, offers whose time went another way are gone, and
        entries past their end lapse. Returns how many of each."""
        now = utc(now, "now")
        gone = or_(slots.c.removed.is_(True), slots.c.starts_at <= now, BOOKED_NOW)
        gone_slot = select(slots.c.id).where(gone)
        with self.db.begin() as conn:
            expired = conn.execute(update(waitlist_offers)
                                   .where(waitlist_offers.c.status == OPEN, waitlist_offers.c.expires_at <= now)
                                   .values(status=EXPIRED, updated_at=now)).rowcount
            went = conn.execute(update(waitlist_offers)
                                .where(waitlist_offers.c.status == OPEN, waitlist_offers.c.slot_id.in_(gone_slot))
                                .values(status=GONE, updated_at=now)).rowcount
            lapsed = conn.execute(update(waitlist).where(waitlist.c.status == WAITING, waitlist.c.ends_at <= now)
                                  .values(status=LAPSED, updated_at=now)).rowcount
        return {"expired": expired, "gone": went, "lapsed": lapsed}

    def waiting(self, now: datetime, limit: int = 500) -> list[WaitEntry]:
        """Who is waiting, first come first served."""
        now = utc(now, "now")
        with self.db.begin(durable=False) as conn:
            rows = conn.execute(select(waitlist).where(waitlist.c.status == WAITING, waitlist.c.ends_at > now)
                                .order_by(waitlist.c.created_at, waitlist.c.id).limit(limit)).all()
        return [_entry(row) for row in rows]

    def freed_slots(self, now: datetime, starting_after: datetime, opened_since: datetime,
                    limit: int = 100) -> list[FreedSlot]:
        """Open slots starting after `starting_after`, that became open after `opened_since` (added,
        or their booking cancelled or moved) and that no one holds an offer for; soonest first."""
        opened_since = utc(opened_since)
        freed_at = (select(func.max(bookings.c.cancelled_at)).where(bookings.c.slot_id == slots.c.id)
                    .scalar_subquery())
        offered = exists().where(waitlist_offers.c.slot_id == slots.c.id, waitlist_offers.c.status == OPEN)
        query = (select(slots.c.id, slots.c.starts_at, slots.c.created_at, freed_at.label("freed_at"))
                 .where(slots.c.removed.is_(False), slots.c.starts_at > utc(starting_after), ~BOOKED_NOW, ~offered,
                        or_(slots.c.created_at > opened_since, freed_at > opened_since))
                 .order_by(slots.c.starts_at, slots.c.id).limit(limit))
        with self.db.begin(durable=False) as conn:
            found = []
            for row in conn.execute(query):
                opened = max(as_utc(row.created_at), _when(row.freed_at) or as_utc(row.created_at))
                found.append(FreedSlot(row.id, as_utc(row.starts_at), opened))
        return found

    def offered_pairs(self, entry_ids: list[int]) -> set[tuple[int, int]]:
        """(entry, slot) of every offer made to these entries: no one is offered a time twice."""
        if not entry_ids:
            return set()
        with self.db.begin(durable=False) as conn:
            rows = conn.execute(select(waitlist_offers.c.entry_id, waitlist_offers.c.slot_id)
                                .where(waitlist_offers.c.entry_id.in_(entry_ids))).all()
        return {(row.entry_id, row.slot_id) for row in rows}

    def with_open_offer(self, entry_ids: list[int]) -> set[int]:
        if not entry_ids:
            return set()
        with self.db.begin(durable=False) as conn:
            rows = conn.execute(select(waitlist_offers.c.entry_id).where(
                waitlist_offers.c.entry_id.in_(entry_ids), waitlist_offers.c.status == OPEN)).all()
        return {row.entry_id for row in rows}

    def holding_bookings(self, hashes: list[str], now: datetime) -> set[str]:
        """Which of these numbers hold an upcoming booking (they are offered nothing)."""
        if not hashes:
            return set()
        query = (select(bookings.c.phone_hash).join(slots, slots.c.id == bookings.c.slot_id)
                 .where(bookings.c.phone_hash.in_(hashes), bookings.c.status == BOOKED,
                        slots.c.starts_at > utc(now, "now")))
        with self.db.begin(durable=False) as conn:
            return {row.phone_hash for row in conn.execute(query)}

    # ---- offering, taking, declining -------------------------------------------------------------

    def add_offer_in(self, tx: DriverTransaction, entry: WaitEntry, slot_id: int, now: datetime,
                     expires_at: datetime) -> int:
        """The offer's row, in the transaction that queues its text. Raises IntegrityError when
        the slot or the person already has an open offer, or was offered it before."""
        return tx.first(self._add_offer, {"entry": entry.id, "slot": slot_id, "number_hash": entry.phone_hash,
                                          "now": utc(now, "now"), "until": utc(expires_at)}).id

    def set_offer_text_in(self, tx: DriverTransaction, offer_id: int, outbox_id: int) -> None:
        tx.execute(self._offer_text, {"offer": offer_id, "text_id": outbox_id})

    def take_in(self, tx: DriverTransaction, offer_id: int, phone_hash: str, booking_id: int, now: datetime) -> bool:
        """In the booking's transaction: the offer is taken and its entry booked. False (and the
        caller rolls back) when the offer is no longer open to this number."""
        now = utc(now, "now")
        taken = tx.first(self._take, {"offer": offer_id, "number_hash": phone_hash, "booking": booking_id,
                                      "now": now})
        if taken is None:
            return False
        tx.execute(self._entry_booked, {"entry": taken.entry_id, "now": now})
        return True

    def decline(self, offer_id: int, phone_hash: str, now: datetime) -> bool:
        """NO to an open offer: the time goes to the next person; this one keeps waiting."""
        with self.db.begin() as conn:
            return conn.execute(update(waitlist_offers)
                                .where(waitlist_offers.c.id == offer_id, waitlist_offers.c.status == OPEN,
                                       waitlist_offers.c.phone_hash == phone_hash)
                                .values(status=DECLINED, updated_at=utc(now, "now"))).rowcount == 1

    def latest_offer(self, phone_hash: str, since: datetime) -> Offer | None:
        """The last offer texted to this number since then, whatever became of it."""
        query = (select(waitlist_offers).where(waitlist_offers.c.phone_hash == phone_hash,
                                               waitlist_offers.c.offered_at > utc(since, "since"))
                 .order_by(waitlist_offers.c.offered_at.desc(), waitlist_offers.c.id.desc()).limit(1))
        with self.db.begin(durable=False) as conn:
            row = conn.execute(query).first()
        return _offer(row) if row else None

    def offer(self, offer_id: int) -> Offer | None:
        with self.db.begin(durable=False) as conn:
            row = conn.execute(select(waitlist_offers).where(waitlist_offers.c.id == offer_id)).first()
        return _offer(row) if row else None

    def entry(self, entry_id: int) -> WaitEntry | None:
        with self.db.begin(durable=False) as conn:
            row = conn.execute(select(waitlist).where(waitlist.c.id == entry_id)).first()
        return _entry(row) if row else None

    # ---- what staff see ------------------------------------------------------------------------------

    def list(self, now: datetime, include_done: bool = False, limit: int = 200) -> list[tuple[WaitEntry, Offer | None]]:
        """Entries (waiting ones unless asked), oldest first, each with its latest offer."""
        query = select(waitlist).order_by(waitlist.c.created_at, waitlist.c.id).limit(limit)
        if not include_done:
            query = query.where(waitlist.c.status == WAITING, waitlist.c.ends_at > utc(now, "now"))
        with self.db.begin(durable=False) as conn:
            entries = [_entry(row) for row in conn.execute(query)]
            latest = {}
            if entries:
                rows = conn.execute(select(waitlist_offers).where(
                    waitlist_offers.c.entry_id.in_([e.id for e in entries]))
                    .order_by(waitlist_offers.c.offered_at, waitlist_offers.c.id))
                latest = {row.entry_id: _offer(row) for row in rows}
        return [(entry, latest.get(entry.id)) for entry in entries]
