"""The figures of a report, as both ways of computing them give them (from_steps.py from the raw
steps, daily.py from the daily figures)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

CHANNELS = ("voice", "sms")


@dataclass(frozen=True)
class NodeFigures:
    """A count at one node, for calls and for text conversations."""

    node: str
    voice: int
    sms: int

    @property
    def total(self) -> int:
        return self.voice + self.sms


@dataclass(frozen=True)
class MenuAnswers:
    """The answers given at one menu or page: how many, and how many were silence or not understood."""

    node: str
    answers: int
    no_input: int
    no_match: int

    @property
    def no_input_rate(self) -> float:
        return self.no_input / self.answers if self.answers else 0.0

    @property
    def no_match_rate(self) -> float:
        return self.no_match / self.answers if self.answers else 0.0


@dataclass(frozen=True)
class Report:
    since: datetime
    until: datetime  # excluded
    calls: int  # distinct calls
    texters: int  # distinct text conversations (one per phone number)
    visits: list[NodeFigures]  # arrivals at each node, most visited first
    menus: list[MenuAnswers]  # answers at each node, most answered first
    heard_emergency: int  # conversations that heard the emergency guidance
    greeting_calls: int  # ... in the greeting of a call
    red_flag: int  # ... after saying or texting red-flag words
    transfers: int  # calls put through to a person (<Dial>)
    bookings: int
    opt_outs: int  # numbers that texted STOP
    ended: list[NodeFigures]  # conversations whose last step left them at each node
    texts_not_sent: dict[str, int] = field(default_factory=dict)  # by reason (NOT_SENT): texts the line held back
    version: int | None = None  # the flow version whose steps alone were counted (None: every version)

    @property
    def conversations(self) -> int:
        return self.calls + self.texters

    def steps_figures(self) -> tuple:
        """What the steps give (the texts held back come from the outbox): for comparing the
        two ways of computing a report."""
        return (self.calls, self.texters, self.visits, self.menus, self.heard_emergency, self.greeting_calls,
                self.red_flag, self.transfers, self.bookings, self.opt_outs, self.ended)


@dataclass(frozen=True)
class Day:
    """One clinic day on its own."""

    day: date
    calls: int
    texters: int
    heard_emergency: int
    transfers: int
    bookings: int
    opt_outs: int


def by_node(counts: dict[str, dict[str, int]]) -> list[NodeFigures]:
    """{node: {channel: count}} as figures, the biggest first."""
    figures = [NodeFigures(node, c.get("voice", 0), c.get("sms", 0)) for node, c in counts.items()]
    return sorted((f for f in figures if f.total), key=lambda f: (-f.total, f.node))


def by_menu(counts: dict[str, list[int]]) -> list[MenuAnswers]:
    """{node: [answers, no input, no match]} as figures, the most answered first."""
    menus = [MenuAnswers(node, *values) for node, values in counts.items() if values[0]]
    return sorted(menus, key=lambda m: (-m.answers, m.node))
