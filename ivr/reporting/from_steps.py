"""The report computed from the raw steps, in SQL (SQLite and PostgreSQL alike): the definition
of every figure, and what the daily figures (daily.py) are checked against. It reads every step
in the range, so reports for whole clinic days come from the daily figures instead; this one
answers any other range.

Each conversation's steps are taken in the order they happened (`at`, then `id`: a step written
late by another worker counts where it happened), and only within the range: a step's answer was
given at the node of the conversation's step before it in the range.
"""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone

from sqlalchemy import and_, case, func, or_, select, true

from ..storage.db import Database
from ..storage.tables import events
from . import rules
from .figures import Report, by_menu, by_node
from .not_sent import texts_not_sent

CONVERSATION = (events.c.channel, events.c.conversation)
ORDER = (events.c.at, events.c.id)


def report_from_steps(db: Database, since: datetime, until: datetime, transfer_nodes: Iterable[str] = (),
                      version: int | None = None) -> Report:
    """The figures for steps at or after `since` and before `until` (aware datetimes), of one
    flow version only if given. `transfer_nodes`: the flow's nodes that put a call through."""
    since, until = since.astimezone(timezone.utc), until.astimezone(timezone.utc)
    in_range = and_(events.c.at >= since, events.c.at < until,
                    events.c.flow_version == version if version is not None else true())
    steps = _ordered(in_range)
    with db.begin() as conn:
        def count(where):
            return conn.execute(select(func.count()).select_from(events).where(in_range, where)).scalar_one()

        def conversations(where):
            found = select(*CONVERSATION).where(in_range, where).distinct().subquery()
            return conn.execute(select(func.count()).select_from(found)).scalar_one()

        return Report(
            since=since, until=until,
            calls=conversations(events.c.channel == "voice"),
            texters=conversations(events.c.channel == "sms"),
            visits=_by_node(conn, steps, or_(steps.c.prev_node.is_(None), steps.c.prev_node != steps.c.node)),
            menus=_menus(conn, steps),
            heard_emergency=conversations(rules.where(rules.GREETING + rules.RED_FLAG)),
            greeting_calls=conversations(rules.where(rules.GREETING)),
            red_flag=conversations(rules.where(rules.RED_FLAG)),
            transfers=count(and_(rules.where(rules.PLAIN_VOICE), events.c.node.in_(list(transfer_nodes)))),
            bookings=count(rules.where(rules.BOOKED)),
            opt_outs=conversations(rules.where(rules.OPT_OUT)),
            ended=_by_node(conn, steps, steps.c.from_last == 1),
            texts_not_sent=texts_not_sent(conn, since, until),
            version=version,
        )


def _ordered(in_range):
    """The steps in range, each with the node its conversation was at before it (NULL for the
    first step in range) and its place counted from the conversation's last step (1: the last)."""
    prev_node = func.lag(events.c.node).over(partition_by=CONVERSATION, order_by=ORDER)
    from_last = func.row_number().over(partition_by=CONVERSATION, order_by=(events.c.at.desc(), events.c.id.desc()))
    return select(events, prev_node.label("prev_node"), from_last.label("from_last")).where(in_range).subquery("steps")


def _by_node(conn, steps, where):
    counts: dict[str, dict[str, int]] = {}
    for node, channel, n in conn.execute(select(steps.c.node, steps.c.channel, func.count())
                                         .where(where).group_by(steps.c.node, steps.c.channel)):
        counts.setdefault(node, {})[channel] = n
    return by_node(counts)


def _menus(conn, steps):
    """Each answer counts at the node it was given at."""
    rows = conn.execute(
        select(steps.c.prev_node, func.count(), func.sum(case((rules.where(rules.NO_INPUT, steps), 1), else_=0)),
               func.sum(case((rules.where(rules.NO_MATCH, steps), 1), else_=0)))
        .where(steps.c.prev_node.is_not(None), rules.where((rules.ANSWER,), steps))
        .group_by(steps.c.prev_node))
    return by_menu({node: [answers, int(silences or 0), int(misses or 0)] for node, answers, silences, misses in rows})
