"""Every text the line sends: recorded here first, then claimed, sent and marked.

A row's life: pending -> sending -> sent, or back to pending with a back-off after a
temporary failure, or failed (a permanent error, or too many attempts), or blocked (the
number opted out), or refused at once (a country the clinic does not text, or over a limit:
text_rules.py). Claims are atomic, so two workers never send one row twice. A claim is a
lease on the row, stamped when that row is claimed and renewed while it is being sent; only a
row whose lease ran out (its worker stopped mid-send) goes back to pending. Texts to one
number go out in the order they were written: a row waits while an older one to the same
number is unsent.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import and_, bindparam, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from ..privacy import normalize_number, phone_hash
from .db import Database
from .driver import DriverTransaction
from .sms_store import SmsStore
from .tables import outbox
from .text_rules import COUNTRY, DAY, LIMITED_KINDS, NO_RULES, PER_CALL, PER_DAY, TextRules
from .times import as_utc

UNSENT = ("pending", "sending")
NOT_SENDING = ("blocked", "refused")  # statuses a text is given at once, and never sent
FIRST_RETRY_SECONDS = 30
MAX_RETRY_SECONDS = 3600
MAX_ATTEMPTS = 10  # 30 s, 1, 2, 4, 8, 16, 32 min, then hourly: about 4 hours of trying
LEASE = timedelta(minutes=2)  # a claim's hold on a row; the sender renews it while the row is in hand
LEGACY_STALE = timedelta(minutes=5)  # a row claimed before leases existed: recovered by its updated_at
TEXTS_LOCK = 12  # the scope of the per-number lock taken while counting limited texts
_QUEUED = ("to_number", "to_hash", "body", "kind", "status", "attempts", "next_attempt_at", "last_error",
           "created_at", "updated_at", "call_hash", "booking_id")
_ENQUEUE = outbox.insert().values({name: bindparam(name) for name in _QUEUED}).returning(outbox.c.id)
_LIMITED = and_(or_(*(outbox.c.kind == kind for kind in LIMITED_KINDS)),
                *(outbox.c.status != status for status in NOT_SENDING))
_SENT_TO_CALL = select(func.count().label("texts")).where(outbox.c.call_hash == bindparam("call_hash"), _LIMITED)
_SENT_TO_NUMBER = select(func.count().label("texts")).where(
    outbox.c.to_hash == bindparam("to_hash"), _LIMITED,
    outbox.c.created_at > bindparam("since", type_=outbox.c.created_at.type))


class Queued(NamedTuple):
    """What became of a text handed to the outbox: its row, and whether it will be sent."""
    id: int
    status: str  # pending (it will be sent), blocked (opted out) or refused
    reason: str | None = None  # why it was refused (text_rules.REASONS)

    @property
    def sending(self) -> bool:
        return self.status == "pending"


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
    call_hash: str | None = None  # the call that asked for it
    lease_owner: str | None = None  # while sending: the worker holding it, and until when
    lease_until: datetime | None = None
    booking_id: int | None = None  # the booking it is about (a confirmation, a cancellation)

    @classmethod
    def from_row(cls, row) -> OutboxMessage:
        values = dict(row._mapping)
        for name in ("next_attempt_at", "created_at", "updated_at", "lease_until"):
            values[name] = as_utc(values[name]) if values[name] is not None else None
        return cls(**values)


class Outbox:
    def __init__(self, db: Database, sms_store: SmsStore, secret: str, max_attempts: int = MAX_ATTEMPTS,
                 rules: TextRules = NO_RULES):
        self.db = db
        self.sms = sms_store
        self.secret = secret
        self.max_attempts = max_attempts
        self.rules = rules  # countries and limits (text_rules.py)
        self._enqueue = db.prepare(_ENQUEUE)  # on the driver (see driver.py): a webhook waits for it
        self._sent_to_call, self._sent_to_number = db.prepare(_SENT_TO_CALL), db.prepare(_SENT_TO_NUMBER)

    def enqueue(self, to_number: str, body: str, kind: str, now: datetime,
                tx: DriverTransaction | None = None, call_hash: str | None = None,
                booking_id: int | None = None) -> int | None:
        """Record a text to send. Returns its id, or None when it will never be sent (see queue)."""
        queued = self.queue(to_number, body, kind, now, tx, call_hash, booking_id)
        return queued.id if queued.sending else None

    def queue(self, to_number: str, body: str, kind: str, now: datetime,
              tx: DriverTransaction | None = None, call_hash: str | None = None,
              booking_id: int | None = None) -> Queued:
        """Record a text to send, and say what becomes of it: 'pending' (it will be sent),
        'blocked' (the number opted out) or 'refused' (a country not allowed, or over a limit;
        see text_rules.py). `tx`: as part of the caller's transaction (a booking and its
        confirmation are kept together, or neither). `call_hash`: the call that asked for it;
        `booking_id`: the booking it is about (the front desk lists a booking's texts)."""
        if tx is None:
            self.sms.replay_spool()  # not inside a transaction: replaying writes
            with self.db.driver_begin() as own:
                return self.queue(to_number, body, kind, now, own, call_hash, booking_id)
        # In the caller's transaction an opt-out still in the spool is not seen here, but the
        # sender looks again (spool first) before it sends anything.
        number = normalize_number(to_number)
        to_hash = phone_hash(number, self.secret)
        status, reason = "pending", None
        if self.sms.opted_out_in(tx, to_hash):
            status, reason = "blocked", "opted out"
        else:
            reason = self._refusal(tx, number, to_hash, kind, now, call_hash)
            status = "refused" if reason else "pending"
        row_id = tx.first(self._enqueue, {
            "to_number": number, "to_hash": to_hash, "body": body, "kind": kind, "status": status, "attempts": 0,
            "next_attempt_at": now, "last_error": reason, "created_at": now, "updated_at": now,
            "call_hash": call_hash, "booking_id": booking_id,
        }).id
        return Queued(row_id, status, reason if status == "refused" else None)

    def _refusal(self, tx: DriverTransaction, number: str, to_hash: str, kind: str, now: datetime,
                 call_hash: str | None) -> str | None:
        """Why this text may not be sent (text_rules.py), or None. The counts are taken with the
        number's lock held, so two calls asking at once cannot both slip under a limit."""
        rules = self.rules
        if not rules.country_allowed(number):
            return COUNTRY
        if not rules.limits(kind):
            return None
        tx.serialize(TEXTS_LOCK, to_hash)
        if rules.per_call and call_hash:
            if tx.first(self._sent_to_call, {"call_hash": call_hash}).texts >= rules.per_call:
                return PER_CALL
        if rules.per_day:
            if tx.first(self._sent_to_number, {"to_hash": to_hash, "since": now - DAY}).texts >= rules.per_day:
                return PER_DAY
        return None

    def is_opted_out(self, message: OutboxMessage) -> bool:
        return self.sms.is_opted_out(message.to_hash)

    def claim_due(self, now: datetime, limit: int, owner: str = "", lease: timedelta = LEASE) -> list[OutboxMessage]:
        """Take up to `limit` due rows for sending, oldest first. Each row is claimed by a
        conditional update, so of two workers racing for it only one gets it (SQLite and
        PostgreSQL alike), and leased to `owner` until `now + lease`: `now` is the moment of
        this claim (a slow round must not stamp its later claims with the time it began)."""
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
                                      .values(status="sending", updated_at=now, lease_owner=owner,
                                              lease_until=now + lease))
            if result.rowcount == 1:
                claimed.append(row_id)
        if not claimed:
            return []
        with self.db.begin() as conn:
            rows = conn.execute(select(outbox).where(outbox.c.id.in_(claimed))
                                .order_by(outbox.c.next_attempt_at, outbox.c.id)).all()
        return [OutboxMessage.from_row(row) for row in rows]

    def renew(self, row_ids, owner: str, now: datetime, lease: timedelta = LEASE) -> int:
        """Extend the leases `owner` holds on these rows (still 'sending') to `now + lease`.
        Returns how many it still holds."""
        if not row_ids:
            return 0
        with self.db.begin(durable=False) as conn:  # a lost renewal is only a shorter lease
            return conn.execute(update(outbox).where(outbox.c.id.in_(list(row_ids)), outbox.c.status == "sending",
                                                     outbox.c.lease_owner == owner)
                                .values(lease_until=now + lease)).rowcount

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
                  next_attempt_at=now + retry_delay(attempts), lease_owner=None, lease_until=None)
        return "pending"

    def recover_stale(self, now: datetime) -> int:
        """Rows left in 'sending' by a process that stopped mid-send (their lease ran out) go
        back to pending. Returns how many. A row whose sender is alive is never taken: it
        renews its lease while it sends."""
        ran_out = or_(outbox.c.lease_until < now,
                      and_(outbox.c.lease_until.is_(None), outbox.c.updated_at < now - LEGACY_STALE))
        with self.db.begin() as conn:
            result = conn.execute(update(outbox)
                                  .where(outbox.c.status == "sending", ran_out)
                                  .values(status="pending", updated_at=now, lease_owner=None, lease_until=None))
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

    def retry_failed(self, row_id: int, now: datetime) -> bool:
        """The front desk sends a failed text again: it goes back to pending, due now, with its
        attempts counted afresh. False unless the row is failed. The sender still looks for an
        opt-out before it sends."""
        with self.db.begin() as conn:
            return conn.execute(update(outbox).where(outbox.c.id == row_id, outbox.c.status == "failed")
                                .values(status="pending", attempts=0, next_attempt_at=now, updated_at=now,
                                        last_error=None)).rowcount == 1

    def _finish(self, row_id: int, status: str, now: datetime, **values) -> None:
        """A try that ends the row: it counts as an attempt."""
        self._set(row_id, now, status=status, attempts=outbox.c.attempts + 1, lease_owner=None, lease_until=None,
                  **values)

    def _set(self, row_id: int, now: datetime, **values) -> None:
        with self.db.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.id == row_id).values(updated_at=now, **values))
