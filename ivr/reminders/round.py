"""One round of the work that runs later: reminders planned and queued, freed times offered.

The background worker of each server (messaging/reminder_worker.py) runs it every few seconds,
and `ivr reminders run` once, from cron; any number may run at once (sending.py says why each
reminder still goes once)."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

from ..flow import Flow
from .offers import offer_freed_times
from .schedule import Schedule
from .sending import plan, send_due


def run_round(stores, flow: Flow, schedule: Schedule, now: datetime, owner: str) -> Counter:
    """Counts of what happened: planned, sent, skipped, deferred, lost; offered, expired ..."""
    counts: Counter = Counter()
    planned = plan(stores, schedule, now)
    if planned:
        counts["planned"] = planned
    counts.update(send_due(stores, flow, schedule, now, owner))
    counts.update(offer_freed_times(stores, flow, schedule, now))
    return counts


def queued_texts(counts: Counter) -> int:
    """How many texts the round wrote into the outbox (the sender is woken for them)."""
    return counts["sent"] + counts["offered"]
