"""Failed sign-ins counted per key (an account, an address) in the database, so a guesser is
slowed on every worker and server alike. A window opens at a key's first failure; while it is
open and the count has reached the limit, sign-ins for that key are refused."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select

from .db import Database
from .tables import signin_failures
from .times import as_utc, utc
from .windows import count_in_window


class SigninThrottle:
    def __init__(self, db: Database, window: timedelta):
        self.db = db
        self.window = window
        self._count = count_in_window(db, signin_failures, "key", "window_start", "failures")

    def blocked_until(self, keys: list[str], limits: dict[str, int], now: datetime) -> datetime | None:
        """When the first of these keys that has reached its limit opens again, or None.
        `limits`: the most failures each key's kind ("account", "address") may have."""
        now = utc(now, "now")
        with self.db.begin(durable=False) as conn:
            rows = conn.execute(select(signin_failures).where(signin_failures.c.key.in_(keys))).all()
        ends = [as_utc(r.window_start) + self.window for r in rows
                if as_utc(r.window_start) + self.window > now and r.failures >= limits[r.key.split(":", 1)[0]]]
        return max(ends) if ends else None

    def failed(self, keys: list[str], now: datetime) -> None:
        now = utc(now, "now")
        with self.db.begin(durable=False) as conn:
            for key in keys:
                conn.execute(self._count, {"key": key, "now": now, "opened_after": now - self.window})

    def succeeded(self, key: str) -> None:
        """A good sign-in clears the account's count (not the address's)."""
        with self.db.begin(durable=False) as conn:
            conn.execute(delete(signin_failures).where(signin_failures.c.key == key))
