"""Staff commands for appointments: `ivr slots`, `ivr bookings`, `ivr callbacks`.

Times are typed and shown in the clinic's time zone (CLINIC_TIMEZONE); the database keeps UTC.
Each command runs in the app (the same settings as the server) and takes the app's clock.
"""
from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

import click
from flask.cli import AppGroup

from ..messaging.texts import queue_text
from ..services import current_flow, current_time, services
from ..services.notices import tell_cancelled
from ..storage.sample_slots import SAMPLE_DAYS, SAMPLE_HOURS, add_sample_slots
from ..storage.slots import Slot, parse_every
from ..storage.times import local_to_utc
from .output import clinic_zone, count, mask_number, table, when


def _every_option(_ctx, _param, value: str) -> timedelta:
    try:
        return parse_every(value)
    except ValueError as error:
        raise click.BadParameter(str(error)) from None


def _start_option(_ctx, _param, value: str) -> datetime:
    try:
        return datetime.strptime(value.strip().replace("T", " "), "%Y-%m-%d %H:%M")
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a start time (write e.g. \"2026-12-01 09:00\")") from None


# ---- ivr slots -------------------------------------------------------------------------------

@click.group(cls=AppGroup)
def slots() -> None:
    """Appointment slots callers can book."""


@slots.command("add")
@click.option("--start", required=True, callback=_start_option, help='First slot, clinic time: "2026-12-01 09:00".')
@click.option("--every", default="30m", show_default=True, callback=_every_option,
              help="Time between slots: 15m, 1h, 1h30m.")
@click.option("--count", "how_many", default=1, show_default=True, type=click.IntRange(1, 1000),
              help="How many slots.")
@click.option("--label", default="", help="Clinic or provider, e.g. \"Dr. Doss\".")
@click.option("--minutes", default=30, show_default=True, type=click.IntRange(1, 24 * 60), help="Length of each slot.")
def add_slots(start: datetime, every: timedelta, how_many: int, label: str, minutes: int) -> None:
    """Add COUNT slots from START, EVERY apart. Slots already there are skipped."""
    store, zone = services().slots, clinic_zone()
    try:
        first = local_to_utc(start.date(), start.time(), zone)
        if first <= current_time():
            raise ValueError(f"--start {start:%Y-%m-%d %H:%M} is in the past")
        added = store.add_slots(first.astimezone(zone), every, how_many, label=label, minutes=minutes,
                                now=current_time())
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    _report_added(added, how_many, zone)


def _report_added(added: list[Slot], wanted: int, zone: tzinfo) -> None:
    skipped = f" ({wanted - len(added)} already there)" if wanted > len(added) else ""
    click.echo(f"Added {count(len(added), 'slot')}{skipped}" + (f", times in {zone}:" if added else "."))
    if added:
        table(["id", "starts", "min", "label"], [[s.id, when(s.starts_at, zone), s.minutes, s.label] for s in added],
               "")


@slots.command("list")
@click.option("--all", "show_all", is_flag=True, help="Past slots too.")
def list_slots(show_all: bool) -> None:
    """Upcoming slots, open or booked."""
    svc, zone, now = services(), clinic_zone(), current_time()
    booked = {b.slot.id for b in svc.bookings.list_bookings(now, include_past=show_all, status="booked")}
    rows = [[s.id, when(s.starts_at, zone), s.minutes, s.label,
             "booked" if s.id in booked else ("past" if s.starts_at <= now else "open")]
            for s in svc.slots.list_slots(now, include_past=show_all)]
    table(["id", f"starts ({zone})", "min", "label", "status"], rows, "(no slots: add some with `ivr slots add`)")


@slots.command("remove")
@click.argument("slot_id", type=int)
def remove_slot(slot_id: int) -> None:
    """Stop offering slot SLOT_ID (refused while it is booked)."""
    store, zone = services().slots, clinic_zone()
    slot = store.slot(slot_id)
    try:
        if slot is None or not store.remove_slot(slot_id):
            raise click.ClickException(f"there is no slot {slot_id} (see `ivr slots list --all`)")
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Removed slot {slot_id}: {when(slot.starts_at, zone)} {slot.label}".rstrip())


@slots.command("import")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False))
def import_slots(csv_file: str) -> None:
    """Add the slots of a CSV file: date,time,minutes,label rows in clinic time, e.g.
    2026-12-01,09:00,30,Dr. Doss (a header row is fine). Rows already there are skipped."""
    store, zone = services().slots, clinic_zone()
    try:
        added, problems = store.import_csv(csv_file, zone, current_time())
    except (OSError, UnicodeDecodeError) as error:
        raise click.ClickException(f"cannot read {csv_file}: {error}") from None
    _report_added(added, len(added), zone)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        raise click.ClickException(f"{count(len(problems), 'row')} not added (above); "
                                   "fix them and import the file again")


@slots.command("seed-sample")
def seed_sample() -> None:
    """Sample slots for trying the line: the next weekdays, 9:00 to 12:00 every 30 minutes,
    clinic time. Only when there are no upcoming slots at all."""
    store, zone, now = services().slots, clinic_zone(), current_time()
    upcoming = store.list_slots(now)
    if upcoming:
        click.echo(f"{count(len(upcoming), 'upcoming slot')} already: no sample slots added.")
        return
    added = add_sample_slots(store, now, zone)
    first, end = SAMPLE_HOURS
    click.echo(f"Added {len(added)} sample slots: {SAMPLE_DAYS} weekdays from "
               f"{when(added[0].starts_at, zone)}, {first:%H:%M}-{end:%H:%M} every 30 minutes ({zone}).")


# ---- ivr bookings ----------------------------------------------------------------------------

@click.group(cls=AppGroup)
def bookings() -> None:
    """Appointments callers have booked."""


@bookings.command("list")
@click.option("--all", "show_all", is_flag=True, help="Past and cancelled bookings too.")
def list_bookings(show_all: bool) -> None:
    """Upcoming bookings (the phone number masked)."""
    zone = clinic_zone()
    found = services().bookings.list_bookings(current_time(), include_past=show_all,
                                              status=None if show_all else "booked")
    rows = [[b.id, when(b.slot.starts_at, zone), b.slot.label, b.name, mask_number(b.phone), b.channel, b.status]
            for b in found]
    table(["id", f"slot ({zone})", "label", "name", "phone", "channel", "status"], rows, "(no bookings)")


@bookings.command("cancel")
@click.argument("booking_id", type=int)
def cancel_booking(booking_id: int) -> None:
    """Cancel booking BOOKING_ID; its slot is offered again, and the booking's number is texted
    that it was cancelled (unless it opted out of texts)."""
    store, zone = services().bookings, clinic_zone()
    booking = store.booking(booking_id)
    if booking is None:
        raise click.ClickException(f"there is no booking {booking_id} (see `ivr bookings list --all`)")
    texted = []
    if not store.cancel(booking_id, current_time(), then=tell_cancelled(current_flow(), zone, queue_text, texted)):
        raise click.ClickException(f"booking {booking_id} is already {booking.status}")
    told = "texted" if texted and texted[0].sending else "not texted (it gets no texts from the line)"
    click.echo(f"Cancelled booking {booking_id} ({booking.name or 'no name'}, {mask_number(booking.phone)}) "
               f"for {when(booking.slot.starts_at, zone)} {booking.slot.label}".rstrip()
               + f"; the slot is open again; the number was {told}.")


# ---- ivr callbacks ---------------------------------------------------------------------------

@click.group(cls=AppGroup)
def callbacks() -> None:
    """People who asked for a call back."""


@callbacks.command("list")
@click.option("--all", "show_all", is_flag=True, help="Done ones too.")
def list_callbacks(show_all: bool) -> None:
    """Open callback requests, oldest first, with the number to call."""
    zone = clinic_zone()
    rows = [[c.id, when(c.created_at, zone), c.name, c.phone, c.lang, c.status]
            for c in services().callbacks.list_callbacks(None if show_all else "open")]
    table(["id", f"asked ({zone})", "name", "phone", "lang", "status"], rows, "(no callback requests waiting)")


@callbacks.command("done")
@click.argument("callback_id", type=int)
def callback_done(callback_id: int) -> None:
    """Mark callback request CALLBACK_ID as done."""
    if not services().callbacks.mark_callback_done(callback_id):
        raise click.ClickException(f"there is no open callback request {callback_id} (see `ivr callbacks list --all`)")
    click.echo(f"Callback request {callback_id} done.")
