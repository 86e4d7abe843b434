"""The texts the line sends about a booking, in the booking's language and folded to GSM-7:

- the confirmation of a booking made by phone;
- the notice that a booking was cancelled, sent to the booking's number whoever cancelled it
  (a caller, staff at `ivr bookings cancel`), so that a cancellation its owner did not ask for
  is never silent;
- the check sent to the booking's number when a caller whose caller ID is not verified asks
  to cancel: the booking's owner cancels by replying YES, which a caller faking that number
  cannot do.

Each is queued in the transaction that changes the booking, so the change and its text are
kept together, or neither.
"""
from __future__ import annotations

from datetime import tzinfo
from typing import Callable

from ..booking.timefmt import written
from ..flow.flow import Flow
from ..render.sms import KEEP_NOTICE, fit
from ..storage.bookings import Booking
from ..storage.driver import DriverTransaction
from ..storage.outbox import Queued

CONFIRMATION, CANCELLATION, CANCEL_CHECK = "booking_confirmation", "cancellation", "cancel_check"
# send_text(number, body, kind, tx=..., call_hash=..., booking_id=...) -> Queued: the outbox, through messaging.
SendText = Callable[..., Queued]


def _text(flow: Flow, name: str, booking: Booking, zone: tzinfo, lang: str | None = None) -> str:
    lang = lang if lang in flow.languages else booking.lang if booking.lang in flow.languages \
        else flow.default_language
    local = booking.slot.starts_at.astimezone(zone)
    return fit([(flow.phrase(name, lang, time=written(local, lang), caller=booking.name,
                             phone=flow.line.clinic_phone), KEEP_NOTICE)])


def confirmation(flow: Flow, booking: Booking, zone: tzinfo, lang: str) -> str:
    return _text(flow, "sms_book_confirmation", booking, zone, lang)


def cancellation(flow: Flow, booking: Booking, zone: tzinfo) -> str:
    return _text(flow, "sms_cancel_notice", booking, zone)


def cancel_check(flow: Flow, booking: Booking, zone: tzinfo) -> str:
    return _text(flow, "sms_cancel_check", booking, zone)


def tell_cancelled(flow: Flow, zone: tzinfo, send_text: SendText,
                   sent: list[Queued] | None = None) -> Callable[[DriverTransaction, Booking], None]:
    """What BookingStore.cancel runs in its transaction: the notice to the booking's number.
    What became of the text is appended to `sent` (blocked when the number opted out)."""
    def then(tx: DriverTransaction, booking: Booking) -> None:
        queued = send_text(booking.phone, cancellation(flow, booking, zone), CANCELLATION, tx=tx,
                           booking_id=booking.id)
        if sent is not None:
            sent.append(queued)

    return then
