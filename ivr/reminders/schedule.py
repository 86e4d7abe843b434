"""When reminders and waitlist offers may go: the settings, the quiet hours, the clinic's days.

- A reminder goes REMINDER_HOURS before its appointment (default 72 and 24 hours). One whose
  time had passed when the booking was made is skipped; a booking made less than 2 hours ahead
  gets none.
- No automated text goes in QUIET_HOURS (default 21:00-08:00, clinic time): one falling due
  then goes when they end, if that is still before the appointment (else it is skipped).
- An offer holds for WAITLIST_OFFER_MINUTES; a waitlist entry without days waits WAIT_DAYS.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

from ..storage.reminders import DUE, SKIPPED, ToPlan

MIN_NOTICE = timedelta(hours=2)  # a booking made less than this before its time gets no reminder
WAIT_DAYS = 30  # how long a waitlist entry without days of its own waits
SHORT_NOTICE, TOO_LATE = "booked less than 2 hours before", "booked after this reminder's time"
QUIET_TILL_VISIT = "quiet hours until the appointment"


@dataclass(frozen=True)
class Schedule:
    hours: tuple[int, ...]  # REMINDER_HOURS, largest first
    quiet: tuple[time, time] | None  # QUIET_HOURS (start, end), clinic time; None: none
    zone: ZoneInfo  # CLINIC_TIMEZONE
    offer_minutes: int = 30  # WAITLIST_OFFER_MINUTES

    @classmethod
    def from_config(cls, config: dict) -> Schedule:
        return _schedule(tuple(config.get("REMINDER_HOURS", (72, 24))), config.get("QUIET_HOURS"),
                         config["CLINIC_TIMEZONE"], int(config.get("WAITLIST_OFFER_MINUTES", 30)))

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(kind_of(hours) for hours in self.hours)

    # ---- reminders ----------------------------------------------------------------------------

    def plan(self, booking: ToPlan) -> list[dict]:
        """The reminder rows of a booking: due at their time (out of quiet hours), or skipped, why."""
        rows = []
        for hours in self.hours:
            due, reason, status = booking.starts_at - timedelta(hours=hours), None, DUE
            if booking.starts_at - booking.created_at < MIN_NOTICE:
                status, reason = SKIPPED, SHORT_NOTICE
            elif due < booking.created_at:
                status, reason = SKIPPED, TOO_LATE
            elif self.is_quiet(due):
                due, reason = self.quiet_ends(due), "moved out of quiet hours"
                if due >= booking.starts_at:
                    status, reason = SKIPPED, QUIET_TILL_VISIT
            rows.append({"booking_id": booking.booking_id, "kind": kind_of(hours), "phone_hash": booking.phone_hash,
                         "status": status, "due_at": due, "reason": reason})
        return rows

    # ---- the clock ------------------------------------------------------------------------------

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def today(self, moment: datetime) -> date:
        return self.local(moment).date()

    def is_quiet(self, moment: datetime) -> bool:
        if self.quiet is None:
            return False
        start, end = self.quiet
        now = self.local(moment).time()
        return start <= now < end if start < end else (now >= start or now < end)

    def quiet_ends(self, moment: datetime) -> datetime:
        """The first moment from `moment` on that is outside quiet hours."""
        if not self.is_quiet(moment):
            return moment
        start, end = self.quiet
        local = self.local(moment)
        day = local.date() if local.time() < end else local.date() + timedelta(days=1)
        return self._at(day, end)

    def day_start(self, moment: datetime, days_back: int = 0) -> datetime:
        """Midnight (clinic time) that began the day `moment` is in, `days_back` days before."""
        return self._at(self.today(moment) - timedelta(days=days_back), time(0))

    def next_day(self, moment: datetime) -> datetime:
        """The first moment texts may go on the clinic day after `moment`'s."""
        return self.quiet_ends(self._at(self.today(moment) + timedelta(days=1), time(0)))

    def start_of(self, day: date) -> datetime:
        """Midnight (clinic time) that begins this clinic day."""
        return self._at(day, time(0))

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=self.zone).astimezone(timezone.utc)


def kind_of(hours: int) -> str:
    return f"{hours}h"


@lru_cache(maxsize=8)
def _schedule(hours: tuple[int, ...], quiet: tuple[str, str] | None, zone: str, offer_minutes: int) -> Schedule:
    clocks = tuple(time.fromisoformat(text) for text in quiet) if quiet else None
    return Schedule(tuple(sorted(set(hours), reverse=True)), clocks, ZoneInfo(zone), offer_minutes)
