"""What a call must keep that may not ride in a TwiML URL: the name a caller is booking under,
what Twilio's caller-ID verification said at the start of the call, and the booking a caller
proved is theirs before cancelling it.

Keyed by a keyed hash of the CallSid, so any worker on any server can pick the call up."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select

from .db import Database
from .tables import call_drafts
from .times import as_utc

DRAFT_LIFETIME = timedelta(hours=2)  # longer than any call
_LOAD = select(call_drafts).where(call_drafts.c.call_hash == bindparam("call_hash"))


class CallDrafts:
    """Read and written on the driver's cursor (see driver.py): a booking call's every step."""

    def __init__(self, db: Database):
        self.db = db
        self._load = db.prepare(_LOAD)
        self._save = db.prepare(db.upsert_statement(call_drafts, ("call_hash", "data", "expires_at")))

    def load(self, call_hash: str, now: datetime) -> dict | None:
        with self.db.driver_begin(durable=False) as tx:
            row = tx.first(self._load, {"call_hash": call_hash})
        return row.data if row is not None and as_utc(row.expires_at) > now else None

    def save(self, call_hash: str, data: dict, now: datetime) -> None:
        """Not flushed to disk: after a power cut the caller is asked their name again."""
        with self.db.driver_begin(durable=False) as tx:
            tx.execute(self._save, {"call_hash": call_hash, "data": data, "expires_at": now + DRAFT_LIFETIME})

    def update(self, call_hash: str, values: dict, now: datetime) -> None:
        """Add these values to the call's draft (a call's requests come one at a time)."""
        with self.db.driver_begin(durable=False) as tx:
            row = tx.first(self._load, {"call_hash": call_hash})
            kept = row.data if row is not None and as_utc(row.expires_at) > now and isinstance(row.data, dict) else {}
            tx.execute(self._save, {"call_hash": call_hash, "data": {**kept, **values},
                                    "expires_at": now + DRAFT_LIFETIME})

    def purge_expired(self, now: datetime) -> int:
        with self.db.begin() as conn:
            return conn.execute(delete(call_drafts).where(call_drafts.c.expires_at <= now)).rowcount
