"""A round of reminders: plan the rows of new bookings, then claim the due ones and write each
into the outbox.

Exactly once, whoever runs the round (each server's background worker, `ivr reminders run` from
cron, any number at once):

- a (booking, kind) row exists once (a unique key), so planning twice adds nothing;
- due rows are claimed atomically (storage/claims.py), leased to one worker;
- each claimed reminder is checked again and queued in one transaction with the number's lock
  held (the caps count texts to it): the outbox row and the reminder's 'sent' are kept together,
  or neither, and 'sent' is written only while the lease is still this worker's;
- a worker that stops between claiming and sending leaves its rows claimed; their lease runs out
  and the next round takes them. Nothing is lost, nothing is queued twice.
"""
from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from ..flow import Flow
from ..privacy import short_id
from ..render import reminder_texts
from ..storage.reminders import REMINDER, SENT, SKIPPED, Reminder
from ..storage.times import utc
from .rules import DEFER, SEND, SKIP, reminder_decision
from .schedule import Schedule

log = logging.getLogger("ivr.reminders")

BATCH = 100  # reminders claimed at a time
PLAN_BATCH, MAX_PLAN_BATCHES = 500, 1000  # bookings planned at a time; a round plans at most 500,000
REMINDERS_LOCK = 13  # the scope of the per-number lock a reminder or an offer is queued under
STATUS = {SEND: SENT, SKIP: SKIPPED, DEFER: "due"}


class LeaseLost(Exception):
    """Another worker took the reminder over (this one's lease ran out): keep nothing."""


def plan(stores, schedule: Schedule, now: datetime) -> int:
    """Rows for the reminders of bookings that lack them; reminders of bookings no longer on
    are skipped. Returns how many rows were added."""
    added, now = 0, utc(now, "now")
    for _ in range(MAX_PLAN_BATCHES):
        lacking = stores.reminders.bookings_to_plan(schedule.kinds, now, PLAN_BATCH)
        added += stores.reminders.add([row for booking in lacking for row in schedule.plan(booking)], now)
        if len(lacking) < PLAN_BATCH:
            break
    stores.reminders.skip_unbooked(now)
    return added


def send_due(stores, flow: Flow, schedule: Schedule, now: datetime, owner: str) -> Counter:
    """Claim the due reminders and queue each (or skip or defer it). Returns counts by outcome."""
    counts, now = Counter(), utc(now, "now")
    while True:
        claimed = stores.reminders.claim(now, BATCH, owner)
        for reminder in claimed:
            counts[send_one(stores, flow, schedule, reminder, now, owner)] += 1
        if len(claimed) < BATCH:
            return counts


def send_one(stores, flow: Flow, schedule: Schedule, reminder: Reminder, now: datetime, owner: str) -> str:
    """Check this claimed reminder again and queue it, in one transaction. Returns 'sent',
    'skipped', 'deferred' or 'lost' (another worker holds it now)."""
    store, now = stores.reminders, utc(now, "now")
    try:
        with stores.db.driver_begin() as tx:
            tx.serialize(REMINDERS_LOCK, reminder.phone_hash)
            booking = stores.bookings.booking_in(tx, reminder.booking_id)
            decision = reminder_decision(booking, now, schedule, lambda: store.later_due_in(tx, reminder, now),
                                         lambda since: store.automated_texts_in(tx, reminder.phone_hash, since))
            action, reason, outbox_id = decision.action, decision.reason, None
            if action == SEND:
                body = reminder_texts.reminder(flow, booking.lang, schedule.local(booking.slot.starts_at))
                broken = reminder_texts.rule_breaks(flow, booking.lang, body)
                queued = None if broken else stores.outbox.queue(booking.phone, body, REMINDER, now, tx)
                if broken:
                    log.error("reminder %s not sent: the flow's sms_reminder breaks the rules (%s)", reminder.id,
                              ", ".join(broken))
                    action, reason = SKIP, "text breaks the rules: " + ", ".join(broken)
                elif not queued.sending:  # opted out, or a country the clinic does not text
                    action, reason = SKIP, queued.reason or "opted out"
                else:
                    outbox_id = queued.id
            if not store.finish_in(tx, reminder, owner, STATUS[action], now, reason, outbox_id, decision.until):
                raise LeaseLost()
    except LeaseLost:
        log.warning("reminder %s: another worker took it over; left to it", reminder.id)
        return "lost"
    if action != SEND:
        log.info("reminder %s of booking %s to=%s %s: %s", reminder.id, reminder.booking_id,
                 short_id(reminder.phone_hash), "deferred" if action == DEFER else "skipped", reason)
    return {SEND: "sent", SKIP: "skipped", DEFER: "deferred"}[action]
