"""The clinic's front desk as the booking dialog sees it (the dialog's Desk port): open times,
the atomic booking, the caller's next appointment, office hours, call-backs, and texts sent
through the outbox.

A desk is made for one request and one caller. A database failure becomes `Unavailable`,
which the dialog turns into "booking is not available right now" and the offer of a person.
How far the caller ID is trusted (`caller_trust`, see booking/dialog.py) comes from the channel:
a texter owns the number; a call says what Twilio's STIR/SHAKEN verification found.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from functools import cached_property, lru_cache
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from ..booking.days import Days
from ..booking.dialog import CANCEL, FAILED, OWNER, PAGE_SIZE, AtBookingLimit
from ..booking.office_hours import OfficeHours
from ..engine.dialogs import Unavailable
from ..engine.state import Result, State, dialog_data
from ..flow.flow import Flow
from ..privacy import normalize_number, phone_hash
from ..reminders import offers
from ..reminders.replies import context_for
from ..reminders.schedule import Schedule
from ..storage.bookings import BookingLimitReached
from ..storage.sms_store import Place
from ..storage.text_rules import PER_CALL, PER_DAY
from . import notices


@lru_cache(maxsize=8)
def parsed_office_hours(spec: str, timezone: str) -> OfficeHours:
    """OFFICE_HOURS read once per setting, not once per request."""
    return OfficeHours(spec, timezone)


LIMIT_REASONS = (PER_CALL, PER_DAY)
# What Twilio sends as From when caller ID is withheld: Anonymous, Restricted, Unavailable, Blocked.
WITHHELD = {"+266696687", "+7378742833", "+86282452253", "+2562533"}
USABLE_NUMBER = re.compile(r"^\+?\d{7,15}$")


def _unavailable_on_db_error(method):
    def guarded(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except SQLAlchemyError as error:
            raise Unavailable(type(error).__name__) from error

    guarded.__name__ = method.__name__
    guarded.__doc__ = method.__doc__
    return guarded


class ClinicDesk:
    def __init__(self, *, flow: Flow, stores, config: dict, caller: str, channel: str, lang: str, now: datetime,
                 send_text: notices.SendText, compose_sms, trust: Callable[[], str] | None = None,
                 call_hash: str | None = None):
        # Made for every step, used by few (booking and person nodes): what it works out from
        # the caller and the settings waits until asked. `stores`: the Services (slots,
        # bookings, callbacks, texters). `send_text`: messaging's queue_text. `trust`: how far
        # the caller ID is trusted, asked only when needed (a texter: OWNER). `call_hash`: the
        # call, for the texts-per-call limit.
        self.flow, self.now = flow, now
        self.stores = stores
        self.slots, self.bookings, self.callbacks = stores.slots, stores.bookings, stores.callbacks
        self._raw_caller, self._config = caller, config
        self.channel, self.lang = channel, lang
        self.offers_callback = channel == "voice"
        self._send_text, self._compose_sms = send_text, compose_sms
        self._trust, self.call_hash = trust, call_hash
        self.confirmation_texted = True  # a texter's confirmation is the reply itself

    @cached_property
    def caller_trust(self) -> str:
        self._need_caller()  # a withheld caller ID can neither book nor cancel: a person is offered
        return self._trust() if self._trust is not None else OWNER

    @cached_property
    def caller(self) -> str:
        return normalize_number(self._raw_caller)

    @cached_property
    def caller_known(self) -> bool:
        # A withheld or odd caller ID cannot be texted a confirmation, and would share its
        # bookings with every other such caller: booking by phone then offers a person instead.
        return bool(USABLE_NUMBER.match(self.caller)) and self.caller not in WITHHELD

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self._config["CLINIC_TIMEZONE"])

    @cached_property
    def office(self) -> OfficeHours:
        return parsed_office_hours(self._config["OFFICE_HOURS"], self._config["CLINIC_TIMEZONE"])

    @cached_property
    def caller_hash(self) -> str:  # only when booking needs it: most steps of a call never do
        return phone_hash(self.caller, self._config["SECRET_KEY"])

    def _need_caller(self) -> None:
        if not self.caller_known:
            raise Unavailable("no usable caller number")

    @_unavailable_on_db_error
    def open_slots(self, page: int) -> tuple[list, bool]:
        self._need_caller()
        found = self.slots.open_slots(self.now, limit=PAGE_SIZE + 1, offset=page * PAGE_SIZE)
        return found[:PAGE_SIZE], len(found) > PAGE_SIZE

    @_unavailable_on_db_error
    def open_slot(self, slot_id: int):
        return self.slots.open_slot(slot_id, self.now)

    @_unavailable_on_db_error
    def at_booking_limit(self) -> bool:
        self._need_caller()
        return self.bookings.at_limit(self.caller_hash, self.now)

    @_unavailable_on_db_error
    def book(self, slot_id: int, name: str):
        self._need_caller()
        confirm = self._confirm if self.channel == "voice" else None  # a texter has it in the reply
        try:
            return self.bookings.book(slot_id, self.caller, name, self.channel, self.lang, self.now, then=confirm)
        except BookingLimitReached:
            raise AtBookingLimit() from None

    def _confirm(self, tx, booking) -> None:
        """The confirmation text, queued in the booking's own transaction: both or neither."""
        body = notices.confirmation(self.flow, booking, self.zone, self.lang)
        queued = self._send_text(self.caller, body, notices.CONFIRMATION, tx=tx, call_hash=self.call_hash,
                                 booking_id=booking.id)
        self.confirmation_texted = queued.sending

    @_unavailable_on_db_error
    def next_booking(self):
        self._need_caller()
        return self.bookings.next_booking(self.caller_hash, self.now)

    @_unavailable_on_db_error
    def cancel(self, booking_id: int) -> bool:
        """Cancel it. A caller's cancellation is texted to the booking's number, in the same
        transaction; a texter's is told in the reply, which goes to that number."""
        tell = notices.tell_cancelled(self.flow, self.zone, self._send_text) if self.channel == "voice" else None
        return self.bookings.cancel(booking_id, self.now, then=tell)

    @_unavailable_on_db_error
    def send_cancel_check(self, booking) -> bool:
        """Text the booking's number a question its owner answers YES to cancel, and set that
        texter's place to the question, so the reply is read as its answer."""
        body = notices.cancel_check(self.flow, booking, self.zone)
        if not self._send_text(booking.phone, body, notices.CANCEL_CHECK, call_hash=self.call_hash).sending:
            return False
        asking = State(self.flow.line.booking, booking.lang, stage=CANCEL, ref=booking.id)
        self.stores.sms.save_place(booking.phone_hash, Place(asking.node, asking.lang, 0, dialog_data(asking)),
                                   self.now)
        return True

    def office_open(self) -> bool:
        return self.office.is_open(self.now)

    def hours_said(self, lang: str) -> str:
        return self.office.describe(lang)

    def caller_last4(self) -> str:
        """The caller's last four digits, said one by one; empty when caller ID is withheld."""
        digits = "".join(ch for ch in self.caller if ch.isdigit())
        return " ".join(digits[-4:]) if self.caller_known else ""

    @_unavailable_on_db_error
    def request_callback(self, name: str, number: str | None) -> None:
        if number is None:
            self._need_caller()
        self.callbacks.add_callback(number or self.caller, name, self.lang, self.now)

    @_unavailable_on_db_error
    def send_page(self, node_id: str, lang: str) -> str:
        """Text this page to the caller; the notice that says how it went."""
        if not self.caller_known or self.caller_trust == FAILED:  # never text a number that did not call
            return "text_not_sent"
        body = self._compose_sms(self.flow, Result(State(node_id, lang), "text_me"))
        queued = self._send_text(self.caller, body, "content", call_hash=self.call_hash)
        if queued.reason in LIMIT_REASONS:
            return "text_limit"
        return "text_sent" if queued.sending else "text_not_sent"

    # ---- reminders and the waitlist (ivr/reminders/) ----------------------------------------------

    @cached_property
    def schedule(self) -> Schedule:
        return Schedule.from_config(self._config)

    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @_unavailable_on_db_error
    def reply_context(self):
        """The reminder or waitlist offer a texter's reply answers (booking/replies.py)."""
        self._need_caller()
        return context_for(self.stores, self.caller_hash, self.now)

    @_unavailable_on_db_error
    def confirm_booking(self, booking_id: int) -> bool:
        return self.stores.reminders.confirm(booking_id, self.caller_hash, self.now)

    @_unavailable_on_db_error
    def move_booking(self, booking_id: int, slot_id: int):
        """Only the number's owner (a texter) moves its booking, and only its own."""
        if self.caller_trust != OWNER:
            return None
        return self.bookings.move(booking_id, slot_id, self.caller_hash, self.now)

    @_unavailable_on_db_error
    def can_get_offers(self) -> bool:
        """Offers go by text: not to a number that opted out, nor to a country the clinic does not text."""
        self._need_caller()
        return (self.stores.outbox.rules.country_allowed(self.caller)
                and not self.stores.sms.is_opted_out(self.caller_hash))

    @_unavailable_on_db_error
    def join_waitlist(self, name: str, days: str) -> None:
        self._need_caller()
        offers.join(self.stores, self.schedule, self.caller, name, self.lang, self.channel, Days.decode(days),
                    self.now)

    @_unavailable_on_db_error
    def take_offer(self, offer_id: int):
        try:
            return offers.take(self.stores, offer_id, self.caller_hash, self.now)
        except BookingLimitReached:
            raise AtBookingLimit() from None

    @_unavailable_on_db_error
    def decline_offer(self, offer_id: int) -> None:
        self.stores.waitlist.decline(offer_id, self.caller_hash, self.now)
