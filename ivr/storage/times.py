"""Times as the database keeps them: aware, in UTC. Staff and callers see the clinic's zone."""
from __future__ import annotations

from datetime import date, datetime, time, timezone, tzinfo


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """A time read back from the database, in UTC (SQLite hands back naive datetimes, PostgreSQL
    the server's zone; everything stored is UTC)."""
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def utc(value: datetime, what: str = "time") -> datetime:
    """An aware datetime in UTC; a naive one is refused (its zone would be a guess)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} {value:%Y-%m-%d %H:%M} has no time zone")
    return value.astimezone(timezone.utc)


def local_to_utc(day: date, clock: time, zone: tzinfo) -> datetime:
    """A wall-clock time in `zone` as UTC; a time skipped when the clocks go forward is refused."""
    local = datetime.combine(day, clock, tzinfo=zone)
    moment = local.astimezone(timezone.utc)
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise ValueError(f"{local:%Y-%m-%d %H:%M} does not exist in {zone} (the clocks go forward)")
    return moment
