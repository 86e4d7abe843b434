"""What the front desk's pages share: the clinic's time zone and days, the lists, and what of a
patient a role may see (a viewer sees no number, name or words of a text)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Flask, current_app, request
from flask_login import current_user

from ..services import services
from ..storage.desk_lists import DeskLists
from ..storage.times import local_to_utc
from .login import now
from .roles import can

HIDDEN = "(hidden)"  # what a role without see_patients sees in place of a name or the words of a text


def zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["CLINIC_TIMEZONE"])


def lists() -> DeskLists:
    return DeskLists(services().db)


def today() -> date:
    return now().astimezone(zone()).date()


def midnight(day: date) -> datetime:
    """The start of a clinic day, in UTC (a day that begins in a clock change still has one)."""
    return datetime.combine(day, datetime.min.time(), zone())


def local(moment: datetime) -> datetime:
    return moment.astimezone(zone())


def sees_patients() -> bool:
    return can(current_user, "see_patients")


def number(phone: str) -> str:
    """The full number for desk and admin, the last four digits for anyone else."""
    if sees_patients():
        return phone
    return "***" + phone[-4:] if len(phone) > 4 else "***"


def private(text: str) -> str:
    """A name, a note or the words of a text: only for roles that see patients."""
    return text if sees_patients() else HIDDEN


def day_arg(name: str, default: date | None = None) -> tuple[date | None, str | None]:
    """A YYYY-MM-DD day from the query string, and what is wrong with it if it is not one."""
    value = request.args.get(name, "").strip()
    if not value:
        return default, None
    try:
        return date.fromisoformat(value), None
    except ValueError:
        return default, f"'{value[:20]}' is not a day: write it as YYYY-MM-DD, e.g. {today():%Y-%m-%d}"


def local_time(day: date, clock) -> datetime:
    return local_to_utc(day, clock, zone())


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


def install(console: Flask) -> None:
    """The helpers the desk's templates use."""
    console.jinja_env.globals.update(patient_number=number, private=private)
    console.jinja_env.filters["clinic_time"] = lambda moment: f"{local(moment):%a %Y-%m-%d %H:%M}"
