"""Reading the daily figures (daily_figures.py): their sums over a range of clinic days, and day
by day. A few rows a day are read, however many steps were recorded."""
from __future__ import annotations

from datetime import date

from sqlalchemy import and_, func, or_, select
from sqlalchemy.engine import Connection

from .daily_figures import ANSWER, LAST, MARK, TALLY, VISIT
from .tables import daily_figures

Sums = dict[tuple[str, str, str], int]  # (figure, channel, node) -> count
DaySums = dict[tuple[date, str, str, str], int]  # (day, figure, channel, node) -> count

t = daily_figures


def _named(kind: str):
    return or_(t.c.figure == kind, t.c.figure.like(f"{kind}:%"))


def range_sums(conn: Connection, first: date, last: date, scope: int) -> Sums:
    """Every figure for the days `first` to `last` (both included), as the steps of those days
    alone give them."""
    counted = or_(and_(or_(_named(VISIT), _named(TALLY)), t.c.ref_day < first),  # no earlier step in range
                  and_(_named(ANSWER), t.c.ref_day >= first),  # the step answered is in range
                  and_(or_(_named(LAST), _named(MARK)), t.c.ref_day > last))  # no later day in range
    rows = conn.execute(select(t.c.figure, t.c.channel, t.c.node, func.sum(t.c.count))
                        .where(t.c.scope == scope, t.c.day >= first, t.c.day <= last, counted)
                        .group_by(t.c.figure, t.c.channel, t.c.node))
    return {(figure, channel, node): int(total) for figure, channel, node, total in rows if total}


def day_sums(conn: Connection, first: date, last: date, scope: int, figures: tuple[str, ...]) -> DaySums:
    """Conversations and tallies of each day from `first` to `last` on its own: `figures` among
    last, mark:... and tally:... (each counts on its day, whatever the neighbouring days hold)."""
    rows = conn.execute(select(t.c.day, t.c.figure, t.c.channel, t.c.node, func.sum(t.c.count))
                        .where(t.c.scope == scope, t.c.day >= first, t.c.day <= last, t.c.figure.in_(figures))
                        .group_by(t.c.day, t.c.figure, t.c.channel, t.c.node))
    return {(day, figure, channel, node): int(total) for day, figure, channel, node, total in rows if total}


def days_with_figures(conn: Connection, scope: int) -> tuple[date, date] | None:
    """The first and last day the figures of this scope (a flow version) hold anything."""
    first, last = conn.execute(select(func.min(t.c.day), func.max(t.c.day)).where(t.c.scope == scope)).one()
    return (first, last) if first is not None else None
