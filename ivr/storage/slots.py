"""Appointment slots: the times the clinic offers. Staff add them (one by one, in a run, or from a
CSV file) and remove them; callers see the open ones. Times are stored and returned in UTC."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

from sqlalchemy import exists, insert, select, update

from .db import Database
from .slot_csv import MAX_MINUTES, read_rows
from .tables import bookings, slots
from .times import as_utc, utc, utcnow

TEXT_MAX = 120  # a name or a label
_EVERY = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")
BOOKED = "booked"
BY_TIME = (slots.c.starts_at, slots.c.id)
BOOKED_NOW = exists().where(bookings.c.slot_id == slots.c.id, bookings.c.status == BOOKED)


@dataclass(frozen=True)
class Slot:
    id: int
    starts_at: datetime  # aware, UTC
    minutes: int
    label: str  # clinic or provider; may be empty


def parse_every(text: str) -> timedelta:
    """The time between slots as staff type it: 15m, 1h, 1h30m, 90m."""
    match = _EVERY.match(text.strip().lower())
    every = timedelta(hours=int(match[1] or 0), minutes=int(match[2] or 0)) if match else timedelta(0)
    if every <= timedelta(0):
        raise ValueError(f"'{text}' is not a time between slots (write e.g. 15m, 1h or 1h30m)")
    return every


def clean_text(value: str | None) -> str:
    """Spaces trimmed and collapsed, at most 120 characters (what the columns hold)."""
    return " ".join((value or "").split())[:TEXT_MAX]


def check_slot(label: str, minutes: int) -> None:
    """ValueError for a slot the table would not hold."""
    if len(" ".join((label or "").split())) > TEXT_MAX:
        raise ValueError(f"label is longer than {TEXT_MAX} characters")
    if not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        raise ValueError(f"minutes must be a whole number from 1 to {MAX_MINUTES} (got {minutes})")


def check_lang(lang: str) -> None:
    """ValueError unless `lang` is a language code the bookings and call-backs tables hold."""
    if not lang or len(lang) > bookings.c.lang.type.length:
        raise ValueError(f"lang must be a short language code like 'en' (got {lang!r})")


def slot_of(row) -> Slot:
    return Slot(row.id, as_utc(row.starts_at), row.minutes, row.label)


class SlotStore:
    def __init__(self, db: Database):
        self.db = db

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

    def import_csv(self, source: str | Path | IO, tz: str | tzinfo,
                   now: datetime | None = None) -> tuple[list[Slot], list[str]]:
        """Add the slots of a CSV file of `date,time,minutes,label` rows in the clinic's local
        time (a header row is allowed). Returns the slots added and, for each row left out,
        `file:line: what is wrong`. Rows already there are skipped, so a fixed file can be
        imported again."""
        zone = ZoneInfo(tz) if isinstance(tz, str) else tz
        now = utc(now or utcnow(), "now")
        wanted, problems = read_rows(source, zone, now, check_slot)
        return (self._add(wanted, now) if wanted else []), problems

    def _add(self, wanted: list[tuple[datetime, str, int]], now: datetime) -> list[Slot]:
        for _, label, minutes in wanted:
            check_slot(label, minutes)
        created, added, seen = utc(now, "now"), [], set()
        with self.db.begin() as conn:
            rows = conn.execute(select(slots).where(slots.c.starts_at.in_(sorted({at for at, _, _ in wanted}))))
            there = {(as_utc(r.starts_at), r.label): r for r in rows}
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
        return slot_of(row) if row else None

    def open_slots(self, now: datetime, limit: int = 3, offset: int = 0) -> list[Slot]:
        """Slots a caller may book: future, not removed, not booked; soonest first."""
        query = self._bookable(now).order_by(*BY_TIME).limit(limit).offset(offset)
        with self.db.begin() as conn:
            return [slot_of(row) for row in conn.execute(query)]

    def open_slot(self, slot_id: int, now: datetime) -> Slot | None:
        """This slot if a caller may still book it, else None."""
        with self.db.begin() as conn:
            row = conn.execute(self._bookable(now).where(slots.c.id == slot_id)).first()
        return slot_of(row) if row else None

    @staticmethod
    def _bookable(now: datetime):
        return select(slots).where(slots.c.removed.is_(False), slots.c.starts_at > utc(now, "now"), ~BOOKED_NOW)

    def list_slots(self, now: datetime, include_past: bool = False) -> list[Slot]:
        """Every slot not removed (booked or not), soonest first; past ones only when asked."""
        query = select(slots).where(slots.c.removed.is_(False)).order_by(*BY_TIME)
        if not include_past:
            query = query.where(slots.c.starts_at > utc(now, "now"))
        with self.db.begin() as conn:
            return [slot_of(row) for row in conn.execute(query)]

    def remove_slot(self, slot_id: int) -> bool:
        """Take a slot off offer. False if there is no such slot; refused while it is booked."""
        with self.db.begin() as conn:
            # On PostgreSQL the row lock makes a booking being confirmed right now finish first
            # (and be seen below), or wait and then find the slot removed.
            row = conn.execute(select(slots.c.removed).where(slots.c.id == slot_id).with_for_update()).first()
            if row is None or row.removed:
                return False
            removed = conn.execute(update(slots).where(slots.c.id == slot_id, ~BOOKED_NOW)
                                   .values(removed=True)).rowcount
            if not removed:
                raise ValueError(f"slot {slot_id} is booked: cancel its booking first, then remove it")
        return True
