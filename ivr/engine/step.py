"""The engine: one step of a conversation.

step(flow, state, input, desk=..., dialogs=...) -> Result. No Flask, no database, no clock: the
same step drives voice and SMS, and a whole conversation replays in microseconds. Appointments
need the clinic's calendar: the booking dialog (handed in as `dialogs`, see dialogs.py) asks a
`desk` (a port the channel supplies; tests use an in-memory one). Without them the booking node
is an information page.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from ..flow.flow import Flow
from . import confirming
from .dialogs import NO_DIALOGS, Dialogs, Unavailable
from .index import SPEECH, TEXT, index_for
from .state import LANGUAGE, MAX_MISSES, Input, Result, State

EXACT = float("inf")  # a key press: nothing said can be surer
NO_TEXT_ME = ("transfer", "goodbye")

__all__ = ["LANGUAGE", "MAX_MISSES", "Input", "Result", "State", "Turn", "step", "start_state", "sanitize"]


@dataclass(frozen=True)
class Turn:
    """What a step works with besides where the caller is and what they did."""

    flow: Flow
    desk: object = None  # the clinic's calendar (booking dialog), or None
    dialogs: Dialogs = NO_DIALOGS
    max_misses: int | None = MAX_MISSES  # None: never hand over to a person (SMS)


def start_state(flow: Flow, lang: str | None = None, choose_language: bool = True) -> State:
    if choose_language and len(flow.languages) > 1:
        return State(LANGUAGE, flow.default_language)
    return State(flow.line.start, lang or flow.default_language)


def sanitize(flow: Flow, state: State, dialogs: Dialogs = NO_DIALOGS) -> State:
    """A state from a URL or an old session may name a node or language that no longer exists."""
    lang = state.lang if state.lang in flow.languages else flow.default_language
    node = state.node if state.node in flow.nodes or state.node == LANGUAGE else flow.line.start
    clean = replace(state, node=node, lang=lang, misses=min(max(state.misses, 0), MAX_MISSES))
    if not dialogs.fits(flow, clean):
        clean = State(node, lang, clean.misses)
    if clean.confirm and (clean.stage or node == LANGUAGE or confirming.pending(flow, clean.confirm) is None):
        clean = replace(clean, confirm="")
    return clean


def step(flow: Flow, state: State, inp: Input, max_misses: int | None = MAX_MISSES, desk=None,
         dialogs: Dialogs = NO_DIALOGS) -> Result:
    turn = Turn(flow, desk, dialogs, max_misses)
    state = sanitize(flow, state, dialogs)
    if inp.kind == "start":
        return dialogs.redisplay(flow, state, desk, "start") if state.stage else Result(state, "start")
    if inp.kind in (SPEECH, TEXT):  # safety before anything else, in any language
        flagged = [lang for lang, flags in index_for(flow).red_flags.items() if flags.found_in(inp.value)]
        if flagged:
            lang = state.lang if state.lang in flagged or inp.kind == SPEECH else flagged[0]
            return arrive(turn, State(state.node, lang), flow.line.emergency, "emergency")
    if state.confirm:  # "Did you mean ...?": yes acts on it; no is a miss; anything else, a new answer here
        target, answer = confirming.pending(flow, state.confirm), confirming.reply(flow, state, inp)
        state = replace(state, confirm="")
        if answer == "yes":
            return _act(turn, state, target)
        if answer == "no":
            return miss(turn, state, "no_match")
    if state.stage:
        handled = dialogs.answer(flow, state, inp, desk, lambda st, i: _is_command(flow, st, i))
        if handled is not None:
            return handled
    if inp.kind == "silence" or not inp.value.strip():
        return miss(turn, state, "no_input")
    target, state = _understand_any_language(flow, state, inp)
    if target is None:
        return miss(turn, state, "no_match")
    if confirming.needed(target, inp, state):
        return confirming.ask(state, target)
    return _act(turn, state, target)


def _act(turn: Turn, state: State, target: tuple[str, str]) -> Result:
    """Do what the caller chose: go to an option, change language, or a command."""
    flow, (kind, value) = turn.flow, target
    if kind == "option":
        return arrive(turn, state, value, "option")
    if kind == "language":
        node = flow.line.start if state.node == LANGUAGE else state.node
        return arrive(turn, replace(state, lang=value), node, "language", keep_stage=True)
    return _command(turn, state, value) or miss(turn, state, "no_match")


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


def _command(turn: Turn, state: State, name: str) -> Result | None:
    flow = turn.flow
    if name == "repeat":
        if state.stage:
            return turn.dialogs.redisplay(flow, state, turn.desk, "repeat")
        return arrive(turn, state, state.node, "repeat")
    if name == "back":
        node = state.node if state.node == LANGUAGE else flow.back_of(state.node)
        return arrive(turn, state, node, "back")
    if name == "main":
        return arrive(turn, state, flow.line.start, "main")
    if name == "person":
        return arrive(turn, state, flow.line.person, "person")
    if name == "text_me":
        return _text_me(turn, state)
    if name == "cancel_booking":
        return turn.dialogs.enter_cancel(flow, state, turn.desk)
    return arrive(turn, state, flow.line.goodbye, "goodbye")


def _text_me(turn: Turn, state: State) -> Result | None:
    """Send this page to the caller by text; None where there is nothing to send (a miss)."""
    node = turn.flow.nodes.get(state.node)
    if turn.desk is None or node is None or node.type in NO_TEXT_ME or state.stage:
        return None
    try:
        notice = turn.desk.send_page(state.node, state.lang)  # text_sent, text_not_sent or text_limit
    except Unavailable:
        notice = "text_not_sent"
    return Result(State(state.node, state.lang), "text_me", (notice,), present=False)


def arrive(turn: Turn, state: State, node: str, event: str, notices: tuple = (),
           keep_stage: bool = False) -> Result:
    """Go to a node. The booking and transfer nodes may start a dialog of their own."""
    flow, dialogs = turn.flow, turn.dialogs
    if keep_stage and state.stage:
        return dialogs.redisplay(flow, replace(state, misses=0), turn.desk, event)
    node_type = flow.nodes[node].type if node in flow.nodes else ""
    entered = dialogs.enter(flow, State(node, state.lang), node_type, turn.desk, event, notices)
    return entered if entered is not None else Result(State(node, state.lang, 0), event, notices)


def miss(turn: Turn, state: State, event: str) -> Result:
    misses = state.misses + 1
    if turn.max_misses is not None and misses >= turn.max_misses:
        return arrive(turn, state, turn.flow.line.person, "too_many_misses", ("connect_person",))
    again = replace(state, misses=misses)
    if state.stage:
        return turn.dialogs.redisplay(turn.flow, again, turn.desk, event, (event, "more_help"), present=False)
    return Result(again, event, (event, "more_help"), present=False)
