"""What the daily figures count, as plain data: storage counts steps without knowing what an event
means to the clinic. The reports (ivr/reporting/) say which steps are answers, misses, emergency
guidance or bookings; the daily figures are kept by these rules, and recounted from the steps
when the rules or the clinic's time zone change (daily_figures.py)."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class Match:
    """The fields a step must have (None: any). `input_kind_not`: any kind of input but this one."""

    channel: str | None = None
    node: str | None = None
    stage: str | None = None
    event: str | None = None
    input_kind: str | None = None
    input_kind_not: str | None = None

    def matches(self, channel: str, node: str, stage: str, event: str, input_kind: str) -> bool:
        return ((self.channel is None or channel == self.channel) and (self.node is None or node == self.node)
                and (self.stage is None or stage == self.stage) and (self.event is None or event == self.event)
                and (self.input_kind is None or input_kind == self.input_kind)
                and (self.input_kind_not is None or input_kind != self.input_kind_not))


Matches = tuple[Match, ...]  # any of them


@dataclass(frozen=True)
class Counting:
    """The rules, and the clinic time zone whose days the figures are counted in.

    - `answer`: a step that answers the node its conversation was at before it (not, say, the
      start of a call); `answer_kinds` name subsets of those answers (no input, no match);
    - `marks`: conversations with at least one such step are counted once in any range of days
      (heard the emergency guidance, opted out);
    - `tallies`: steps counted at each node (the report picks the nodes: transfers, bookings).
    """

    zone: str
    answer: Match = Match()
    answer_kinds: dict[str, Matches] = field(default_factory=dict)
    marks: dict[str, Matches] = field(default_factory=dict)
    tallies: dict[str, Matches] = field(default_factory=dict)

    def key(self) -> str:
        """The rules as one string: the daily figures remember which rules counted them."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))

    def classify(self, channel: str, node: str, stage: str, event: str, input_kind: str) -> StepClass:
        def named(groups: dict[str, Matches]) -> tuple[str, ...]:
            return tuple(name for name, matches in sorted(groups.items())
                         if any(m.matches(channel, node, stage, event, input_kind) for m in matches))

        return StepClass(self.answer.matches(channel, node, stage, event, input_kind), named(self.answer_kinds),
                         named(self.marks), named(self.tallies))


@dataclass(frozen=True)
class StepClass:
    """What the rules make of one kind of step (the same for every step with these fields)."""

    answer: bool
    answer_kinds: tuple[str, ...]
    marks: tuple[str, ...]
    tallies: tuple[str, ...]
