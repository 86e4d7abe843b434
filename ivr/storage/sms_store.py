"""Where each texter is in the conversation, and who has opted out. Keyed by phone hash."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from ..engine.state import State, dialog_data, with_dialog
from .db import Database, as_utc, sms_optouts, sms_sessions
from .optout_spool import OptOutSpool


class SmsStore:
    def __init__(self, db: Database, session_minutes: int, spool: OptOutSpool | None = None):
        self.db = db
        self.ttl = timedelta(minutes=session_minutes)
        self.spool = spool  # opt-outs that came while the database was down

    def load_state(self, phone_hash: str, now: datetime) -> State | None:
        with self.db.begin() as conn:
            row = conn.execute(select(sms_sessions).where(sms_sessions.c.phone_hash == phone_hash)).first()
        if row is None or as_utc(row.expires_at) <= now:
            return None
        return with_dialog(State(row.node, row.lang, row.misses), row.data)

    def save_state(self, phone_hash: str, state: State, now: datetime) -> None:
        with self.db.begin() as conn:
            self.db.upsert(conn, sms_sessions, {
                "phone_hash": phone_hash, "node": state.node, "lang": state.lang,
                "misses": state.misses, "data": dialog_data(state),
                "updated_at": now, "expires_at": now + self.ttl,
            })

    def is_opted_out(self, phone_hash: str) -> bool:
        if self.spool is not None and self.spool.pending():
            self.spool.replay(self._write_opt_out)  # before anyone is sent anything
        with self.db.begin() as conn:
            row = conn.execute(select(sms_optouts.c.opted_out)
                               .where(sms_optouts.c.phone_hash == phone_hash)).first()
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
