"""Keeping the outbox rows a sender holds: each claimed row is leased to its sender for a short
while (outbox.LEASE), and a thread renews the lease of every row still in hand until it is
marked. A sender that stops (a crash, a kill) stops renewing, so its rows come back to the
queue soon after; a sender that is merely slow (Twilio taking its time, a long round) keeps
them, and no other worker sends them again meanwhile.

The leases are per row, so a sender may hold several rows at once (texts sent concurrently, at
a rate) and renew them all in one statement.
"""
from __future__ import annotations

import logging
import os
import secrets
import threading
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Callable, Iterator

from ..storage.outbox import LEASE, Outbox

log = logging.getLogger("ivr.outbox")


def new_owner() -> str:
    """A name for one sender, unique across processes and servers (it fits lease_owner)."""
    return f"{os.getpid()}-{secrets.token_hex(8)}"


class LeaseKeeper:
    def __init__(self, outbox: Outbox, owner: str, clock: Callable[[], datetime], lease: timedelta = LEASE,
                 renew_every: float | None = None):
        self.outbox, self.owner, self.clock, self.lease = outbox, owner, clock, lease
        self.renew_every = renew_every if renew_every is not None else lease.total_seconds() / 4
        self._held: set[int] = set()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None
        self.renewals = 0  # renewals done (what a test waits on, never a sleep)

    @contextmanager
    def holding(self, row_id: int) -> Iterator[None]:
        """Keep the lease on this row renewed while the block runs (the row is being sent)."""
        with self._lock:
            self._held.add(row_id)
            if self._thread is None:
                self._thread = threading.Thread(target=self._renew_while_held, name="outbox-leases", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._held.discard(row_id)
                self._changed.notify_all()

    def wait_for_renewals(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` renewals are done (False if they were not by `timeout`)."""
        with self._lock:
            return self._changed.wait_for(lambda: self.renewals >= count, timeout)

    def _renew_while_held(self) -> None:
        while True:
            with self._lock:
                self._changed.wait_for(lambda: not self._held, self.renew_every)
                held = sorted(self._held)
                if not held:
                    self._thread = None
                    return
            try:
                self.outbox.renew(held, self.owner, self.clock(), self.lease)
            except Exception as error:  # noqa: BLE001 - the next renewal tries again; the lease has slack
                log.warning("outbox: could not renew %d leases (%s)", len(held), type(error).__name__)
            with self._lock:
                self.renewals += 1
                self._changed.notify_all()
