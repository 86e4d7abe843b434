"""Which steps the report counts as what: answers and misses, the emergency guidance, opt-outs,
transfers and bookings. The one definition: the daily figures are kept by it (storage counts by
these rules without knowing what an event means), and the report from the raw steps applies it
in SQL."""
from __future__ import annotations

from sqlalchemy import and_, false, or_, true

from ..engine.outcomes import EMERGENCY, GREETING_CHANNEL, GREETING_EVENT, GREETING_NODE
from ..storage.figure_rules import Counting, Match, Matches
from ..storage.tables import events

SILENCE, START = "silence", "start"
GREETING: Matches = (Match(channel=GREETING_CHANNEL, node=GREETING_NODE, event=GREETING_EVENT),)
RED_FLAG: Matches = (Match(event=EMERGENCY),)
# A third miss that hands the call to a person counts as silence or as not understood by what
# the caller did.
NO_INPUT: Matches = (Match(event="no_input"), Match(event="too_many_misses", input_kind=SILENCE))
NO_MATCH: Matches = (Match(event="no_match"), Match(event="too_many_misses", input_kind_not=SILENCE))
ANSWER = Match(input_kind_not=START)  # every step but a conversation's start answers the node before
PLAIN_VOICE: Matches = (Match(channel="voice", stage=""),)  # a call at a node, not in a booking's steps
BOOKED: Matches = (Match(event="booked"),)
OPT_OUT: Matches = (Match(event="opt_out"),)


def counting(zone: str) -> Counting:
    """The rules, with the clinic's time zone (an IANA name) whose days are counted."""
    return Counting(
        zone=zone,
        answer=ANSWER,
        answer_kinds={"no_input": NO_INPUT, "no_match": NO_MATCH},
        marks={"greeting": GREETING, "red_flag": RED_FLAG, "emergency": GREETING + RED_FLAG, "opt_out": OPT_OUT},
        tallies={"plain_voice": PLAIN_VOICE, "booked": BOOKED},
    )


def where(matches: Matches, table=events):
    """The same rules in SQL, on a table or subquery with the events' columns."""
    def one(m: Match):
        conditions = [table.c[name] == value for name, value in
                      (("channel", m.channel), ("node", m.node), ("stage", m.stage), ("event", m.event),
                       ("input_kind", m.input_kind)) if value is not None]
        if m.input_kind_not is not None:
            conditions.append(table.c.input_kind != m.input_kind_not)
        return and_(*conditions) if conditions else true()

    return or_(*(one(m) for m in matches)) if matches else false()
