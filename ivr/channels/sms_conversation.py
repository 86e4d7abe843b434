"""One incoming text: opt-out and help first, then the engine, with state in the database."""
from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Callable

from ..engine.step import Input, Result, State, start_state, step
from ..flow import Flow
from ..storage.sms_store import SmsStore
from .sms_control import control_word
from .sms_reply import compose, phrase


def converse(flow: Flow, store: SmsStore, who: str, body: str, now: datetime,
             make_desk: Callable[[str], object] | None = None, zone: tzinfo | None = None) -> tuple[str | None, str]:
    """The reply to send (None: send nothing) and what happened, for the log.

    make_desk(lang) gives the clinic desk for booking; without one, booking is an info page."""
    control = control_word(body)
    state = store.load_state(who, now)
    lang = state.lang if state else flow.default_language
    opted_out = store.is_opted_out(who)
    if control == "stop":
        store.set_opted_out(who, True, now)
        return (None if opted_out else phrase(flow, "sms_stopped", lang)), "opt_out"
    if control == "start" or (control == "yes" and opted_out):
        store.set_opted_out(who, False, now)
        return phrase(flow, "sms_started", lang), "opt_in"
    if opted_out:
        return None, "ignored_opted_out"
    if control == "help":
        return phrase(flow, "sms_help", lang), "help"

    first_contact = state is None
    state = state or start_state(flow, choose_language=False)
    desk = make_desk(state.lang) if make_desk else None
    result = step(flow, state, Input("text", body), max_misses=None, desk=desk)
    if first_contact and not result.matched:
        # A first "hi" (or anything we cannot place) gets the welcome, not an apology.
        result = Result(State(flow.line.start, result.state.lang), "start")
    welcome = result.state.node == flow.line.start and result.event in ("start", "main", "language")
    store.save_state(who, result.state, now)
    return compose(flow, result, welcome=welcome, zone=zone), result.event
