"""Steps written to the events table in batches, off the request path.

A webhook only queues its step in memory; a background thread of each process writes what has
queued, in one transaction, every `flush_seconds`. A caller never waits for the events table,
and a busy line makes one commit a second instead of one a step (the insert was most of a menu
step's time). The queue is written out when the process exits (gunicorn stops its workers
with a normal exit), kept while the database is down and written when it returns; only a
process killed outright, or an outage longer than `max_pending` steps, loses steps, and those
are counted in the log. Bookings, opt-outs and texts never go through here.

`flush_seconds=0` writes each step at once, in the request (tests read the table right after).
"""
from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import deque
from datetime import datetime

from .db import Database
from .events import Step, record_many
from .figure_rules import Counting

log = logging.getLogger("ivr.events")

MAX_PENDING = 20_000  # steps kept while the database is down (a few MB); then the oldest go


class EventWriter:
    def __init__(self, db: Database, flush_seconds: float = 1.0, max_pending: int = MAX_PENDING,
                 counting: Counting | None = None):
        self.db = db
        self.counting = counting  # the daily figures' rules, counted with each batch (daily_figures.py)
        self.flush_seconds = flush_seconds
        self.max_pending = max_pending
        self.dropped = 0  # steps lost to a long outage, since start
        self._reported = 0  # of those, how many the log has told of
        self._pending: deque[tuple[Step, datetime]] = deque()
        self._lock = threading.Lock()  # guards _pending, _thread and dropped
        self._writing = threading.Lock()  # one batch at a time, so steps stay in order
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = os.getpid()
        self.written = 0  # steps written since start
        self._wrote = threading.Condition()

    def add(self, step: Step, at: datetime) -> None:
        """Queue one step (or write it now, when flush_seconds is 0)."""
        if self.flush_seconds <= 0:
            record_many(self.db, [(step, at)], self.counting)
            return
        with self._lock:
            self._pending.append((step, at))
            overflow = len(self._pending) - self.max_pending
            for _ in range(max(overflow, 0)):
                self._pending.popleft()
            self.dropped += max(overflow, 0)
            self._start()

    def flush(self) -> int:
        """Write everything queued, in one transaction; the number written. On a database error
        the steps go back to the front of the queue and the error is raised."""
        with self._writing:
            with self._lock:
                batch = list(self._pending)
                self._pending.clear()
            if not batch:
                return 0
            try:
                record_many(self.db, batch, self.counting)
            except Exception:
                with self._lock:
                    room = max(self.max_pending - len(self._pending), 0)
                    kept = batch[len(batch) - room:] if room < len(batch) else batch
                    self.dropped += len(batch) - len(kept)
                    self._pending.extendleft(reversed(kept))
                raise
            with self._wrote:
                self.written += len(batch)
                self._wrote.notify_all()
            return len(batch)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def wait_written(self, count: int, timeout: float = 10.0) -> bool:
        """Block until `count` steps have been written (False if not by `timeout`)."""
        with self._wrote:
            return self._wrote.wait_for(lambda: self.written >= count, timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the thread and write what is left (at process exit, or sooner)."""
        atexit.unregister(self.close)
        self._stopping.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
        self._flush_logged()

    def _start(self) -> None:
        """Start the thread on the first step (called under _lock). After a fork (gunicorn
        --preload), the parent's thread does not exist in the child: start one of our own."""
        if self._pid != os.getpid():
            self._pid, self._thread = os.getpid(), None
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name="event-writer", daemon=True)
            self._thread.start()
            atexit.register(self.close)

    def _loop(self) -> None:
        while not self._stopping.wait(self.flush_seconds):
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception as error:  # noqa: BLE001 - kept for the next try; the class name only
            log.warning("%d steps not recorded yet (%s); trying again in %ss",
                        self.pending, type(error).__name__, self.flush_seconds)
        dropped = self.dropped
        if dropped > self._reported:
            log.error("%d steps were never recorded: the database was unavailable too long",
                      dropped - self._reported)
            self._reported = dropped
