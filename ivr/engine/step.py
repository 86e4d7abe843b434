"""The engine: one step of a conversation.

step(flow, state, input, desk) -> Result. No Flask, no database, no clock: the same step drives
voice and SMS, and a whole conversation replays in microseconds. Appointments need the clinic's
calendar: the booking dialog asks a `desk` (a port the channel supplies; tests use an in-memory
one) and without one the booking node is an information page.
"""
from __future__ import annotations

from dataclasses import replace

from ..booking import dialog
from ..flow.flow import Flow
from .index import SPEECH, TEXT, index_for
from .state import LANGUAGE, MAX_MISSES, Input, Result, State

EXACT = float("inf")  # a key press: nothing said can be surer
NO_TEXT_ME = ("transfer", "goodbye")

__all__ = ["LANGUAGE", "MAX_MISSES", "Input", "Result", "State", "step", "start_state", "sanitize"]


def start_state(flow: Flow, lang: str | None = None, choose_language: bool = True) -> State:
    if choose_language and len(flow.languages) > 1:
        return State(LANGUAGE, flow.default_language)
    return State(flow.line.start, lang or flow.default_language)


def sanitize(flow: Flow, state: State) -> State:
    """A state from a URL or an old session may name a node or language that no longer exists."""
    lang = state.lang if state.lang in flow.languages else flow.default_language
    node = state.node if state.node in flow.nodes or state.node == LANGUAGE else flow.line.start
    clean = replace(state, node=node, lang=lang, misses=min(max(state.misses, 0), MAX_MISSES))
    if not dialog.stage_fits(flow, clean):
        clean = State(node, lang, clean.misses)
    return clean


def step(flow: Flow, state: State, inp: Input, max_misses: int | None = MAX_MISSES, desk=None) -> Result:
    state = sanitize(flow, state)
    if inp.kind == "start":
        return dialog.redisplay(flow, state, desk, "start") if state.stage else Result(state, "start")
    if inp.kind in (SPEECH, TEXT):  # safety before anything else, in any language
        flagged = [lang for lang, flags in index_for(flow).red_flags.items() if flags.found_in(inp.value)]
        if flagged:
            lang = state.lang if state.lang in flagged or inp.kind == SPEECH else flagged[0]
            return arrive(flow, State(state.node, lang), flow.line.emergency, "emergency", desk)
    if state.stage:
        handled = dialog.stage_step(flow, state, inp, desk, lambda st, i: _is_command(flow, st, i))
        if handled is not None:
            return handled
    if inp.kind == "silence" or not inp.value.strip():
        return miss(flow, state, "no_input", max_misses, desk)
    target, state = _understand_any_language(flow, state, inp)
    if target is None:
        return miss(flow, state, "no_match", max_misses, desk)
    kind, value = target
    if kind == "option":
        return arrive(flow, state, value, "option", desk)
    if kind == "language":
        node = flow.line.start if state.node == LANGUAGE else state.node
        return arrive(flow, replace(state, lang=value), node, "language", desk, keep_stage=True)
    return _command(flow, state, value, desk) or miss(flow, state, "no_match", max_misses, desk)


def _understand_any_language(flow: Flow, state: State, inp: Input):
    target, score = understand(flow, state, inp)
    if inp.kind == TEXT and score < EXACT:
        # A texter writing in another language ("hola", "tratamiento") is answered in it.
        for lang in flow.languages:
            other = replace(state, lang=lang)
            other_target, other_score = understand(flow, other, inp) if lang != state.lang else (None, 0)
            if other_score > score:
                target, score, state = other_target, other_score, other
    return target, state


def _is_command(flow: Flow, state: State, inp: Input) -> bool:
    target, _ = understand(flow, state, inp)
    return target is not None and target[0] in ("command", "language")


def understand(flow: Flow, state: State, inp: Input) -> tuple[tuple[str, str] | None, float]:
    """What the input chooses here, and how sure we are (EXACT for a key)."""
    index = index_for(flow)
    key = inp.value.strip() if inp.kind == "key" else None
    if inp.kind in (SPEECH, TEXT):
        key = index.spoken_key(inp.value, state.lang)
    if key:
        target = _by_key(flow, state, key, allow_parent=inp.kind == TEXT)
        return target, (EXACT if target else 0.0)
    if inp.kind not in (SPEECH, TEXT):
        return None, 0.0
    target, score = index.local(state.node, state.lang, inp.kind).scored(inp.value)
    if target is None and state.node != LANGUAGE:
        target, score = index.anywhere(state.lang, inp.kind).scored(inp.value)
    return target, score


def _by_key(flow: Flow, state: State, key: str, allow_parent: bool) -> tuple[str, str] | None:
    if state.node == LANGUAGE:
        lang = flow.language_by_key(key)
        if lang:
            return ("language", lang)
    for name in type(flow.commands).model_fields:
        if getattr(flow.commands, name).key == key:
            return ("command", name)
    node = flow.nodes.get(state.node)
    if node and not node.options and allow_parent:
        # A text reply of a number after a page means the last menu the texter saw.
        node = flow.nodes[flow.back_of(state.node)]
    for option in node.options if node else ():
        if option.key == key:
            return ("option", option.goto)
    return None


def _command(flow: Flow, state: State, name: str, desk) -> Result | None:
    if name == "repeat":
        if state.stage:
            return dialog.redisplay(flow, state, desk, "repeat")
        return arrive(flow, state, state.node, "repeat", desk)
    if name == "back":
        node = state.node if state.node == LANGUAGE else flow.back_of(state.node)
        return arrive(flow, state, node, "back", desk)
    if name == "main":
        return arrive(flow, state, flow.line.start, "main", desk)
    if name == "person":
        return arrive(flow, state, flow.line.person, "person", desk)
    if name == "text_me":
        return _text_me(flow, state, desk)
    if name == "cancel_booking":
        return dialog.enter_cancel(flow, state, desk)
    return arrive(flow, state, flow.line.goodbye, "goodbye", desk)


def _text_me(flow: Flow, state: State, desk) -> Result | None:
    """Send this page to the caller by text; None where there is nothing to send (a miss)."""
    node = flow.nodes.get(state.node)
    if desk is None or node is None or node.type in NO_TEXT_ME or state.stage:
        return None
    try:
        sent = desk.send_page(state.node, state.lang)
    except dialog.Unavailable:
        sent = False
    return Result(State(state.node, state.lang), "text_me", ("text_sent" if sent else "text_not_sent",),
                  present=False)


def arrive(flow: Flow, state: State, node: str, event: str, desk=None, notices: tuple = (),
           keep_stage: bool = False) -> Result:
    """Go to a node. The booking and transfer nodes may start a dialog of their own."""
    if keep_stage and state.stage:
        return dialog.redisplay(flow, replace(state, misses=0), desk, event)
    node_type = flow.nodes[node].type if node in flow.nodes else ""
    if node_type == "booking":
        return dialog.enter_booking(flow, State(node, state.lang), desk, event, notices)
    if node_type == "transfer":
        return dialog.enter_transfer(flow, State(node, state.lang), desk, event, notices)
    return Result(State(node, state.lang, 0), event, notices)


def miss(flow: Flow, state: State, event: str, max_misses: int | None, desk=None) -> Result:
    misses = state.misses + 1
    if max_misses is not None and misses >= max_misses:
        return arrive(flow, state, flow.line.person, "too_many_misses", desk, ("connect_person",))
    again = replace(state, misses=misses)
    if state.stage:
        return dialog.redisplay(flow, again, desk, event, (event, "more_help"), present=False)
    return Result(again, event, (event, "more_help"), present=False)
