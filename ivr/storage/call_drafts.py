"""A call's booking in progress: the part that must not ride in a TwiML URL (the caller's name).

Keyed by a keyed hash of the CallSid, so any worker on any server can pick the call up."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from .db import Database, as_utc, call_drafts

DRAFT_LIFETIME = timedelta(hours=2)  # longer than any call


class CallDrafts:
    def __init__(self, db: Database):
        self.db = db

    def load(self, call_hash: str, now: datetime) -> dict | None:
        with self.db.begin(durable=False) as conn:
            row = conn.execute(select(call_drafts).where(call_drafts.c.call_hash == call_hash)).first()
        return row.data if row is not None and as_utc(row.expires_at) > now else None

    def save(self, call_hash: str, data: dict, now: datetime) -> None:
        """Not flushed to disk: after a power cut the caller is asked their name again."""
        with self.db.begin(durable=False) as conn:
            self.db.upsert(conn, call_drafts, {"call_hash": call_hash, "data": data,
                                               "expires_at": now + DRAFT_LIFETIME})

    def purge_expired(self, now: datetime) -> int:
        with self.db.begin() as conn:
            return conn.execute(delete(call_drafts).where(call_drafts.c.expires_at <= now)).rowcount
