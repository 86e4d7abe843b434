"""Is the database answering? For GET /healthz: `SELECT 1`, given a few seconds at most."""
from __future__ import annotations

import threading
from weakref import WeakKeyDictionary

from sqlalchemy import text

from ..storage.db import Database

TIMEOUT_SECONDS = 2.0

_probes: WeakKeyDictionary = WeakKeyDictionary()  # the latest probe of each database
_probes_lock = threading.Lock()


class _Probe:
    def __init__(self, db: Database):
        self.outcome: tuple[bool, str] | None = None
        # The engine goes to the thread only (dropped when it ends): the probe kept in
        # _probes must not hold its database alive.
        self.thread = threading.Thread(target=self._run, args=(db.engine,), name="healthz-db", daemon=True)

    def _run(self, engine) -> None:
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1")).scalar_one()
            self.outcome = (True, "ok")
        except Exception as error:  # its kind only: the message may name the host or the user
            self.outcome = (False, f"error: {type(error).__name__}")


def database_ok(db: Database, timeout: float = TIMEOUT_SECONDS) -> tuple[bool, str]:
    """(True, "ok"), or (False, why) without the URL or any password.

    The query runs in a thread of its own so an unreachable server cannot hold the health
    check longer than `timeout`. While a probe hangs, later checks wait on that same probe
    rather than start another: a hung server never piles up threads."""
    with _probes_lock:
        probe = _probes.get(db)
        if probe is None or not probe.thread.is_alive():
            probe = _probes[db] = _Probe(db)
            probe.thread.start()
    probe.thread.join(timeout)
    return probe.outcome or (False, f"no answer within {timeout:g} s")
