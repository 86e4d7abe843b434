"""The engine: one pure step of a conversation.

step(flow, state, input) -> Result. No Flask, no database, no clock: the same step drives
voice and SMS, and a whole conversation can be replayed in microseconds.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from ..flow.flow import Flow
from .index import SPEECH, TEXT, index_for

LANGUAGE = "_language"  # the language choice at the start of a call
MAX_MISSES = 3
EXACT = float("inf")  # a key press: nothing said can be surer

InputKind = Literal["start", "key", "speech", "text", "silence"]


@dataclass(frozen=True)
class State:
    node: str
    lang: str
    misses: int = 0


@dataclass(frozen=True)
class Input:
    kind: InputKind
    value: str = ""


@dataclass(frozen=True)
class Result:
    state: State  # where the caller is now
    event: str  # what happened: option, repeat, back, main, person, goodbye, language,
    #             emergency, no_match, no_input, too_many_misses, start
    notices: tuple[str, ...] = ()  # phrase names to say before the node ("no_match", ...)
    present: bool = True  # say the node's content again (False: only re-prompt its choices)

    @property
    def matched(self) -> bool:
        return self.event not in ("no_match", "no_input")


def start_state(flow: Flow, lang: str | None = None, choose_language: bool = True) -> State:
    if choose_language and len(flow.languages) > 1:
        return State(LANGUAGE, flow.default_language)
    return State(flow.line.start, lang or flow.default_language)


def sanitize(flow: Flow, state: State) -> State:
    """A state from a URL or an old session may name a node or language that no longer exists."""
    lang = state.lang if state.lang in flow.languages else flow.default_language
    node = state.node if state.node in flow.nodes or state.node == LANGUAGE else flow.line.start
    misses = min(max(state.misses, 0), MAX_MISSES)
    return State(node, lang, misses)


def step(flow: Flow, state: State, inp: Input, max_misses: int | None = MAX_MISSES) -> Result:
    state = sanitize(flow, state)
    if inp.kind == "start":
        return Result(state, "start")
    if inp.kind == "silence" or not inp.value.strip():
        return _miss(flow, state, "no_input", max_misses)
    index = index_for(flow)
    if inp.kind in (SPEECH, TEXT):  # safety before anything else, in any language
        flagged = [lang for lang, flags in index.red_flags.items() if flags.found_in(inp.value)]
        if flagged:
            lang = state.lang if state.lang in flagged or inp.kind == SPEECH else flagged[0]
            return _arrive(flow, replace(state, lang=lang), flow.line.emergency, "emergency")
    target, score = _understand(flow, state, inp)
    if inp.kind == TEXT and score < EXACT:
        # A texter writing in another language ("hola", "tratamiento") is answered in it.
        for lang in flow.languages:
            other = replace(state, lang=lang)
            other_target, other_score = _understand(flow, other, inp) if lang != state.lang else (None, 0)
            if other_score > score:
                target, score, state = other_target, other_score, other
    if target is None:
        return _miss(flow, state, "no_match", max_misses)
    kind, value = target
    if kind == "option":
        return _arrive(flow, state, value, "option")
    if kind == "language":
        node = flow.line.start if state.node == LANGUAGE else state.node
        return _arrive(flow, replace(state, lang=value), node, "language")
    return _command(flow, state, value)


def _understand(flow: Flow, state: State, inp: Input) -> tuple[tuple[str, str] | None, float]:
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


def _command(flow: Flow, state: State, name: str) -> Result:
    if name == "repeat":
        return _arrive(flow, state, state.node, "repeat")
    if name == "back":
        node = state.node if state.node == LANGUAGE else flow.back_of(state.node)
        return _arrive(flow, state, node, "back")
    if name == "main":
        return _arrive(flow, state, flow.line.start, "main")
    if name == "person":
        return _arrive(flow, state, flow.line.person, "person")
    return _arrive(flow, state, flow.line.goodbye, "goodbye")


def _arrive(flow: Flow, state: State, node: str, event: str) -> Result:
    return Result(State(node, state.lang, 0), event)


def _miss(flow: Flow, state: State, event: str, max_misses: int | None) -> Result:
    misses = state.misses + 1
    if max_misses is not None and misses >= max_misses:
        return Result(State(flow.line.person, state.lang, 0), "too_many_misses", ("connect_person",))
    return Result(replace(state, misses=misses), event, (event, "more_help"), present=False)
