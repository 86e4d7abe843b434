"""What happened on the line between two moments, from the events table: calls and texts, where
people went, where the line failed to understand them, emergency guidance, transfers, bookings,
opt-outs and where conversations ended; and from the outbox, the texts the line did not send
(opted out, a country not allowed, over a limit). SQLAlchemy Core only (SQLite and PostgreSQL
alike)."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy import and_, case, distinct, func, or_, select

from .engine.outcomes import EMERGENCY, GREETING_CHANNEL, GREETING_EVENT, GREETING_NODE
from .storage.db import Database
from .storage.tables import events, outbox
from .storage.text_rules import REASONS

OPTED_OUT = "opted out"
NOT_SENT = (OPTED_OUT, *REASONS)  # why a text was not sent, as the report lists them

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

    @property
    def conversations(self) -> int:
        return self.calls + self.texters


def build_report(db: Database, since: datetime, until: datetime, transfer_nodes: Iterable[str] = ()) -> Report:
    """The figures for events at or after `since` and before `until` (aware datetimes).
    `transfer_nodes`: the flow's nodes that put a call through to a person."""
    since, until = since.astimezone(timezone.utc), until.astimezone(timezone.utc)
    in_range = and_(events.c.at >= since, events.c.at < until)
    with db.begin() as conn:
        def scalar(*columns, where=True):
            return conn.execute(select(*columns).where(in_range, where)).scalar_one() or 0

        def conversations(where):
            return scalar(func.count(distinct(events.c.conversation)), where=where)

        steps = _ordered(in_range)
        return Report(
            since=since, until=until,
            calls=conversations(events.c.channel == "voice"),
            texters=conversations(events.c.channel == "sms"),
            visits=_by_node(conn, steps, or_(steps.c.prev_node.is_(None), steps.c.prev_node != steps.c.node)),
            menus=_menus(conn, steps),
            heard_emergency=conversations(or_(_red_flag(), _greeting())),
            greeting_calls=conversations(_greeting()),
            red_flag=conversations(_red_flag()),
            transfers=scalar(func.count(), where=and_(events.c.channel == "voice", events.c.stage == "",
                                                      events.c.node.in_(list(transfer_nodes)))),
            bookings=scalar(func.count(), where=events.c.event == "booked"),
            opt_outs=conversations(events.c.event == "opt_out"),
            ended=_by_node(conn, steps, steps.c.id.in_(
                select(func.max(events.c.id)).where(in_range).group_by(events.c.channel, events.c.conversation))),
            texts_not_sent=_not_sent(conn, since, until),
        )


def _not_sent(conn, since: datetime, until: datetime) -> dict[str, int]:
    """Texts written in the range that were never sent: blocked (opted out) or refused (why)."""
    rows = conn.execute(select(outbox.c.last_error, func.count())
                        .where(outbox.c.created_at >= since, outbox.c.created_at < until,
                               outbox.c.status.in_(("blocked", "refused")))
                        .group_by(outbox.c.last_error)).all()
    counts = dict.fromkeys(NOT_SENT, 0)
    for reason, count in rows:
        if reason in counts:
            counts[reason] += count
    return counts


def _greeting():
    return and_(events.c.channel == GREETING_CHANNEL, events.c.node == GREETING_NODE,
                events.c.event == GREETING_EVENT)


def _red_flag():
    return events.c.event == EMERGENCY


def _ordered(in_range):
    """The steps in range, each with the node its conversation was at before it (NULL for the
    first step seen): a step's answer was given there."""
    conversation = (events.c.channel, events.c.conversation)
    prev_node = func.lag(events.c.node).over(partition_by=conversation, order_by=events.c.id)
    return select(events, prev_node.label("prev_node")).where(in_range).subquery("steps")


def _by_node(conn, steps, where) -> list[NodeFigures]:
    rows = conn.execute(select(steps.c.node, steps.c.channel, func.count())
                        .where(where).group_by(steps.c.node, steps.c.channel)).all()
    counts: dict[str, dict[str, int]] = {}
    for node, channel, count in rows:
        counts.setdefault(node, dict.fromkeys(CHANNELS, 0))[channel] = count
    figures = [NodeFigures(node, c.get("voice", 0), c.get("sms", 0)) for node, c in counts.items()]
    return sorted(figures, key=lambda f: (-f.total, f.node))


def _menus(conn, steps) -> list[MenuAnswers]:
    """Each answer counts at the node it was given at. A third miss that hands the call to a
    person counts as silence or as not understood by what the caller did."""
    silent = steps.c.input_kind == "silence"
    last_miss = steps.c.event == "too_many_misses"
    no_input = or_(steps.c.event == "no_input", and_(last_miss, silent))
    no_match = or_(steps.c.event == "no_match", and_(last_miss, ~silent))
    rows = conn.execute(
        select(steps.c.prev_node, func.count(), func.sum(case((no_input, 1), else_=0)),
               func.sum(case((no_match, 1), else_=0)))
        .where(steps.c.prev_node.is_not(None), steps.c.input_kind != "start")
        .group_by(steps.c.prev_node)).all()
    menus = [MenuAnswers(node, answers, int(silences or 0), int(misses or 0))
             for node, answers, silences, misses in rows]
    return sorted(menus, key=lambda m: (-m.answers, m.node))
