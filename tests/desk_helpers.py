"""What the front desk's tests share: an app with a slot calendar, staff of every role, the
app's clock, a texter who books through the real /sms webhook, and reading the tables."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from ivr.app import create_app
from ivr.simulate.phone import Signer, Texter
from ivr.storage.staff import ROLES

from conftest import AUTH_TOKEN, make_config
from console_client import Clock, StaffBrowser, make_staff

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc)  # Tuesday 9:00 in New York
FIRST_SLOT = NOW + timedelta(days=1)  # Wednesday December 2nd, 9:00 in New York
EMAILS = {role: f"{role}@clinic.example" for role in ROLES}
PATIENT = "+15025550123"


def desk_app(tmp_path, clock: Clock, slots: int = 8, **overrides):
    app = create_app(make_config(tmp_path, CLOCK=clock, **overrides))
    app.extensions["console"].config["CLOCK"] = clock
    if slots:
        app.extensions["ivr"].slots.add_slots(FIRST_SLOT, timedelta(minutes=30), slots, "Dr. Doss", 30, NOW)
    for role, email in EMAILS.items():
        make_staff(app, email, role)
    return app


def signed_in(app, role: str) -> StaffBrowser:
    browser = StaffBrowser(app)
    assert browser.sign_in(EMAILS[role]).status_code == 302
    return browser


def texter(app, number: str = PATIENT) -> Texter:
    return Texter(Signer(app.test_client(), AUTH_TOKEN), number=number)


def book_by_text(app, name: str = "Ana Lopez", number: str = PATIENT, choice: str = "1") -> str:
    """A texter books the `choice`-th time offered, through the real webhook; the line's reply."""
    person = texter(app, number)
    person.send("BOOK")
    person.send(choice)
    person.send(name)
    reply = person.send("YES")
    assert reply.startswith("Booked"), reply
    return reply


def rows(app, table, *where):
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(table).where(*where).order_by(table.c.id)).all()


def audit_actions(app) -> list[str]:
    return [entry.action for entry in app.extensions["console"].extensions["console.accounts"].audit.page(200)]
