"""Sample slots, for trying the line: the next weekdays, 9:00 to 12:00 every 30 minutes, clinic
time. `make run` adds them to an empty calendar; the console's trial phone books into them."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo

from .slots import Slot, SlotStore
from .times import local_to_utc

SAMPLE_DAYS = 5  # weekdays of sample slots
SAMPLE_HOURS = (time(9), time(12))  # first start, end of the last slot
SAMPLE_EVERY = timedelta(minutes=30)


def sample_days(today: date, days: int = SAMPLE_DAYS) -> list[date]:
    """The next `days` weekdays after today."""
    found, day = [], today
    while len(found) < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            found.append(day)
    return found


def add_sample_slots(store: SlotStore, now: datetime, zone: tzinfo) -> list[Slot]:
    first, end = SAMPLE_HOURS
    per_day = (datetime.combine(date.min, end) - datetime.combine(date.min, first)) // SAMPLE_EVERY
    added = []
    for day in sample_days(now.astimezone(zone).date()):
        start = local_to_utc(day, first, zone).astimezone(zone)
        added += store.add_slots(start, SAMPLE_EVERY, per_day, now=now)
    return added
