"""What may be sent to a number now: a reminder's checks at sending time, and the caps on
automated health-care texts.

The FCC's 2015 health-care exemption, as clinics commonly apply it, allows at most one automated
text a day and three a week to a number (reminders and waitlist offers together; replies to the
texter's own texts and a booking's confirmation are not automated texts). Clinic days count:
the 72-hour and the 24-hour reminders fall on different days. A text over a cap waits for the
next day while that is still before the appointment.

Everything is checked again when the reminder goes, not only when it was planned: the booking
may have been cancelled or moved, or the clock may be in quiet hours. A confirmed booking still
gets its later reminders (a confirmation is for staff to see; a reminder a day ahead still helps). Opt-outs and
the countries the clinic texts are the outbox's (it refuses what may not go).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable

from ..storage.bookings import Booking
from ..storage.reminders import CANCELLED_REASON, MOVED_REASON
from .schedule import QUIET_TILL_VISIT, Schedule

PER_DAY, PER_WEEK = 1, 3
WEEK_DAYS = 7
SEND, SKIP, DEFER = "send", "skip", "defer"
ONE_A_DAY, THREE_A_WEEK = "one a day", "three a week"


@dataclass(frozen=True)
class Decision:
    action: str  # SEND, SKIP or DEFER
    reason: str | None = None
    until: datetime | None = None  # DEFER: when to try again


def over_cap(schedule: Schedule, now: datetime, sent_since: Callable[[datetime], int]) -> str | None:
    """ONE_A_DAY or THREE_A_WEEK when the number already got that many automated texts, else None.
    `sent_since(moment)` counts the ones queued to it since then."""
    if sent_since(schedule.day_start(now)) >= PER_DAY:
        return ONE_A_DAY
    if sent_since(schedule.day_start(now, days_back=WEEK_DAYS - 1)) >= PER_WEEK:
        return THREE_A_WEEK
    return None


def reminder_decision(booking: Booking | None, now: datetime, schedule: Schedule, later_due: Callable[[], bool],
                      sent_since: Callable[[datetime], int]) -> Decision:
    """Whether a due reminder of this booking goes now, waits (until when), or is skipped (why)."""
    if booking is None or booking.status == "cancelled":
        return Decision(SKIP, CANCELLED_REASON)
    if booking.status == "moved":
        return Decision(SKIP, MOVED_REASON)
    starts = booking.slot.starts_at
    if starts <= now:
        return Decision(SKIP, "appointment passed")
    if later_due():  # the worker was down: only the latest of the reminders due goes
        return Decision(SKIP, "a later reminder went instead")
    if schedule.is_quiet(now):
        return _later(schedule.quiet_ends(now), starts, "quiet hours", QUIET_TILL_VISIT)
    capped = over_cap(schedule, now, sent_since)
    if capped:
        return _later(schedule.next_day(now), starts, capped, capped)
    return Decision(SEND)


def _later(until: datetime, starts: datetime, why: str, why_skipped: str) -> Decision:
    return Decision(DEFER, why, until) if until < starts else Decision(SKIP, why_skipped)
