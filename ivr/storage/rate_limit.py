"""How fast each number is texting the line, so one number flooding it is slowed and no one else.

A fixed window per phone hash, counted in the database: every gunicorn worker on every server
sees the same count, and no request depends on what a process remembers of an earlier one.
A number's first text opens a window of `window` seconds; in it the first `limit` texts are
answered, the next one gets one short notice, the rest get nothing. Then a new window opens.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, case

from .db import Database
from .driver import DriverTransaction
from .tables import sms_rate

ANSWER, NOTICE, QUIET = "answer", "notice", "quiet"


class RateLimiter:
    def __init__(self, db: Database, limit: int, window_seconds: float):
        self.db = db
        self.limit = limit  # 0: no limit
        self.window = timedelta(seconds=window_seconds)
        self._count = db.prepare(self._count_statement(db))

    def hit(self, phone_hash: str, now: datetime) -> str:
        """Count one text from this number: ANSWER it, send the one NOTICE, or stay QUIET."""
        with self.db.driver_begin(durable=False) as tx:
            return self.hit_in(tx, phone_hash, now)

    def hit_in(self, tx: DriverTransaction, phone_hash: str, now: datetime) -> str:
        """hit(), inside a transaction the caller has open."""
        if self.limit <= 0:
            return ANSWER
        now = now.astimezone(timezone.utc)
        hits = tx.first(self._count, {"phone_hash": phone_hash, "now": now,
                                      "opened_after": now - self.window}).hits
        if hits <= self.limit:
            return ANSWER
        return NOTICE if hits == self.limit + 1 else QUIET

    @staticmethod
    def _count_statement(db: Database):
        """One atomic statement, built once: open a window or add to the current one; the count
        after."""
        statement = db.upsert_insert(sms_rate).values(phone_hash=bindparam("phone_hash"),
                                                       window_start=bindparam("now"), hits=1)
        window_open = sms_rate.c.window_start > bindparam("opened_after", type_=sms_rate.c.window_start.type)
        return statement.on_conflict_do_update(
            index_elements=[sms_rate.c.phone_hash],
            set_={"hits": case((window_open, sms_rate.c.hits + 1), else_=1),
                  "window_start": case((window_open, sms_rate.c.window_start), else_=statement.excluded.window_start)},
        ).returning(sms_rate.c.hits)
