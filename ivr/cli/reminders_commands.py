"""`ivr reminders` and `ivr waitlist`: what the line texts on its own about appointments, for staff,
and one round of it for cron.

Times are shown in the clinic's time zone, numbers as ***0123, never a text's words."""
from __future__ import annotations

from datetime import timedelta

import click
from flask import current_app
from flask.cli import AppGroup

from ..booking.days import Days
from ..messaging.leases import new_owner
from ..reminders.round import run_round
from ..reminders.schedule import Schedule
from ..services import current_flow, current_time, services
from ..storage.reminders import STATUSES
from .output import clinic_zone, mask_number, table, when

SHOWN_ORDER = ("planned", "sent", "skipped", "deferred", "lost", "offered", "passed", "raced", "cannot text",
               "expired", "gone", "lapsed")


@click.group(cls=AppGroup)
def reminders() -> None:
    """Appointment reminders: due, sent, confirmed, skipped and why."""


@reminders.command("list")
@click.option("--all", "show_all", is_flag=True, help="Reminders of past appointments too.")
@click.option("--status", type=click.Choice(STATUSES), help="Only reminders in this state.")
@click.option("--limit", default=200, show_default=True, type=click.IntRange(1, 10_000))
def list_reminders(show_all: bool, status: str | None, limit: int) -> None:
    """Reminders by the time they go (or went), with the booking and why one was skipped."""
    zone = clinic_zone()
    found = services().reminders.list(current_time(), include_past=show_all, status=status, limit=limit)
    rows = [[r.id, r.booking_id, r.kind, when(r.starts_at, zone), mask_number(r.phone),
             "confirmed" if r.status == "sent" and r.confirmed_at else r.status,
             when(r.sent_at if r.sent_at else r.due_at, zone), r.reason or ""] for r in found]
    table(["id", "booking", "kind", f"appointment ({zone})", "to", "status", "due or sent", "why"], rows,
          "(no reminders: they are planned for each booking by the worker or `ivr reminders run`)")


@reminders.command("run")
def run_reminders() -> None:
    """One round: plan the reminders of new bookings, queue the due ones into the outbox, offer
    freed times to the waitlist. Safe to run from cron beside the servers' workers; then
    `ivr outbox send` sends what it queued (or the servers' outbox workers do)."""
    svc, now = services(), current_time()
    counts = run_round(svc, current_flow(), Schedule.from_config(current_app.config), now, new_owner())
    summary = ", ".join(f"{counts[name]} {name}" for name in SHOWN_ORDER if counts[name])
    click.echo(f"{summary or 'nothing to do'}; {svc.outbox.depth()} texts waiting in the outbox")


@click.group(cls=AppGroup)
def waitlist() -> None:
    """People waiting for a time to free up, and the times offered to them."""


@waitlist.command("list")
@click.option("--all", "show_all", is_flag=True, help="Booked, lapsed and left entries too.")
def list_waitlist(show_all: bool) -> None:
    """Who is waiting (first come, first served), for which days, and their latest offer."""
    zone, lang = clinic_zone(), "en"
    rows = []
    for entry, offer in services().waitlist.list(current_time(), include_done=show_all):
        days = Days(entry.earliest.astimezone(zone).date() if entry.earliest else None,
                    _last_day(entry.latest, zone))
        offered = f"{offer.status} (slot {offer.slot_id})" if offer else ""
        rows.append([entry.id, when(entry.created_at, zone), entry.name, mask_number(entry.phone), entry.channel,
                     days.describe(lang), entry.status, offered])
    table(["id", f"joined ({zone})", "name", "phone", "by", "days", "status", "latest offer"], rows,
          "(no one is waiting)")


def _last_day(latest, zone):
    """The entry's last clinic day: its end is the midnight after it."""
    if latest is None:
        return None
    return (latest.astimezone(zone) - timedelta(microseconds=1)).date()
