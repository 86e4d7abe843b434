"""The port through which the engine hands some nodes to a dialog of their own.

The engine knows menus, pages, commands, misses and safety. A booking node (choose a time, give
a name, confirm) and a transfer node (a call-back request while the office is closed) run
dialogs that live above the engine, in `ivr/booking`: the engine calls them through this port
and never imports them. Without dialogs (NO_DIALOGS), a booking node is an information page and
a transfer node simply connects.
"""
from __future__ import annotations

from typing import Callable, Protocol

from ..flow.flow import Flow
from .state import Input, Result, State

IsCommand = Callable[[State, Input], bool]  # does this input mean a menu command here?


class Unavailable(Exception):
    """The clinic's calendar (the desk) cannot be reached right now."""


class Dialogs(Protocol):
    def fits(self, flow: Flow, state: State) -> bool:
        """Whether the state's dialog stage belongs to its node (a stale URL may name another)."""

    def enter(self, flow: Flow, state: State, node_type: str, desk, event: str, notices: tuple) -> Result | None:
        """Arriving at a node of this type: the dialog's first question, or None for none."""

    def enter_cancel(self, flow: Flow, state: State, desk) -> Result | None:
        """The caller asked to cancel their appointment; None: not possible here (a miss)."""

    def redisplay(self, flow: Flow, state: State, desk, event: str, notices: tuple = (),
                  present: bool = True) -> Result:
        """Say the dialog's current step again (repeat, a miss, a language change)."""

    def answer(self, flow: Flow, state: State, inp: Input, desk, is_command: IsCommand) -> Result | None:
        """The dialog's reading of an input at its stage, or None to let the menus have it."""


class NoDialogs:
    """No dialogs: every node is a plain menu or page."""

    def fits(self, flow: Flow, state: State) -> bool:
        return not state.stage

    def enter(self, flow, state, node_type, desk, event, notices) -> Result | None:
        return None

    def enter_cancel(self, flow, state, desk) -> Result | None:
        return None

    def redisplay(self, flow, state, desk, event, notices=(), present=True) -> Result:
        return Result(State(state.node, state.lang, state.misses), event, notices, present)

    def answer(self, flow, state, inp, desk, is_command) -> Result | None:
        return None


NO_DIALOGS: Dialogs = NoDialogs()
