"""The clinic's retention policy: delete conversation state older than a number of days.

Goes: text conversations past their expiry or untouched for longer, calls' booking drafts past
their expiry, recorded steps (events), finished texts (sent, failed, or blocked because the
number opted out: each holds a number and words), rate-limit rows (table sms_rate, where it
exists). Stays: slots, bookings, call-back requests, opt-outs and texts still waiting to be
sent (pending, sending)."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, MetaData, Table, and_, delete, inspect, or_

from .storage.call_drafts import CallDrafts
from .storage.db import Database, outbox, sms_sessions
from .storage.events import events

RATE_TABLE = "sms_rate"  # made by the rate limiter, where there is one
FINISHED_TEXTS = ("sent", "failed", "blocked")
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
    }
    rate = _rate_table(db)
    if rate is not None:
        deleted[RATE_TABLE] = _delete(db, delete(rate).where(and_(*(c < cutoff for c in _times(rate)))))
    return deleted


def _delete(db: Database, statement) -> int:
    with db.begin() as conn:
        return conn.execute(statement).rowcount


def _rate_table(db: Database) -> Table | None:
    """The rate limiter's table as the database has it, when it has one with a time column:
    a row goes when every time on it is older than the cutoff."""
    with db.begin() as conn:
        if not inspect(conn).has_table(RATE_TABLE):
            return None
        table = Table(RATE_TABLE, MetaData(), autoload_with=conn)
    return table if _times(table) else None


def _times(table: Table) -> list:
    return [column for column in table.columns if isinstance(column.type, DateTime)]
