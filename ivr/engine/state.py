"""What a conversation step takes and gives: where the caller is, what they did, what follows."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LANGUAGE = "_language"  # the language choice at the start of a call
MAX_MISSES = 3

InputKind = Literal["start", "key", "speech", "text", "silence"]


@dataclass(frozen=True)
class State:
    node: str
    lang: str
    misses: int = 0
    stage: str = ""  # a step of booking or of a call-back request, at a booking or transfer node
    slot: int = 0  # the slot chosen
    page: int = 0  # which open times are listed
    offered: tuple[int, ...] = ()  # the slot ids listed, so "1" means what the caller heard
    ref: int = 0  # the booking to cancel
    name: str = ""  # the caller's name while booking (never put in a URL)
    confirm: str = ""  # a spoken choice heard unsurely, waiting for yes or no ("option:treatment")
    days: str = ""  # the clinic days a waitlist entry is for ("2026-12-05/2026-12-09"; "" any day)


@dataclass(frozen=True)
class Input:
    kind: InputKind
    value: str = ""
    sure: bool = True  # False: the speech recognizer doubted what it heard (the channel judges)


@dataclass(frozen=True)
class View:
    """What the booking dialog looked up, for the channel to say or write."""

    offered: tuple = ()  # slots listed now
    more: bool = False  # later times exist
    slot: object = None  # the slot chosen
    booking: object = None  # the booking made, or the one to cancel
    hours: str = ""  # office hours, said in the caller's language
    last4: str = ""  # the last digits of the call-back number


@dataclass(frozen=True)
class Result:
    state: State  # where the caller is now
    event: str  # what happened: option, repeat, back, main, person, goodbye, language, emergency,
    #             no_match, no_input, too_many_misses, start, booked, cancelled, callback, ...
    notices: tuple[str, ...] = ()  # phrase names to say before the node ("no_match", ...)
    present: bool = True  # say the node's content again (False: only re-prompt its choices)
    view: View = field(default_factory=View)

    @property
    def matched(self) -> bool:
        return self.event not in ("no_match", "no_input")


def dialog_data(state: State) -> dict | None:
    """A booking step's details, for storing between requests (None when not in a dialog)."""
    if not state.stage:
        return None
    return {"stage": state.stage, "slot": state.slot, "page": state.page, "offered": list(state.offered),
            "ref": state.ref, "name": state.name, "days": state.days}


def with_dialog(state: State, data) -> State:
    """A state with stored dialog details put back; anything malformed is dropped."""
    if not isinstance(data, dict) or not isinstance(data.get("stage"), str):
        return state
    ints = {k: data.get(k) if isinstance(data.get(k), int) else 0 for k in ("slot", "page", "ref")}
    offered = tuple(i for i in data.get("offered") or () if isinstance(i, int))
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    days = data.get("days") if isinstance(data.get("days"), str) else ""
    return State(state.node, state.lang, state.misses, data["stage"], ints["slot"], ints["page"], offered,
                 ints["ref"], name, days=days)
