"""The appointment stores on one database, as the app's Services holds them."""
from __future__ import annotations

from types import SimpleNamespace

from ivr.storage.bookings import BookingStore
from ivr.storage.callbacks import CallbackStore
from ivr.storage.slots import SlotStore


def appointments(db, secret: str) -> SimpleNamespace:
    return SimpleNamespace(slots=SlotStore(db), bookings=BookingStore(db, secret), callbacks=CallbackStore(db, secret))
