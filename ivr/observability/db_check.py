"""Is the database answering? For GET /healthz: `SELECT 1`, given a few seconds at most."""
from __future__ import annotations

import threading

from sqlalchemy import text

from ..storage.db import Database

TIMEOUT_SECONDS = 2.0


def database_ok(db: Database, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """(True, "ok"), or (False, why) without the URL or any password. The query runs in a
    thread of its own so an unreachable server cannot hold the health check longer than
    `timeout` (the thread is left to give up on its own)."""
    outcome: list[tuple[bool, str]] = []

    def probe() -> None:
        try:
            with db.engine.connect() as conn:
                conn.execute(text("SELECT 1")).scalar_one()
            outcome.append((True, "ok"))
        except Exception as error:
            outcome.append((False, f"error: {type(error).__name__}"))

    worker = threading.Thread(target=probe, name="healthz-db", daemon=True)
    worker.start()
    worker.join(timeout)
    return outcome[0] if outcome else (False, f"no answer within {timeout:g} s")
