"""Where each texter is in the conversation, and who has opted out. Keyed by phone hash.

A texter's place is stored as plain values (node, language, misses, and a booking's details
as JSON); the SMS channel turns it into the engine's State and back."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from .db import Database
from .driver import DriverTransaction
from .optout_spool import OptOutSpool
from .rate_limit import ANSWER, RateLimiter
from .tables import sms_optouts, sms_sessions
from .times import as_utc

# The statements every text runs, built once and run on the driver (see driver.py).
_STATE = select(sms_sessions).where(sms_sessions.c.phone_hash == bindparam("phone_hash"))
_OPTED_OUT = select(sms_optouts.c.opted_out).where(sms_optouts.c.phone_hash == bindparam("phone_hash"))
_STATE_COLUMNS = ("phone_hash", "node", "lang", "misses", "data", "updated_at", "expires_at")


class Place(NamedTuple):
    """Where a texter is: a node, their language, misses there, and a dialog's details (or None)."""

    node: str
    lang: str
    misses: int = 0
    data: dict | None = None


class Arrival(NamedTuple):
    """What the database knows of a number as its text arrives."""

    place: Place | None  # where the texter is (None: nowhere yet, or their place expired)
    opted_out: bool
    verdict: str  # the rate limiter's: ANSWER, NOTICE or QUIET


class SmsStore:
    def __init__(self, db: Database, session_minutes: int, spool: OptOutSpool | None = None):
        self.db = db
        self.ttl = timedelta(minutes=session_minutes)
        self.spool = spool  # opt-outs that came while the database was down
        self._read_state, self._read_opted_out = db.prepare(_STATE), db.prepare(_OPTED_OUT)
        self._write_state = db.prepare(db.upsert_statement(sms_sessions, _STATE_COLUMNS))

    def arrive(self, phone_hash: str, now: datetime, limiter: RateLimiter | None = None) -> Arrival:
        """Count the text with the limiter (if given) and read where the texter is and whether
        they opted out: one transaction, as each text's first step."""
        self.replay_spool()
        with self.db.driver_begin(durable=False) as tx:
            verdict = limiter.hit_in(tx, phone_hash, now) if limiter is not None else ANSWER
            return Arrival(self._place(tx, phone_hash, now), self.opted_out_in(tx, phone_hash), verdict)

    def load_place(self, phone_hash: str, now: datetime) -> Place | None:
        with self.db.driver_begin(durable=False) as tx:
            return self._place(tx, phone_hash, now)

    def save_place(self, phone_hash: str, place: Place, now: datetime) -> None:
        """Where the texter is now (not flushed to disk: a power cut may cost them one step)."""
        with self.db.driver_begin(durable=False) as tx:
            tx.execute(self._write_state, {
                "phone_hash": phone_hash, "node": place.node, "lang": place.lang,
                "misses": place.misses, "data": place.data,
                "updated_at": now, "expires_at": now + self.ttl,
            })

    def is_opted_out(self, phone_hash: str) -> bool:
        self.replay_spool()
        with self.db.driver_begin(durable=False) as tx:
            return self.opted_out_in(tx, phone_hash)

    def replay_spool(self) -> None:
        """Apply the opt-outs kept on disk while the database was down, before anyone is sent anything."""
        if self.spool is not None and self.spool.pending():
            self.spool.replay(self._write_opt_out)

    def _place(self, tx: DriverTransaction, phone_hash: str, now: datetime) -> Place | None:
        row = tx.first(self._read_state, {"phone_hash": phone_hash})
        if row is None or as_utc(row.expires_at) <= now:
            return None
        return Place(row.node, row.lang, row.misses, row.data)

    def opted_out_in(self, tx: DriverTransaction, phone_hash: str) -> bool:
        """Whether the number opted out, read in a transaction the caller has open (after the
        spool is replayed: see replay_spool)."""
        row = tx.first(self._read_opted_out, {"phone_hash": phone_hash})
        return bool(row and row.opted_out)

    def set_opted_out(self, phone_hash: str, opted_out: bool, now: datetime) -> None:
        """Record it; if the database is down, keep it on disk and apply it when it is back."""
        try:
            self._write_opt_out(phone_hash, opted_out, now)
        except SQLAlchemyError:
            if self.spool is None:
                raise
            self.spool.append(phone_hash, opted_out, now)

    def _write_opt_out(self, phone_hash: str, opted_out: bool, now: datetime) -> None:
        with self.db.begin() as conn:
            self.db.upsert(conn, sms_optouts, {"phone_hash": phone_hash, "opted_out": opted_out,
                                               "updated_at": now})
