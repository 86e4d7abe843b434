"""One incoming text: opt-out and help first, then the engine, with state in the database."""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Callable, NamedTuple

from sqlalchemy.exc import SQLAlchemyError

from ..booking.dialog import DIALOGS
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
    if control in ("stop", "start"):
        return _opt(flow, store, who, control == "stop", now)
    # HELP always gets through, and is not counted.
    place, opted_out, verdict = store.arrive(who, now, limiter if control != "help" else None)
    state = _state(place)
    lang = state.lang if state else flow.default_language
    if control == "yes" and opted_out:
        return _opt(flow, store, who, False, now)
    if opted_out:
        return Reply(None, "ignored_opted_out", state)
    if control == "help":
        return Reply(phrase(flow, "sms_help", lang), "help", state)
    if verdict != ANSWER:  # one short notice, then nothing until the window ends
        return Reply(phrase(flow, "sms_slow_down", lang) if verdict == NOTICE else None, "throttled", state)

    first_contact = state is None
    state = state or start_state(flow, choose_language=False)
    desk = make_desk(state.lang) if make_desk else None
    result = step(flow, state, Input("text", body), max_misses=None, desk=desk, dialogs=DIALOGS)
    if first_contact and not result.matched:
        # A first "hi" (or anything we cannot place) gets the welcome, not an apology.
        result = Result(State(flow.line.start, result.state.lang), "start")
    welcome = result.state.node == flow.line.start and result.event in ("start", "main", "language")
    store.save_place(who, _place(result.state), now)
    return Reply(compose(flow, result, welcome=welcome, zone=zone), result.event, result.state)


def _opt(flow: Flow, store: SmsStore, who: str, opt_out: bool, now: datetime) -> Reply:
    """Record an opt-out or opt-in (kept on disk if the database is down: never lost)."""
    try:
        place, was_out, _ = store.arrive(who, now)  # one read, not counted by the throttle
        state = _state(place)
    except SQLAlchemyError:
        state, was_out = None, False
    store.set_opted_out(who, opt_out, now)
    lang = state.lang if state else flow.default_language
    if opt_out:
        return Reply(None if was_out else phrase(flow, "sms_stopped", lang), "opt_out", state)  # one at most
    return Reply(phrase(flow, "sms_started", lang), "opt_in", state)


def _state(place: Place | None) -> State | None:
    """The engine's state for a texter's stored place (a booking in progress included)."""
    return None if place is None else with_dialog(State(place.node, place.lang, place.misses), place.data)


def _place(state: State) -> Place:
    return Place(state.node, state.lang, state.misses, dialog_data(state))
