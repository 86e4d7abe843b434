"""A spoken menu choice heard unsurely is confirmed before it is acted on: "Did you mean
treatment? For yes, press 1, or say yes."

Only choices that take the caller somewhere or end the call are asked about: a menu option, and
goodbye. Yes (1, or a yes word) acts on it; no (2, or a no word) offers the choices again;
anything else is a new answer at the same menu. Red flags never wait for this: the step hears
them first, at any confidence.
"""
from __future__ import annotations

from dataclasses import replace

from ..flow.flow import Flow
from ..words import tokens
from .index import SPEECH, index_for
from .state import LANGUAGE, Input, Result, State

ASKED = ("option", "command:goodbye")  # what is worth a question when heard unsurely
YES_KEY, NO_KEY = "1", "2"


def needed(target: tuple[str, str], inp: Input, state: State) -> bool:
    """Only at a menu (not the language choice, not inside a booking dialog) and only for speech."""
    kind, value = target
    at_menu = not state.stage and state.node != LANGUAGE
    return inp.kind == SPEECH and not inp.sure and at_menu and (kind in ASKED or f"{kind}:{value}" in ASKED)


def ask(state: State, target: tuple[str, str]) -> Result:
    return Result(replace(state, confirm=":".join(target)), "confirm", present=False)


def pending(flow: Flow, confirm: str) -> tuple[str, str] | None:
    """The choice waiting for yes or no, if it still makes sense in this flow."""
    kind, _, value = confirm.partition(":")
    if kind == "option" and value in flow.nodes or confirm in ASKED:
        return kind, value
    return None


def reply(flow: Flow, state: State, inp: Input) -> str | None:
    """'yes', 'no', or None for anything else (a new answer)."""
    if inp.kind == "key":
        return {YES_KEY: "yes", NO_KEY: "no"}.get(inp.value.strip())
    if inp.kind in (SPEECH, "text") and tokens(inp.value):
        answer = index_for(flow).answers(state.lang, SPEECH).match(inp.value)
        return answer if answer in ("yes", "no") else None
    return None


def choice_name(flow: Flow, state: State) -> str:
    """How the waiting choice is named in the question: the option's label at this menu, else
    the title of where it leads."""
    kind, value = pending(flow, state.confirm) or ("", "")
    node = flow.nodes.get(state.node)
    label = next((o.label[state.lang] for o in (node.options if node else ()) if o.goto == value), None)
    if kind == "command":
        value = getattr(flow.line, value, value)
    return label or (flow.nodes[value].title[state.lang] if value in flow.nodes else value)
