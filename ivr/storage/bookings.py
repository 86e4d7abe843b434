"""Appointment slots, bookings and callback requests.

A slot is booked at most once, and the database decides it: `book` is one INSERT, and the
partial unique index `uq_slot_booked_once` lets exactly one of any number of callers confirming
the same slot at the same moment through, on SQLite and PostgreSQL alike. Times are stored and
returned in UTC; staff and callers see them in the clinic's time zone.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import IO, Callable
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..privacy import normalize_number, phone_hash
from .db import Database, as_utc, bookings, callbacks, slots, utcnow
from .driver import DriverTransaction

TEXT_MAX = 120  # a name or a label
CHANNELS = ("voice", "sms")
BOOKED, CANCELLED = "booked", "cancelled"
OPEN, DONE = "open", "done"


@dataclass(frozen=True)
class Slot:
    id: int
    starts_at: datetime  # aware, UTC
    minutes: int
    label: str  # clinic or provider; may be empty


@dataclass(frozen=True)
class Booking:
    id: int
    slot: Slot
    phone: str = field(repr=False)  # never in a log line or an error
    phone_hash: str
    name: str
    channel: str  # voice or sms
    lang: str
    status: str  # booked or cancelled
    created_at: datetime


@dataclass(frozen=True)
class Callback:
    id: int
    phone: str = field(repr=False)
    name: str
    lang: str
    status: str  # open or done
    created_at: datetime


def utc(value: datetime, what: str = "time") -> datetime:
    """An aware datetime in UTC; a naive one is refused (its zone would be a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value:%Y-%m-%d %H:%M} has no time zone")
    return value.astimezone(timezone.utc)


def local_to_utc(day: date, clock: time, zone: tzinfo) -> datetime:
    """A wall-clock time in `zone` as UTC; a time skipped when the clocks go forward is refused."""
    local = datetime.combine(day, clock, tzinfo=zone)
    moment = local.astimezone(timezone.utc)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError(f"{local:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks go forward)")
    return moment


def clean_text(value: str | None) -> str:
    """Spaces trimmed and collapsed, at most 120 characters (what the columns hold)."""
    return " ".join((value or "").split())[:TEXT_MAX]


def _slot(row) -> Slot:
    return Slot(row.id, as_utc(row.starts_at).astimezone(timezone.utc), row.minutes, row.label)


def _booking(row) -> Booking:
    slot = Slot(row.slot_id, as_utc(row.starts_at).astimezone(timezone.utc), row.minutes, row.label)
    return Booking(row.id, slot, row.phone, row.phone_hash, row.name, row.channel, row.lang, row.status,
                   as_utc(row.created_at).astimezone(timezone.utc))


def _callback(row) -> Callback:
    return Callback(row.id, row.phone, row.name, row.lang, row.status, as_utc(row.created_at).astimezone(timezone.utc))


_BOOKED_NOW = exists().where(bookings.c.slot_id == slots.c.id, bookings.c.status == BOOKED)
_BOOKING_ROWS = (select(bookings, slots.c.starts_at, slots.c.minutes, slots.c.label)
                 .join(slots, slots.c.id == bookings.c.slot_id))
_BY_TIME = (slots.c.starts_at, slots.c.id)
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


class BookingStore:
    def __init__(self, db: Database, secret: str):
        self.db = db
        self.secret = secret
        # A confirmation's statements run on the driver (see driver.py): it is the line's
        # busiest write.
        self._book, self._booking = db.prepare(_BOOK), db.prepare(_BOOKING)

    # ---- slots -------------------------------------------------------------------------------

    def add_slots(self, start: datetime, every: timedelta, count: int, label: str = "", minutes: int = 30,
                  now: datetime | None = None) -> list[Slot]:
        """`count` slots from `start`, `every` apart (in the start's own clock). Returns the ones
        added: a slot already there (same start and label) is skipped; a removed one comes back."""
        utc(start, "start")
        if not 1 <= count <= 1000:
            raise ValueError(f"count must be 1 to 1000 (got {count})")
        if count > 1 and every <= timedelta(0):
            raise ValueError("the time between slots must be more than zero")
        return self._add([(utc(start + i * every), label, minutes) for i in range(count)], now or utcnow())

    def _add(self, wanted: list[tuple[datetime, str, int]], now: datetime) -> list[Slot]:
        for _, label, minutes in wanted:
            _check_slot(label, minutes)
        created, added, seen = utc(now, "now"), [], set()
        with self.db.begin() as conn:
            rows = conn.execute(select(slots).where(slots.c.starts_at.in_(sorted({at for at, _, _ in wanted}))))
            there = {(as_utc(r.starts_at).astimezone(timezone.utc), r.label): r for r in rows}
            for at, label, minutes in ((at, clean_text(label), m) for at, label, m in wanted):
                row = there.get((at, label))
                if (at, label) in seen or (row is not None and not row.removed):
                    continue  # already offered (or repeated in this batch)
                seen.add((at, label))
                if row is None:
                    values = {"starts_at": at, "minutes": minutes, "label": label, "removed": False,
                              "created_at": created}
                    slot_id = conn.execute(insert(slots).values(**values)).inserted_primary_key[0]
                else:
                    conn.execute(update(slots).where(slots.c.id == row.id).values(removed=False, minutes=minutes))
                    slot_id = row.id
                added.append(Slot(slot_id, at, minutes, label))
        return added

    def slot(self, slot_id: int) -> Slot | None:
        """The slot, past or future; None if there is none or it was removed."""
        with self.db.begin() as conn:
            row = conn.execute(select(slots).where(slots.c.id == slot_id, slots.c.removed.is_(False))).first()
        return _slot(row) if row else None

    def open_slots(self, now: datetime, limit: int = 3, offset: int = 0) -> list[Slot]:
        """Slots a caller may book: future, not removed, not booked; soonest first."""
        query = self._bookable(now).order_by(*_BY_TIME).limit(limit).offset(offset)
        with self.db.begin() as conn:
            return [_slot(row) for row in conn.execute(query)]

    def open_slot(self, slot_id: int, now: datetime) -> Slot | None:
        """This slot if a caller may still book it, else None."""
        with self.db.begin() as conn:
            row = conn.execute(self._bookable(now).where(slots.c.id == slot_id)).first()
        return _slot(row) if row else None

    @staticmethod
    def _bookable(now: datetime):
        return select(slots).where(slots.c.removed.is_(False), slots.c.starts_at > utc(now, "now"), ~_BOOKED_NOW)

    def list_slots(self, now: datetime, include_past: bool = False) -> list[Slot]:
        """Every slot not removed (booked or not), soonest first; past ones only when asked."""
        query = select(slots).where(slots.c.removed.is_(False)).order_by(*_BY_TIME)
        if not include_past:
            query = query.where(slots.c.starts_at > utc(now, "now"))
        with self.db.begin() as conn:
            return [_slot(row) for row in conn.execute(query)]

    def remove_slot(self, slot_id: int) -> bool:
        """Take a slot off offer. False if there is no such slot; refused while it is booked."""
        with self.db.begin() as conn:
            # On PostgreSQL the row lock makes a booking being confirmed right now finish first
            # (and be seen below), or wait and then find the slot removed.
            row = conn.execute(select(slots.c.removed).where(slots.c.id == slot_id).with_for_update()).first()
            if row is None or row.removed:
                return False
            removed = conn.execute(update(slots).where(slots.c.id == slot_id, ~_BOOKED_NOW)
                                   .values(removed=True)).rowcount
            if not removed:
                raise ValueError(f"slot {slot_id} is booked: cancel its booking first, then remove it")
        return True

    def import_csv(self, source: str | Path | IO, tz: str | tzinfo,
                   now: datetime | None = None) -> tuple[list[Slot], list[str]]:
        """Add the slots of a CSV file of `date,time,minutes,label` rows in the clinic's local
        time (a header row is allowed). Returns the slots added and, for each row left out,
        `file:line: what is wrong`. Rows already there are skipped, so a fixed file can be
        imported again."""
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        now = utc(now or utcnow(), "now")
        name, text = _read(source)
        wanted, problems = [], []
        reader = csv.reader(io.StringIO(text))
        for cells in reader:
            cells = [cell.strip() for cell in cells]
            header = not wanted and not problems and cells[0].lower() == "date"
            if not any(cells) or cells[0].startswith("#") or header:
                continue
            try:
                wanted.append(_parse_row(cells, zone, now))
            except ValueError as error:
                problems.append(f"{name}:{reader.line_num}: {error}")
        return (self._add(wanted, now) if wanted else []), problems

    # ---- bookings ----------------------------------------------------------------------------

    def book(self, slot_id: int, phone: str, name: str, channel: str, lang: str, now: datetime,
             then: Callable[[DriverTransaction, Booking], object] | None = None) -> Booking | None:
        """Book the slot for this caller, or None when it is taken, removed, past or unknown.

        One INSERT ... SELECT: the slot must be live when the row goes in, and the partial unique
        index lets at most one 'booked' row per slot exist, whoever else is confirming it.
        `then(tx, booking)` runs in the same transaction (queueing the confirmation): if it
        fails, nothing is booked."""
        number = normalize_number(phone)
        if not number or len(number) > bookings.c.phone.type.length:
            raise ValueError("the phone number is missing or too long")
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {', '.join(CHANNELS)} (got {channel!r})")
        _check_lang(lang)
        now = utc(now, "now")
        values = {"slot_id": slot_id, "now": now, "phone": number, "phone_hash": phone_hash(number, self.secret),
                  "name": clean_text(name), "channel": channel, "lang": lang, "status": BOOKED, "created_at": now}
        try:
            with self.db.driver_begin() as tx:
                inserted = tx.first(self._book, values)
                booking = _booking(tx.first(self._booking, {"booking_id": inserted.id})) if inserted else None
                if booking is not None and then is not None:
                    then(tx, booking)
        except IntegrityError:
            return None  # someone else's confirmation of this slot got in first
        return booking

    def booking(self, booking_id: int) -> Booking | None:
        with self.db.driver_begin(durable=False) as tx:  # a read
            row = tx.first(self._booking, {"booking_id": booking_id})
        return _booking(row) if row else None

    def next_booking(self, phone_hash: str, now: datetime) -> Booking | None:
        """This caller's soonest upcoming booking that is still on."""
        query = (_BOOKING_ROWS.where(bookings.c.phone_hash == phone_hash, bookings.c.status == BOOKED,
                                     slots.c.starts_at > utc(now, "now"))
                 .order_by(*_BY_TIME, bookings.c.id).limit(1))
        with self.db.begin() as conn:
            row = conn.execute(query).first()
        return _booking(row) if row else None

    def cancel(self, booking_id: int, now: datetime) -> bool:
        """Cancel a booking that is on; its slot is offered again. False if there is none."""
        with self.db.begin() as conn:
            changed = conn.execute(update(bookings).where(bookings.c.id == booking_id, bookings.c.status == BOOKED)
                                   .values(status=CANCELLED, cancelled_at=utc(now, "now"))).rowcount
        return changed == 1

    def list_bookings(self, now: datetime, include_past: bool = False, status: str | None = None) -> list[Booking]:
        """Bookings by slot time; upcoming only unless asked; of one status if given."""
        query = _BOOKING_ROWS.order_by(*_BY_TIME, bookings.c.id)
        if not include_past:
            query = query.where(slots.c.starts_at > utc(now, "now"))
        if status is not None:
            query = query.where(bookings.c.status == status)
        with self.db.begin() as conn:
            return [_booking(row) for row in conn.execute(query)]

    # ---- callbacks ---------------------------------------------------------------------------

    def add_callback(self, phone: str, name: str, lang: str, now: datetime) -> Callback:
        """Someone asked for a person to call them back."""
        number = normalize_number(phone)
        if not number or len(number) > callbacks.c.phone.type.length:
            raise ValueError("the phone number is missing or too long")
        _check_lang(lang)
        values = {"phone": number, "phone_hash": phone_hash(number, self.secret), "name": clean_text(name),
                  "lang": lang, "status": OPEN, "created_at": utc(now, "now")}
        with self.db.begin() as conn:
            callback_id = conn.execute(insert(callbacks).values(**values)).inserted_primary_key[0]
        return Callback(callback_id, number, values["name"], lang, OPEN, values["created_at"])

    def list_callbacks(self, status: str | None = OPEN) -> list[Callback]:
        """Callback requests, oldest first; all of them when status is None."""
        query = select(callbacks).order_by(callbacks.c.created_at, callbacks.c.id)
        if status is not None:
            query = query.where(callbacks.c.status == status)
        with self.db.begin() as conn:
            return [_callback(row) for row in conn.execute(query)]

    def mark_callback_done(self, callback_id: int) -> bool:
        """False if there is no open callback request with this id."""
        with self.db.begin() as conn:
            changed = conn.execute(update(callbacks).where(callbacks.c.id == callback_id, callbacks.c.status == OPEN)
                                   .values(status=DONE)).rowcount
        return changed == 1


def _check_slot(label: str, minutes: int) -> None:
    if len(" ".join((label or "").split())) > TEXT_MAX:
        raise ValueError(f"label is longer than {TEXT_MAX} characters")
    if not isinstance(minutes, int) or not 1 <= minutes <= 24 * 60:
        raise ValueError(f"minutes must be a whole number from 1 to {24 * 60} (got {minutes})")


def _check_lang(lang: str) -> None:
    if not lang or len(lang) > bookings.c.lang.type.length:
        raise ValueError(f"lang must be a short language code like 'en' (got {lang!r})")


# ---- CSV rows ------------------------------------------------------------------------------------

_COLUMNS = "date,time,minutes,label"
_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::00)?(?:\s*([ap])\.?m\.?)?$", re.IGNORECASE)


def _read(source: str | Path | IO) -> tuple[str, str]:
    if isinstance(source, (str, Path)):
        return str(source), Path(source).read_text(encoding="utf-8-sig")
    text = source.read()
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    return str(getattr(source, "name", "<csv>")), text.removeprefix("\ufeff")


def _parse_row(cells: list[str], zone: tzinfo, now: datetime) -> tuple[datetime, str, int]:
    if not 2 <= len(cells) <= 4:
        raise ValueError(f"expected {_COLUMNS} (found {len(cells)} columns)")
    cells = cells + [""] * (4 - len(cells))
    day, clock, minutes, label = _parse_date(cells[0]), _parse_clock(cells[1]), cells[2] or "30", cells[3]
    if not minutes.isdigit() or not 1 <= int(minutes) <= 24 * 60:
        raise ValueError(f"minutes '{minutes}' is not a whole number from 1 to {24 * 60}")
    at = local_to_utc(day, clock, zone)
    if at <= now:
        raise ValueError(f"{cells[0]} {cells[1]} is in the past")
    _check_slot(label, int(minutes))
    return at, label, int(minutes)


def _parse_date(text: str) -> date:
    us = _US_DATE.match(text)
    try:
        return date(int(us[3]), int(us[1]), int(us[2])) if us else date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date '{text}' is not a date (write 2026-12-01 or 12/01/2026)") from None


def _parse_clock(text: str) -> time:
    match = _CLOCK.match(text)
    hour, minute = (int(match[1]), int(match[2])) if match else (99, 99)
    if match and match[3]:
        hour = hour % 12 + (12 if match[3].lower() == "p" else 0) if 1 <= hour <= 12 else 99
    if hour > 23 or minute > 59:
        raise ValueError(f"time '{text}' is not a time (write 09:30, 14:00 or 2:00 PM)")
    return time(hour, minute)
