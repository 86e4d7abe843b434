"""What a texter's reply answers: the latest reminder or waitlist offer the line texted the number."""
from __future__ import annotations

from datetime import datetime, timedelta

from ..booking.replies import OFFER, REMINDER, Context, OfferView

OFFER_REPLY_HOURS = 24  # a YES this long after an offer still answers it (told it was taken, if so)


def context_for(stores, phone_hash: str, now: datetime) -> Context | None:
    """The reminder (of a booking still on) or offer sent last to this number, or None."""
    reminded = stores.reminders.last_sent(phone_hash, now)
    offer = stores.waitlist.latest_offer(phone_hash, now - timedelta(hours=OFFER_REPLY_HOURS))
    if offer is not None and (reminded is None or offer.offered_at >= reminded[1]):
        entry, slot = stores.waitlist.entry(offer.entry_id), stores.slots.slot(offer.slot_id)
        if entry is not None and slot is not None:
            return Context(OFFER, entry.lang, offer=OfferView(offer.id, slot, offer.open_at(now)))
    if reminded is not None:
        booking = stores.bookings.booking(reminded[0])
        if booking is not None:
            return Context(REMINDER, booking.lang, booking=booking)
    return None
