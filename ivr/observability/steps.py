"""Recording each step the webhooks answer: a row in the events table and the /metrics counts.

Called from the voice and SMS webhooks. Recording never breaks a call or a text: a failure is
logged (its kind only: no number, no words) and swallowed."""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from ..engine.outcomes import understood
from ..engine.state import Input, Result, State
from ..privacy import phone_hash
from ..services import current_flow, services
from ..storage.events import Step
from .metrics import count_step

log = logging.getLogger("ivr.events")


def record_call(result: Result, inp: Input, call_key: str, caller: str, secret: str, now: datetime) -> None:
    """A step of a call, as the voice webhook answers it. The call is known by `call_key`, the
    keyed hash of its CallSid (the key of its booking draft too); `caller` is Twilio's From."""
    def build() -> Step:
        state = result.state
        return Step("voice", call_key, phone_hash(caller, secret), state.node, state.stage, inp.kind, result.event,
                    state.lang, understood(result.event), current_flow().number)

    _record("voice", build, now)


def record_text(who: str, event: str, state: State | None, now: datetime) -> None:
    """A text just answered: `who` is the texter's phone hash, `event` what converse() did,
    `state` where it left the texter (None: no place yet, e.g. a first STOP or HELP)."""
    def build() -> Step:
        flow = current_flow()  # the version this request is answered from
        if state is None:
            return Step("sms", who, who, "", "", "text", event, flow.default_language, understood(event), flow.number)
        return Step("sms", who, who, state.node, state.stage, "text", event, state.lang, understood(event),
                    flow.number)

    _record("sms", build, now)


def _record(channel: str, build: Callable[[], Step], now: datetime) -> None:
    try:
        step = build()
    except Exception as error:
        log.warning("%s step not recorded: %s", channel, type(error).__name__)
        return
    for what, action in (("recorded", lambda: services().events.add(step, now)),
                         ("counted", lambda: count_step(step, current_flow()))):
        try:
            action()
        except Exception as error:
            log.warning("%s step %s not %s: %s", channel, step.event, what, type(error).__name__)
