"""Call-back requests: someone asked for a person to call them back (the office was closed)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import insert, select, update

from ..privacy import normalize_number, phone_hash
from .db import Database
from .slots import check_lang, clean_text
from .tables import callbacks
from .times import as_utc, utc

OPEN, DONE = "open", "done"
NOTE_MAX = callbacks.c.note.type.length


@dataclass(frozen=True)
class Callback:
    id: int
    phone: str = field(repr=False)  # never in a log line or an error
    name: str
    lang: str
    status: str  # open or done
    created_at: datetime
    done_at: datetime | None = None
    note: str = field(default="", repr=False)  # the desk's note when done: may name the patient


def _callback(row) -> Callback:
    return Callback(row.id, row.phone, row.name, row.lang, row.status, as_utc(row.created_at),
                    as_utc(row.done_at) if row.done_at is not None else None, row.note or "")


class CallbackStore:
    def __init__(self, db: Database, secret: str):
        self.db = db
        self.secret = secret

    def add_callback(self, phone: str, name: str, lang: str, now: datetime) -> Callback:
        """Someone asked for a person to call them back."""
        number = normalize_number(phone)
        if not number or len(number) > callbacks.c.phone.type.length:
            raise ValueError("the phone number is missing or too long")
        check_lang(lang)
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

    def mark_callback_done(self, callback_id: int, note: str = "", now: datetime | None = None) -> bool:
        """False if there is no open callback request with this id. `note`: what the desk noted
        (at most NOTE_MAX characters)."""
        note = " ".join(note.split())
        if len(note) > NOTE_MAX:
            raise ValueError(f"the note is longer than {NOTE_MAX} characters")
        with self.db.begin() as conn:
            changed = conn.execute(update(callbacks).where(callbacks.c.id == callback_id, callbacks.c.status == OPEN)
                                   .values(status=DONE, note=note or None,
                                           done_at=utc(now, "now") if now is not None else None)).rowcount
        return changed == 1
