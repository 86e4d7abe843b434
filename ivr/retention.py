"""The clinic's retention policy: delete conversation state older than a number of days.

Goes: text conversations past their expiry or untouched for longer, calls' booking drafts past
their expiry, recorded steps (events), finished texts (sent, failed, blocked because the
number opted out, or refused: each holds a number and words), rate-limit rows. Stays: slots, bookings,
call-back requests, opt-outs and texts still waiting to be sent (pending, sending)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_

from .storage.call_drafts import CallDrafts
from .storage.db import Database
from .storage.tables import events, outbox, sms_rate, sms_sessions

FINISHED_TEXTS = ("sent", "failed", "blocked", "refused")
KEPT = ("slots", "bookings", "callbacks", "sms_optouts", "outbox rows still to be sent")


def purge(db: Database, now: datetime, days: int) -> dict[str, int]:
    """Delete what is older than `days` days; returns how many rows went from each table."""
    if days < 1:
        raise ValueError("keep at least one day")
    cutoff = now - timedelta(days=days)
    deleted = {
        "sms_sessions": _delete(db, delete(sms_sessions).where(
            or_(sms_sessions.c.expires_at <= now, sms_sessions.c.updated_at < cutoff))),
        "call_drafts": CallDrafts(db).purge_expired(now),  # a draft lives 2 hours: less than a day
        "events": _delete(db, delete(events).where(events.c.at < cutoff)),
        "outbox": _delete(db, delete(outbox).where(outbox.c.status.in_(FINISHED_TEXTS),
                                                   outbox.c.updated_at < cutoff)),
        "sms_rate": _delete(db, delete(sms_rate).where(sms_rate.c.window_start < cutoff)),
    }
    return deleted


def _delete(db: Database, statement) -> int:
    with db.begin() as conn:
        return conn.execute(statement).rowcount
