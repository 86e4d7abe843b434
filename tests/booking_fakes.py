"""An in-memory clinic desk, so the booking dialog can be tested as the pure logic it is."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from ivr.booking.dialog import PAGE_SIZE, AtBookingLimit
from ivr.engine.dialogs import Unavailable

NOW = datetime(2026, 12, 1, 14, 0, tzinfo=timezone.utc)  # Tuesday 9:00 in New York


class Clock:
    """An app's CLOCK that a test moves on (never sleeps for)."""

    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass(frozen=True)
class FakeSlot:
    id: int
    starts_at: datetime


@dataclass(frozen=True)
class FakeBooking:
    id: int
    slot: FakeSlot
    name: str


@dataclass
class FakeDesk:
    slots: list = field(default_factory=lambda: [
        FakeSlot(i + 1, NOW + timedelta(days=1, minutes=30 * i)) for i in range(7)])
    booked: dict = field(default_factory=dict)  # slot id -> FakeBooking
    open_now: bool = True
    down: bool = False
    sent: list = field(default_factory=list)
    callbacks: list = field(default_factory=list)
    zone: object = ZoneInfo("America/New_York")
    offers_callback: bool = True
    caller_trust: str = "owner"  # booking/dialog.py: owner, verified, unverified or failed
    confirmation_texted: bool = True
    limit: int = 0  # upcoming bookings allowed (0: no limit)
    checks: list = field(default_factory=list)  # bookings whose number was texted a cancel check

    def _check(self):
        if self.down:
            raise Unavailable("the database is down")

    def open_slots(self, page):
        self._check()
        free = [s for s in self.slots if s.id not in self.booked]
        return free[page * PAGE_SIZE:(page + 1) * PAGE_SIZE], len(free) > (page + 1) * PAGE_SIZE

    def open_slot(self, slot_id):
        self._check()
        return next((s for s in self.slots if s.id == slot_id and s.id not in self.booked), None)

    def at_booking_limit(self):
        self._check()
        return bool(self.limit) and len(self.booked) >= self.limit

    def book(self, slot_id, name):
        self._check()
        if self.at_booking_limit():
            raise AtBookingLimit()
        if slot_id in self.booked:
            return None
        self.booked[slot_id] = FakeBooking(100 + slot_id, self.open_slot(slot_id), name)
        return self.booked[slot_id]

    def next_booking(self):
        self._check()
        return min(self.booked.values(), key=lambda b: b.slot.starts_at, default=None)

    def cancel(self, booking_id):
        found = [k for k, b in self.booked.items() if b.id == booking_id]
        for key in found:
            del self.booked[key]
        return bool(found)

    def office_open(self):
        return self.open_now

    def hours_said(self, lang):
        return "Monday to Friday" if lang == "en" else "lunes a viernes"

    def caller_last4(self):
        return "0 1 2 3"

    def request_callback(self, name, number):
        self._check()
        self.callbacks.append((name, number))

    def send_cancel_check(self, booking):
        self.checks.append(booking)
        return True

    def send_page(self, node_id, lang):
        self.sent.append((node_id, lang))
        return "text_sent"
