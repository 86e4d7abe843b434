"""The booking, cancelling and call-back dialogs: which step a caller is at and what an answer does.

By voice: choose a time -> confirm it -> say a name -> hear it read back -> booked.
By text:  choose a time -> give a name -> YES -> booked.
A caller who asks for a person outside office hours may leave a call-back request instead.

Cancelling (and hearing the time of) a booking takes more than a caller ID, which is easy to
fake. A texter is the number's owner: every reply goes to that number. A caller must first say
the name the booking was made under; then, if the carrier verified the caller ID (STIR/SHAKEN
attestation A), they hear the time and may cancel; if it is not verified, the booking's number
is texted and its owner cancels by replying YES. A call whose verification failed may neither
book nor cancel: it is offered a person. How far the caller ID is trusted is the desk's
`caller_trust`.

Everything the dialog needs from the clinic goes through a Desk (the port below; the clinic's
own is services/desk.py): the open times, the atomic booking, the caller's next appointment,
office hours. Tests use an in-memory desk. The engine reaches these dialogs through its
Dialogs port (engine/dialogs.py): DIALOGS is what the channels hand it.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Callable, Protocol

from ..engine.dialogs import IsCommand, Unavailable
from ..engine.index import SPEECH, TEXT, index_for
from ..engine.matching import PhraseMatcher
from ..engine.state import Input, Result, State, View
from ..flow.flow import Flow
from ..words import tokens
from . import timefmt
from .days import parse as parse_days
from .names import same_name
from .reply_words import WAIT, reply_kind, wait_days_text

CHOOSE, CONFIRM, NAME, READBACK, CANCEL = "choose", "confirm", "name", "readback", "cancel"
CANCEL_NAME = "cancel_name"  # a caller says the booking's name before hearing it or cancelling
MOVE = "move"  # a texter moving booking `ref` (a reply to its reminder) picks the new time
WAIT_NAME = "wait_name"  # joining the waitlist (for the clinic days in `days`): the name to book under
CB_OFFER, CB_NAME, CB_NUMBER, CB_DIGITS = "cb_offer", "cb_name", "cb_number", "cb_digits"
BOOKING_STAGES = {CHOOSE, CONFIRM, NAME, READBACK, CANCEL, CANCEL_NAME, MOVE, WAIT_NAME}
CALLBACK_STAGES = {CB_OFFER, CB_NAME, CB_NUMBER, CB_DIGITS}
PAGE_SIZE = 3
KEY_YES, KEY_NO, KEY_MORE, KEY_WAIT = "1", "2", "4", "5"
MAX_NAME = 60
NAME_TRIES = 2  # names a verified caller may say before the line gives up on cancelling
# How far the line trusts that the caller is the owner of the number it shows (desk.caller_trust):
OWNER = "owner"  # a texter: every reply goes to the number itself
VERIFIED = "verified"  # a call whose caller ID the carrier attested and Twilio verified (A)
UNVERIFIED = "unverified"  # a call with no attestation, or a partial one (B, C)
FAILED = "failed"  # a call whose attestation failed verification: the caller ID is likely faked


class AtBookingLimit(Exception):
    """The caller's number already holds as many upcoming bookings as the clinic allows."""


class Desk(Protocol):
    zone: object  # the clinic's time zone
    offers_callback: bool  # voice: outside office hours, offer a call-back instead of ringing
    caller_trust: str  # OWNER, VERIFIED, UNVERIFIED or FAILED (above)
    confirmation_texted: bool  # after book(): whether a confirmation text is on its way

    def open_slots(self, page: int) -> tuple[list, bool]: ...  # slots (id, starts_at), more exist
    def open_slot(self, slot_id: int): ...  # None once booked, removed or past
    def at_booking_limit(self) -> bool: ...  # the number holds as many upcoming bookings as allowed
    def book(self, slot_id: int, name: str): ...  # the booking, None when the slot went; AtBookingLimit
    def next_booking(self): ...
    def cancel(self, booking_id: int) -> bool: ...
    def send_cancel_check(self, booking) -> bool: ...  # text the booking's number: reply YES to cancel
    def office_open(self) -> bool: ...
    def hours_said(self, lang: str) -> str: ...  # the office hours, in words
    def caller_last4(self) -> str: ...
    def request_callback(self, name: str, number: str | None) -> None: ...
    def send_page(self, node_id: str, lang: str) -> str: ...  # text_sent, text_not_sent or text_limit
    # Reminders and the waitlist (ivr/reminders/): a texter's replies, and joining the waitlist.
    def today(self): ...  # the clinic's date now
    def reply_context(self): ...  # the reminder or offer a texter's reply answers (replies.Context), or None
    def confirm_booking(self, booking_id: int) -> bool: ...
    def move_booking(self, booking_id: int, slot_id: int): ...  # the booking it became; None: the time went
    def can_get_offers(self) -> bool: ...  # offers go by text: can this number get the line's texts?
    def join_waitlist(self, name: str, days: str) -> None: ...  # days: booking.days.Days encoded
    def take_offer(self, offer_id: int): ...  # the booking made; None: expired or taken; AtBookingLimit
    def decline_offer(self, offer_id: int) -> None: ...


def stage_fits(flow: Flow, state: State) -> bool:
    if not state.stage:
        return True
    node = flow.nodes.get(state.node)
    kind = node.type if node else ""
    return (state.stage in BOOKING_STAGES and kind == "booking") or (
        state.stage in CALLBACK_STAGES and kind == "transfer")


def _guard(make: Callable[[], Result], flow: Flow, state: State, event: str, notices: tuple) -> Result:
    """The calendar is down: say so and offer a person (the booking node's footer)."""
    try:
        return make()
    except Unavailable:
        return Result(State(flow.line.booking, state.lang), event, notices + ("book_unavailable",))


# ---- arriving ---------------------------------------------------------------------------------

def enter_booking(flow: Flow, state: State, desk, event: str, notices: tuple = ()) -> Result:
    if desk is None:
        return Result(state, event, notices)

    def first_times() -> Result:
        if desk.caller_trust == FAILED:
            return _refused(flow, state, notices)
        if desk.at_booking_limit():
            return _at_limit(flow, state, notices)
        return _listing(state, desk, event, notices, page=0)

    return _guard(first_times, flow, state, event, notices)


def _refused(flow: Flow, state: State, notices: tuple = ()) -> Result:
    """A call whose caller ID failed verification: no booking, no cancelling; a person can help."""
    return Result(State(flow.line.start, state.lang), "not_verified", notices + ("call_not_verified",))


def _at_limit(flow: Flow, state: State, notices: tuple = ()) -> Result:
    return Result(State(flow.line.start, state.lang), "book_limit", notices + ("book_limit",))


def _listing(state: State, desk, event: str, notices: tuple, page: int, present: bool = True) -> Result:
    """The open times, page by page: to book one (CHOOSE), or to move booking `ref` to (MOVE)."""
    offered, more = desk.open_slots(page)
    stage, ref = (MOVE, state.ref) if state.stage == MOVE else (CHOOSE, 0)
    listed = State(state.node, state.lang, state.misses, stage, page=page, offered=tuple(s.id for s in offered),
                   ref=ref)
    return Result(listed, event, notices, present, View(offered=tuple(offered), more=more))


def enter_transfer(flow: Flow, state: State, desk, event: str, notices: tuple = ()) -> Result:
    if desk is None or not desk.offers_callback or desk.office_open():
        return Result(state, event, notices)
    offer = State(state.node, state.lang, stage=CB_OFFER)
    return Result(offer, event, notices + ("office_closed",), view=View(hours=desk.hours_said(state.lang)))


def enter_cancel(flow: Flow, state: State, desk) -> Result | None:
    if desk is None:
        return None  # nothing to cancel without the calendar: a miss

    def find() -> Result:
        trust = desk.caller_trust
        if trust == FAILED:
            return _refused(flow, state)
        if trust != OWNER:  # a caller: the name first, before anything of the booking is said
            return Result(State(flow.line.booking, state.lang, stage=CANCEL_NAME), "cancel")
        booking = desk.next_booking()
        if booking is None:
            return Result(State(flow.line.start, state.lang), "no_booking", ("cancel_none",))
        asking = State(flow.line.booking, state.lang, stage=CANCEL, ref=booking.id)
        return Result(asking, "cancel", view=View(booking=booking))

    return _guard(find, flow, state, "cancel", ())


def redisplay(flow: Flow, state: State, desk, event: str, notices: tuple = (), present: bool = True) -> Result:
    """Say the current step again (repeat, a miss, a language change) with fresh facts."""
    if desk is None:
        return Result(State(state.node, state.lang, state.misses), event, notices, present)

    def again() -> Result:
        if state.stage in (CHOOSE, MOVE):
            return _listing(state, desk, event, notices, state.page, present)
        if state.stage in (CONFIRM, NAME, READBACK):
            slot = desk.open_slot(state.slot)
            if slot is None:
                return _listing(state, desk, "taken", notices + ("book_taken",), page=0)
            return Result(state, event, notices, present, View(slot=slot))
        if state.stage == CANCEL:
            booking = desk.next_booking()
            if booking is None or booking.id != state.ref:
                return Result(State(flow.line.start, state.lang), "no_booking", notices + ("cancel_none",))
            return Result(state, event, notices, present, View(booking=booking))
        if state.stage in (CANCEL_NAME, WAIT_NAME):
            return Result(state, event, notices, present)
        return Result(state, event, notices, present,
                      View(hours=desk.hours_said(state.lang), last4=desk.caller_last4()))

    return _guard(again, flow, state, event, notices)


# ---- answering --------------------------------------------------------------------------------

def stage_step(flow: Flow, state: State, inp: Input, desk, is_command: IsCommand):
    """The dialog's reading of an input, or None to let the menu commands have it."""
    if desk is None or inp.kind == "silence" or not inp.value.strip():
        return None
    handler = {CHOOSE: _on_choose, CONFIRM: _on_confirm, NAME: _on_name, READBACK: _on_readback,
               CANCEL: _on_cancel, CANCEL_NAME: _on_cancel_name, CB_OFFER: _on_cb_offer, CB_NAME: _on_name,
               CB_NUMBER: _on_cb_number, CB_DIGITS: _on_cb_digits, MOVE: _on_choose,
               WAIT_NAME: _on_wait_name}[state.stage]
    if state.stage in (NAME, CB_NAME, CB_DIGITS, CANCEL_NAME, WAIT_NAME) and is_command(state, inp):
        return None
    return _guard(lambda: handler(flow, state, inp, desk), flow, state, "booking", ())


def _answer(flow: Flow, state: State, inp: Input) -> str | None:
    """'yes', 'no', 'more', 'callback', a digit, or None."""
    if inp.kind == "key":
        return inp.value.strip()
    index = index_for(flow)
    return index.spoken_key(inp.value, state.lang) or index.answers(state.lang, inp.kind).match(inp.value)


def _is_yes(answer: str | None) -> bool:
    return answer in ("yes", KEY_YES)


def _is_no(answer: str | None) -> bool:
    return answer in ("no", KEY_NO)


def _on_choose(flow: Flow, state: State, inp: Input, desk):
    if state.stage == MOVE and desk.caller_trust != OWNER:  # only a texter moves a booking (its owner)
        return Result(State(flow.line.start, state.lang), "no_booking", ("cancel_none",))
    answer = _answer(flow, state, inp)
    if state.stage == CHOOSE and (answer == KEY_WAIT or _asks_to_wait(inp)):
        return _to_waitlist(flow, state, inp, desk)
    if answer in ("more", KEY_MORE):
        later, _ = desk.open_slots(state.page + 1)
        if later:
            return _listing(state, desk, "more", (), state.page + 1)
        return _listing(state, desk, "more", ("book_no_more",), 0)
    chosen = None
    if answer and answer.isdigit() and 1 <= int(answer) <= len(state.offered):
        chosen = state.offered[int(answer) - 1]
    elif inp.kind in (SPEECH, TEXT):
        chosen = _slot_said(flow, state, inp, desk)
    if chosen is None:
        return None
    if state.stage == MOVE:
        return _move(flow, state, chosen, desk)
    return _ask(replace(state, slot=chosen), desk, NAME if inp.kind == TEXT else CONFIRM, "chosen")


def _move(flow: Flow, state: State, slot_id: int, desk) -> Result:
    """Booking `ref` moved to the time chosen, in one transaction; if the time went meanwhile, new choices."""
    moved = desk.move_booking(state.ref, slot_id)
    if moved is None:
        return _listing(state, desk, "taken", ("book_taken",), 0)
    return Result(State(flow.line.start, state.lang), "moved", ("move_done",), view=View(booking=moved))


def _asks_to_wait(inp: Input) -> bool:
    """A text that starts with WAIT (ESPERA ...), the days after it; or "put me on the waiting list" said."""
    if inp.kind == TEXT:
        return wait_days_text(inp.value) is not None
    return inp.kind == SPEECH and reply_kind(inp.value) == WAIT


def _to_waitlist(flow: Flow, state: State, inp: Input, desk) -> Result:
    """No time suits (or none is open): wait for one to free up, on the days written after WAIT
    (any day by voice). The name to book under comes next."""
    if not desk.can_get_offers():
        return Result(State(flow.line.start, state.lang), "wait_no_texts", ("wait_no_texts",))
    days = ""
    if inp.kind == TEXT and inp.value.strip() != KEY_WAIT:
        wanted = parse_days(wait_days_text(inp.value) or "", state.lang, desk.today())
        if wanted is None:  # asked again, with an example, rather than waiting for days they did not mean
            return _listing(replace(state, misses=state.misses + 1), desk, "no_match", ("wait_days_unclear",),
                            state.page)
        days = wanted.encode()
    return Result(replace(state, misses=0, stage=WAIT_NAME, days=days), "wait")


def _on_wait_name(flow: Flow, state: State, inp: Input, desk):
    if inp.kind not in (SPEECH, TEXT):
        return None
    name = _clean_name(inp.value)
    if not name:
        return None
    desk.join_waitlist(name, state.days)
    joined = State(flow.line.start, state.lang, name=name, days=state.days)
    return Result(joined, "wait_joined", ("wait_joined",))


def _slot_said(flow: Flow, state: State, inp: Input, desk) -> int | None:
    """ "the Tuesday one", "nine thirty", "the second one" -> the slot id, if just one fits."""
    entries = []
    ordinals = timefmt.ORDINALS.get(state.lang, timefmt.ORDINALS["en"])
    for position, slot_id in enumerate(state.offered):
        slot = desk.open_slot(slot_id)
        if slot is None:
            continue
        local = slot.starts_at.astimezone(desk.zone)
        entries += [(phrase, slot_id) for phrase in timefmt.words(local, state.lang) + [ordinals[position]]]
    return PhraseMatcher(entries).match(inp.value)


def _ask(state: State, desk, stage: str, event: str, **changes) -> Result:
    """The next question about the chosen time, or new choices if it has gone meanwhile."""
    slot = desk.open_slot(state.slot)
    if slot is None:
        return _listing(state, desk, "taken", ("book_taken",), 0)
    return Result(replace(state, misses=0, stage=stage, **changes), event, view=View(slot=slot))


def _on_confirm(flow: Flow, state: State, inp: Input, desk):
    answer = _answer(flow, state, inp)
    if _is_yes(answer):
        return _ask(state, desk, NAME, "confirmed")
    if _is_no(answer):
        return _listing(state, desk, "other_time", (), 0)
    return None


def _clean_name(said: str) -> str:
    name = re.sub(r"[^\w\s.'-]", " ", said, flags=re.UNICODE)
    name = re.sub(r"\s+", " ", name).strip(" .-'")[:MAX_NAME]
    return name if re.search(r"[^\W\d_]", name) else ""


def _on_name(flow: Flow, state: State, inp: Input, desk):
    if inp.kind not in (SPEECH, TEXT):
        return None
    name = _clean_name(inp.value)
    if not name:
        return None
    if state.stage == CB_NAME:
        last4 = desk.caller_last4()
        next_stage = CB_NUMBER if last4 else CB_DIGITS  # caller ID withheld: ask for the number
        return Result(replace(state, misses=0, stage=next_stage, name=name), "named", view=View(last4=last4))
    return _ask(state, desk, READBACK, "named", name=name)


def _on_readback(flow: Flow, state: State, inp: Input, desk):
    answer = _answer(flow, state, inp)
    if _is_yes(answer):
        try:
            booking = desk.book(state.slot, state.name)
        except AtBookingLimit:  # another call from this number booked meanwhile
            return _at_limit(flow, state)
        if booking is None:
            return _listing(state, desk, "taken", ("book_taken",), 0)
        # Said only when it is true: an opted-out number is sent no confirmation.
        done = "book_done" if desk.confirmation_texted else "book_done_no_text"
        return Result(State(flow.line.start, state.lang), "booked", (done,), view=View(booking=booking))
    if _is_no(answer):
        if inp.kind == TEXT:
            return _listing(state, desk, "other_time", (), 0)
        return _ask(state, desk, NAME, "rename", name="")
    return None


def _on_cancel(flow: Flow, state: State, inp: Input, desk):
    answer = _answer(flow, state, inp)
    booking = desk.next_booking()
    if booking is None or booking.id != state.ref:
        return Result(State(flow.line.start, state.lang), "no_booking", ("cancel_none",))
    if _is_yes(answer):
        desk.cancel(booking.id)
        return Result(State(flow.line.start, state.lang), "cancelled", ("cancel_done",), view=View(booking=booking))
    if _is_no(answer):
        return Result(State(flow.line.start, state.lang), "kept", ("cancel_kept",), view=View(booking=booking))
    return None


def _on_cancel_name(flow: Flow, state: State, inp: Input, desk):
    """The name a caller says before cancelling. Whether a booking exists is never told apart
    from whether the name fits it: a caller faking someone's number learns nothing."""
    if inp.kind not in (SPEECH, TEXT):
        return None
    said = _clean_name(inp.value)
    if not said:
        return None
    booking = desk.next_booking()
    found = booking is not None and same_name(booking.name, said)
    start = State(flow.line.start, state.lang)
    if desk.caller_trust != VERIFIED:
        # The booking's owner decides, by text; the caller hears the same either way.
        if found:
            desk.send_cancel_check(booking)
        return Result(start, "cancel_check", ("cancel_check_sent",))
    if found:
        asking = State(flow.line.booking, state.lang, stage=CANCEL, ref=booking.id)
        return Result(asking, "cancel_verified", view=View(booking=booking))
    if state.misses + 1 < NAME_TRIES:
        return Result(replace(state, misses=state.misses + 1), "no_match", ("cancel_name_again",))
    return Result(start, "no_booking", ("cancel_not_found",))


def _on_cb_offer(flow: Flow, state: State, inp: Input, desk):
    answer = _answer(flow, state, inp)
    if _is_yes(answer) or answer == "callback":
        return Result(replace(state, misses=0, stage=CB_NAME), "callback_offer_taken")
    return None


def _on_cb_number(flow: Flow, state: State, inp: Input, desk):
    answer = _answer(flow, state, inp)
    if _is_yes(answer):
        desk.request_callback(state.name, None)
        return Result(State(flow.line.start, state.lang), "callback", ("callback_done",),
                      view=View(last4=desk.caller_last4()))
    if _is_no(answer):
        return Result(replace(state, misses=0, stage=CB_DIGITS), "other_number")
    return None


def _on_cb_digits(flow: Flow, state: State, inp: Input, desk):
    digits = _number_said(flow, state, inp)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return Result(replace(state, misses=state.misses + 1), "no_match", ("callback_bad_number",), present=True)
    desk.request_callback(state.name, "+1" + digits)
    done = View(last4=" ".join(digits[-4:]))
    return Result(State(flow.line.start, state.lang), "callback", ("callback_done",), view=done)


def _number_said(flow: Flow, state: State, inp: Input) -> str:
    if inp.kind == "key":
        return re.sub(r"\D", "", inp.value)
    words = index_for(flow).digit_words.get(state.lang, {})
    return "".join(t if t.isdigit() else words.get(t, "") for t in tokens(inp.value))


class BookingDialogs:
    """The engine's Dialogs port (engine/dialogs.py), answered by the dialogs above."""

    def fits(self, flow: Flow, state: State) -> bool:
        return stage_fits(flow, state)

    def enter(self, flow: Flow, state: State, node_type: str, desk, event: str, notices: tuple) -> Result | None:
        if node_type == "booking":
            return enter_booking(flow, state, desk, event, notices)
        if node_type == "transfer":
            return enter_transfer(flow, state, desk, event, notices)
        return None

    def enter_cancel(self, flow: Flow, state: State, desk) -> Result | None:
        return enter_cancel(flow, state, desk)

    def redisplay(self, flow: Flow, state: State, desk, event: str, notices: tuple = (),
                  present: bool = True) -> Result:
        return redisplay(flow, state, desk, event, notices, present)

    def answer(self, flow: Flow, state: State, inp: Input, desk, is_command: IsCommand) -> Result | None:
        return stage_step(flow, state, inp, desk, is_command)


DIALOGS = BookingDialogs()
