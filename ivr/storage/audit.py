"""The audit log: every change made in the console or with `ivr staff`, who made it, when and from
which address. Readable by admins. Never a caller's number or words: targets are ids, emails of
staff, node ids and version numbers."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, insert, select

from .db import Database
from .tables import audit_log
from .times import as_utc, utc


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict | None
    address: str


class AuditLog:
    def __init__(self, db: Database):
        self.db = db

    def record(self, actor: str, action: str, now: datetime, target: str = "", detail: dict | None = None,
               address: str = "", conn=None) -> None:
        """One entry; `conn`: inside the caller's transaction (the change and its entry together)."""
        values = {"at": utc(now, "now"), "actor": actor[:254], "action": action[:48], "target": str(target)[:254],
                  "detail": detail, "address": (address or "")[:64]}
        if conn is not None:
            conn.execute(insert(audit_log).values(**values))
            return
        with self.db.begin() as own:
            own.execute(insert(audit_log).values(**values))

    def page(self, limit: int = 50, before: int | None = None) -> list[AuditEntry]:
        """The newest entries first; `before`: older than this id (the next page)."""
        query = select(audit_log).order_by(audit_log.c.id.desc()).limit(limit)
        if before is not None:
            query = query.where(audit_log.c.id < before)
        with self.db.begin() as conn:
            return [AuditEntry(r.id, as_utc(r.at), r.actor, r.action, r.target, r.detail, r.address)
                    for r in conn.execute(query)]

    def count(self) -> int:
        with self.db.begin() as conn:
            return conn.execute(select(func.count()).select_from(audit_log)).scalar_one()
