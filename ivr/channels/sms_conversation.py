"""One incoming text: opt-out and help first, then the engine, with state in the database.

Every text counts towards the throttle, STOP, START and HELP too: an opt-out is always
recorded (and kept on disk while the database is down), but no reply of any kind goes to a
number texting too fast, and an opt-in over the limit waits (the number stays opted out), so
STOP and START alternated in a flood neither get replies nor keep writing."""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Callable, NamedTuple

from sqlalchemy.exc import SQLAlchemyError

from ..booking.dialog import DIALOGS
from ..booking.replies import answer_in_context, help_in_context
from ..control_words import control_word
from ..engine.state import dialog_data, with_dialog
from ..engine.step import Input, Result, State, start_state, step
from ..flow import Flow
from ..render.sms import compose, phrase
from ..storage.rate_limit import ANSWER, NOTICE, RateLimiter
from ..storage.sms_store import Place, SmsStore


class Reply(NamedTuple):
    text: str | None  # None: send nothing
    event: str  # what happened, for the log and the events table
    state: State | None  # where the texter is now (None: no place yet)


def converse(flow: Flow, store: SmsStore, who: str, body: str, now: datetime,
             make_desk: Callable[[str], object] | None = None, zone: tzinfo | None = None,
             limiter: RateLimiter | None = None) -> Reply:
    """The reply to send (None: send nothing), what happened, and where the texter is now.

    make_desk(lang) gives the clinic desk for booking; without one, booking is an info page.
    limiter slows a number that floods the line; opt-out, opt-in and help always get through."""
    control = control_word(body)
    try:
        place, opted_out, verdict = store.arrive(who, now, limiter)
    except SQLAlchemyError:
        if control != "stop":
            raise
        place, opted_out, verdict = None, False, ANSWER  # the opt-out waits in the spool
    state = _state(place)
    lang = state.lang if state else flow.default_language
    if control == "stop":
        return _opt_out(flow, store, who, state, opted_out, verdict == ANSWER, now)
    if opted_out:
        if control in ("start", "yes") and verdict == ANSWER:
            return _opt_in(flow, store, who, state, True, now)
        return Reply(None, "ignored_opted_out", state)
    if verdict != ANSWER:  # one short notice, then nothing until the window ends
        return Reply(phrase(flow, "sms_slow_down", lang) if verdict == NOTICE else None, "throttled", state)
    if control == "start":
        return _opt_in(flow, store, who, state, False, now)
    if control == "help":
        return Reply(phrase(flow, "sms_help", lang), "help", state)

    first_contact = state is None
    state = state or start_state(flow, choose_language=False)
    desk = make_desk(state.lang) if make_desk else None
    text = Input("text", body)
    result = answer_in_context(flow, state, text, desk)  # C, R, N, YES ... to a reminder or a waitlist offer
    if result is None:
        result = step(flow, state, text, max_misses=None, desk=desk, dialogs=DIALOGS)
        if not result.matched:  # not understood: what the open reminder or offer takes, if there is one
            result = help_in_context(flow, state, desk) or result
    if first_contact and not result.matched:
        # A first "hi" (or anything we cannot place) gets the welcome, not an apology.
        result = Result(State(flow.line.start, result.state.lang), "start")
    welcome = result.state.node == flow.line.start and result.event in ("start", "main", "language")
    store.save_place(who, _place(result.state), now)
    return Reply(compose(flow, result, welcome=welcome, zone=zone), result.event, result.state)


def _opt_out(flow: Flow, store: SmsStore, who: str, state: State | None, was_out: bool, reply: bool,
             now: datetime) -> Reply:
    """Record an opt-out (kept on disk if the database is down: never lost); written only when it
    changes something, confirmed once, and not at all to a number texting too fast."""
    if not was_out:
        store.set_opted_out(who, True, now)
    lang = state.lang if state else flow.default_language
    return Reply(phrase(flow, "sms_stopped", lang) if reply and not was_out else None, "opt_out", state)


def _opt_in(flow: Flow, store: SmsStore, who: str, state: State | None, was_out: bool, now: datetime) -> Reply:
    if was_out:
        store.set_opted_out(who, False, now)
    lang = state.lang if state else flow.default_language
    return Reply(phrase(flow, "sms_started", lang), "opt_in", state)


def _state(place: Place | None) -> State | None:
    """The engine's state for a texter's stored place (a booking in progress included)."""
    return None if place is None else with_dialog(State(place.node, place.lang, place.misses), place.data)


def _place(state: State) -> Place:
    return Place(state.node, state.lang, state.misses, dialog_data(state))
