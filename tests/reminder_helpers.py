"""What the reminder and waitlist tests share: the line's stores on one database, a schedule,
bookings made at a chosen time, and the texts the outbox holds."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from sqlalchemy import select

from ivr.app import create_app
from ivr.cli import main
from ivr.reminders.schedule import Schedule
from ivr.simulate.phone import Signer, Texter
from ivr.storage.bookings import BookingStore
from ivr.storage.db import Database
from ivr.storage.outbox import Outbox
from ivr.storage.reminders import ReminderStore
from ivr.storage.slots import SlotStore
from ivr.storage.sms_store import SmsStore
from ivr.storage.tables import outbox
from ivr.storage.text_rules import TextRules
from ivr.storage.waitlist import WaitlistStore

from booking_fakes import NOW
from conftest import AUTH_TOKEN, make_config

SECRET = "test-secret"
ZONE = ZoneInfo("America/New_York")
SCHEDULE = Schedule((72, 24), (time(21), time(8)), ZONE, 30)  # the defaults
COUNTRIES = TextRules(frozenset({"US", "CA"}))
NUMBER = "+15025550123"  # the Texter's


def line_stores(db: Database, max_per_number: int = 0) -> SimpleNamespace:
    """The stores a round works on, as the app's Services holds them."""
    sms = SmsStore(db, 60)
    return SimpleNamespace(db=db, sms=sms, outbox=Outbox(db, sms, SECRET, rules=COUNTRIES), slots=SlotStore(db),
                           bookings=BookingStore(db, SECRET, max_per_number), reminders=ReminderStore(db),
                           waitlist=WaitlistStore(db, SECRET))


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in December 2026, clinic time (NOW is Tuesday the 1st, 9:00)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=ZONE)


def book(stores, starts: datetime, phone: str = "+15025550123", made: datetime = NOW, name: str = "Maria Lopez",
         lang: str = "en", label: str = "Dr. Doss, spine surgery"):
    """A booking of a slot at `starts`, made at `made`."""
    (slot,) = stores.slots.add_slots(starts, timedelta(minutes=30), 1, label=label, now=made)
    return stores.bookings.book(slot.id, phone, name, "sms", lang, made)


def texts(db: Database, kind: str | None = None) -> list:
    """The outbox's rows (of one kind), in the order they were written."""
    query = select(outbox.c.id, outbox.c.to_number, outbox.c.body, outbox.c.kind, outbox.c.status,
                   outbox.c.created_at).order_by(outbox.c.id)
    if kind is not None:
        query = query.where(outbox.c.kind == kind)
    with db.begin() as conn:
        return conn.execute(query).all()


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """local(), in UTC as the app's clock gives it."""
    return local(day, hour, minute).astimezone(timezone.utc)


def ivr(app, *args: str) -> str:
    """An `ivr` command run in the app, as staff (or cron) run it; its output."""
    result = app.test_cli_runner().invoke(main, list(args))
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    return result.output


def texter_on(app, number: str = NUMBER) -> Texter:
    """A texter on the app's real /sms webhook, signing as Twilio does."""
    return Texter(Signer(app.test_client(), AUTH_TOKEN), number=number)


def line_app(tmp_path, clock, **overrides):
    """The app on the clock `clock`, with four open times on Tuesday the 8th from 9:00."""
    app = create_app(make_config(tmp_path, CLOCK=clock, CLINIC_TIMEZONE="America/New_York", **overrides))
    app.extensions["ivr"].slots.add_slots(at(8, 9), timedelta(minutes=30), 4, "Dr. Doss, spine", 30, NOW)
    return app

