"""The reminders' background worker, beside the outbox's: one daemon thread a process runs a
round of reminders and waitlist offers (ivr/reminders/round.py) every REMINDERS_POLL_SECONDS,
and wakes this process's outbox worker when the round queued texts. Any number of processes and
servers may run one, and `ivr reminders run` from cron beside them: each reminder still goes once."""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Callable

from flask import Flask

from ..reminders.round import queued_texts, run_round
from ..reminders.schedule import Schedule
from ..services import Services
from ..storage.times import utcnow
from .leases import new_owner
from .rounds import RoundWorker, running_in, start_in
from .worker import _reloader_parent

log = logging.getLogger("ivr.reminders")

EXTENSION = "ivr.reminders_worker"


class ReminderWorker(RoundWorker):
    label, thread_name = "reminders worker", "reminders-worker"

    def __init__(self, svc: Services, schedule: Schedule, poll_seconds: float = 60.0,
                 clock: Callable[[], datetime] = utcnow, wake_outbox: Callable[[], object] | None = None):
        super().__init__(poll_seconds, log)
        self.svc, self.schedule, self.clock = svc, schedule, clock
        self.wake_outbox = wake_outbox
        self.owner = new_owner()  # the name its claims are leased under

    def run_once(self, now: datetime | None = None) -> Counter:
        counts = run_round(self.svc, self.svc.flows.flow, self.schedule, now or self.clock(), self.owner)
        if queued_texts(counts) and self.wake_outbox is not None:
            self.wake_outbox()
        return counts


def start_reminder_worker(app: Flask, svc: Services, wake_outbox: Callable[[], object] | None) -> ReminderWorker | None:
    """Start this process's reminders worker (create_app calls it when REMINDERS_WORKER is on)."""
    if _reloader_parent():
        return None
    config = app.config
    return start_in(app, EXTENSION, ReminderWorker(svc, Schedule.from_config(config),
                                                   config.get("REMINDERS_POLL_SECONDS", 60.0),
                                                   config.get("CLOCK", utcnow), wake_outbox))


def running_reminder_worker(app: Flask) -> ReminderWorker | None:
    return running_in(app, EXTENSION)
