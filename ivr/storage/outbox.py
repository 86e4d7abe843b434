"""Every text the line sends: recorded here first, then claimed, sent and marked.

A row's life: pending -> sending -> sent, or back to pending with a back-off after a
temporary failure, or failed (a permanent error, or too many attempts), or blocked (the
number opted out). Claims are atomic, so two workers never send one row twice; a row left
in 'sending' by a crashed process goes back to pending. Texts to one number go out in the
order they were written: a row waits while an older one to the same number is unsent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, bindparam, exists, func, select, update
from sqlalchemy.orm import aliased

from ..privacy import normalize_number, phone_hash
from .db import Database
from .driver import DriverTransaction
from .sms_store import SmsStore
from .tables import outbox
from .times import as_utc

UNSENT = ("pending", "sending")
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
MAX_ATTEMPTS = 10  # 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: about 4 hours of trying
_QUEUED = ("to_number", "to_hash", "body", "kind", "status", "attempts", "next_attempt_at", "last_error",
           "created_at", "updated_at")
_ENQUEUE = outbox.insert().values({name: bindparam(name) for name in _QUEUED}).returning(outbox.c.id)


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try: doubling from 30 s, at most 1 h."""
    return timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), MAX_RETRY_SECONDS))


@dataclass(frozen=True)
class OutboxMessage:
    """One row of the outbox. Its repr leaves out the number and the text (it may be logged)."""
    id: int
    to_number: str = field(repr=False)
    to_hash: str
    body: str = field(repr=False)
    kind: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    twilio_sid: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_row(cls, row) -> OutboxMessage:
        values = dict(row._mapping)
        for name in ("next_attempt_at", "created_at", "updated_at"):
            values[name] = as_utc(values[name])
        return cls(**values)


class Outbox:
    def __init__(self, db: Database, sms_store: SmsStore, secret: str, max_attempts: int = MAX_ATTEMPTS):
        self.db = db
        self.sms = sms_store
        self.secret = secret
        self.max_attempts = max_attempts
        self._enqueue = db.prepare(_ENQUEUE)  # on the driver (see driver.py): a webhook waits for it

    def enqueue(self, to_number: str, body: str, kind: str, now: datetime,
                tx: DriverTransaction | None = None) -> int | None:
        """Record a text to send. Returns its id, or None when the number has opted out: the
        text is then recorded as 'blocked' and never sent. `tx`: as part of the caller's
        transaction (a booking and its confirmation are kept together, or neither)."""
        if tx is None:
            self.sms.replay_spool()  # not inside a transaction: replaying writes
            with self.db.driver_begin() as own:
                return self.enqueue(to_number, body, kind, now, own)
        # In the caller's transaction an opt-out still in the spool is not seen here, but the
        # sender looks again (spool first) before it sends anything.
        number = normalize_number(to_number)
        to_hash = phone_hash(number, self.secret)
        status = "blocked" if self.sms.opted_out_in(tx, to_hash) else "pending"
        row_id = tx.first(self._enqueue, {
            "to_number": number, "to_hash": to_hash, "body": body, "kind": kind, "status": status, "attempts": 0,
            "next_attempt_at": now, "last_error": "opted out" if status == "blocked" else None,
            "created_at": now, "updated_at": now,
        }).id
        return row_id if status == "pending" else None

    def is_opted_out(self, message: OutboxMessage) -> bool:
        return self.sms.is_opted_out(message.to_hash)

    def claim_due(self, now: datetime, limit: int) -> list[OutboxMessage]:
        """Take up to `limit` due rows for sending, oldest first. Each row is claimed by a
        conditional update, so of two workers racing for it only one gets it (SQLite and
        PostgreSQL alike)."""
        older = aliased(outbox)
        older_unsent = exists().where(and_(older.c.to_hash == outbox.c.to_hash, older.c.id < outbox.c.id,
                                           older.c.status.in_(UNSENT)))
        due = (select(outbox.c.id)
               .where(outbox.c.status == "pending", outbox.c.next_attempt_at <= now, ~older_unsent)
               .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit))
        with self.db.begin() as conn:
            candidates = conn.execute(due).scalars().all()
        claimed = []
        for row_id in candidates:
            with self.db.begin() as conn:
                result = conn.execute(update(outbox)
                                      .where(outbox.c.id == row_id, outbox.c.status == "pending")
                                      .values(status="sending", updated_at=now))
            if result.rowcount == 1:
                claimed.append(row_id)
        if not claimed:
            return []
        with self.db.begin() as conn:
            rows = conn.execute(select(outbox).where(outbox.c.id.in_(claimed))
                                .order_by(outbox.c.next_attempt_at, outbox.c.id)).all()
        return [OutboxMessage.from_row(row) for row in rows]

    def mark_sent(self, row_id: int, sid: str, now: datetime) -> None:
        self._finish(row_id, "sent", now, twilio_sid=sid, last_error=None)

    def mark_failed(self, row_id: int, error: str, now: datetime) -> None:
        """A permanent error (a bad number, a refused message): not tried again."""
        self._finish(row_id, "failed", now, last_error=error)

    def mark_blocked(self, row_id: int, now: datetime) -> None:
        """The number has opted out (Twilio error 21610, or a STOP since the text was written):
        the row is never sent, and the opt-out is recorded so nothing else is sent either."""
        self._finish(row_id, "blocked", now, last_error="opted out")
        to_hash = self.get(row_id).to_hash
        if not self.sms.is_opted_out(to_hash):
            self.sms.set_opted_out(to_hash, True, now)

    def mark_retry(self, row_id: int, error: str, now: datetime) -> str:
        """A temporary failure: try again after a back-off, or give up as 'failed' after
        max_attempts tries. Returns the row's new status."""
        attempts = self.get(row_id).attempts + 1
        if attempts >= self.max_attempts:
            self._finish(row_id, "failed", now, last_error=f"{error}; gave up after {attempts} attempts")
            return "failed"
        self._set(row_id, now, status="pending", attempts=attempts, last_error=error,
                  next_attempt_at=now + retry_delay(attempts))
        return "pending"

    def recover_stale(self, now: datetime, older_than: timedelta) -> int:
        """Rows left in 'sending' by a process that died mid-send go back to pending. Returns
        how many. `older_than` must be longer than any send takes."""
        with self.db.begin() as conn:
            result = conn.execute(update(outbox)
                                  .where(outbox.c.status == "sending", outbox.c.updated_at < now - older_than)
                                  .values(status="pending", updated_at=now))
        return result.rowcount

    def depth(self) -> int:
        """How many texts wait to be sent."""
        with self.db.begin() as conn:
            return conn.execute(select(func.count()).select_from(outbox)
                                .where(outbox.c.status == "pending")).scalar_one()

    def get(self, row_id: int) -> OutboxMessage:
        with self.db.begin() as conn:
            return OutboxMessage.from_row(conn.execute(select(outbox).where(outbox.c.id == row_id)).one())

    def list(self, limit: int = 50) -> list[OutboxMessage]:
        """The most recent rows, newest first."""
        with self.db.begin() as conn:
            rows = conn.execute(select(outbox).order_by(outbox.c.id.desc()).limit(limit)).all()
        return [OutboxMessage.from_row(row) for row in rows]

    def _finish(self, row_id: int, status: str, now: datetime, **values) -> None:
        """A try that ends the row: it counts as an attempt."""
        self._set(row_id, now, status=status, attempts=outbox.c.attempts + 1, **values)

    def _set(self, row_id: int, now: datetime, **values) -> None:
        with self.db.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(updated_at=now, **values))
