"""Replies to the texts the line sends on its own: a reminder (C or YES confirms, R changes the
time, N or CANCEL APPT cancels after a question) and a waitlist offer (YES takes the time, NO lets
it go to the next person).

A reply is read in its context: a texter with no booking step in progress who writes one of the
reply words (reply_words.py) is answered about the latest reminder or offer the line texted that
number (the desk's `reply_context`). Everyone else's texts, and texts that are none of those
words, go to the menus as before; only when the menus do not understand a text either is a
texter with an open reminder or offer told what it takes. Only a number's owner replies: a
call never reaches these.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..engine.dialogs import Unavailable
from ..engine.index import TEXT, index_for
from ..engine.state import Input, Result, State, View
from ..flow.flow import Flow
from .dialog import CANCEL, MOVE, OWNER, AtBookingLimit, _at_limit, _guard, _listing
from .reply_words import CANCEL as CANCEL_REPLY
from .reply_words import CHANGE, CONFIRM, reply_kind

REMINDER, OFFER = "reminder", "offer"


@dataclass(frozen=True)
class OfferView:
    """A waitlist offer as a reply needs it."""
    id: int
    slot: object  # its slot (id, starts_at)
    open: bool  # still open, and not expired


@dataclass(frozen=True)
class Context:
    """What a texter's reply answers: the latest reminder or offer the line texted the number."""
    kind: str  # REMINDER or OFFER
    lang: str  # the booking's (or the waitlist entry's) language: the reply is in it
    booking: object = None  # REMINDER: the booking reminded of
    offer: OfferView | None = None  # OFFER


def answer_in_context(flow: Flow, state: State, inp: Input, desk) -> Result | None:
    """The answer to a reply to a reminder or an offer; None when the text is not one."""
    if desk is None or state.stage or inp.kind != TEXT or _red_flag(flow, inp.value):
        return None  # a warning sign in the reply goes to the engine's safety layer first
    kind = reply_kind(inp.value)
    if kind not in (CONFIRM, CHANGE, CANCEL_REPLY):
        return None

    def answer() -> Result | None:
        context = _context(desk)
        if context is None:
            return None
        if context.kind == OFFER:
            return _to_offer(flow, context, kind, desk)
        return _to_reminder(flow, context, kind, desk)

    return _guard(answer, flow, state, "booking", ())


def help_in_context(flow: Flow, state: State, desk) -> Result | None:
    """For a text the menus did not understand either: what the open reminder or offer takes
    (None when the number has neither)."""
    if desk is None or state.stage:
        return None
    try:
        context = _context(desk)
    except Unavailable:  # the calendar is down: the menus' own answer stands
        return None
    if context is None:
        return None
    start = State(flow.line.start, context.lang)
    if context.kind == OFFER:
        if not context.offer.open:
            return None
        return Result(start, "offer_help", ("no_match", "offer_help"), view=View(slot=context.offer.slot))
    return Result(start, "reminder_help", ("no_match", "reminder_help"), view=View(booking=context.booking))


def _red_flag(flow: Flow, text: str) -> bool:
    return any(flags.found_in(text) for flags in index_for(flow).red_flags.values())


def _context(desk) -> Context | None:
    return desk.reply_context() if desk.caller_trust == OWNER else None


def _to_reminder(flow: Flow, context: Context, kind: str, desk) -> Result:
    booking, lang = context.booking, context.lang
    if kind == CONFIRM:
        desk.confirm_booking(booking.id)
        return Result(State(flow.line.start, lang), "confirmed", ("reminder_confirmed",), view=View(booking=booking))
    if kind == CHANGE:  # the next open times; choosing one moves the booking (dialog.MOVE)
        return _listing(State(flow.line.booking, lang, stage=MOVE, ref=booking.id), desk, "change", (), page=0)
    asking = State(flow.line.booking, lang, stage=CANCEL, ref=booking.id)  # asked first, as any cancelling is
    return Result(asking, "cancel", view=View(booking=booking))


def _to_offer(flow: Flow, context: Context, kind: str, desk) -> Result | None:
    offer, lang = context.offer, context.lang
    start = State(flow.line.start, lang)
    if kind == CONFIRM:
        try:
            booking = desk.take_offer(offer.id)
        except AtBookingLimit:
            return _at_limit(flow, start)
        if booking is None:  # it expired, or someone else took it: that time was taken; new choices
            return _listing(State(flow.line.booking, lang), desk, "taken", ("book_taken",), page=0)
        return Result(start, "booked", ("book_done",), view=View(booking=booking))
    if kind == CANCEL_REPLY:
        desk.decline_offer(offer.id)
        return Result(start, "declined", ("offer_declined",))
    return None  # nothing to change about an offer: the menus have the text
