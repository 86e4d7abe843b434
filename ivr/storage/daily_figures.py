"""The report's counts for each clinic day, kept up to date in the transaction that writes each
batch of steps (events.record_many): a report on any range of days then reads a few rows a day,
never the steps themselves.

Why the counts stay exact. A report takes each conversation's steps in the order they happened
(`at`, then `id`), within the days asked for, and everything it counts depends on a step and its
neighbour in that order:

- a visit (the step left the conversation at another node than the step before, or is its first
  in the range) is counted on the step's day; one that stayed at the node of the step before is
  counted only in ranges that begin after that step's day (`ref_day` < the first day);
- an answer at the node of the step before, only when that step is in the range too (`ref_day` >=
  the first day);
- a conversation's last step of a day, at its node, counts the conversation once, in ranges that
  end before its next day with a step (`ref_day` > the last day): calls, text conversations, where
  they ended. A mark (a conversation that heard the emergency guidance...) is counted the same way
  over the steps it marks;
- a tally (a step at a node: transfers, bookings) on the step's day, always.

So every count is a sum over pairs of neighbouring steps, each row holding the day it belongs to
and the neighbour's day it is checked against. A new step normally comes after its conversation's
last one, kept in `figure_tails`: one new pair. A step arriving late (after a later step of its
conversation was written: another worker's batch, a retry after an outage) falls between two: that
conversation's pairs are counted again from its steps, the old taken away and the new added.

Each conversation is counted once over all flow versions (scope 0) and once within each version
it met (scope = the version), for comparing two versions. The rules (figure_rules.Counting) and
the clinic's time zone are remembered in `figures_state`: steps written while they differ from
what a report asks are not counted, and the report recounts everything first (`recount`).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Iterable, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select, update
from sqlalchemy.engine import Connection

from .figure_rules import Counting, StepClass
from .tables import daily_figures, events, figure_tails, figures_state
from .times import as_utc

ALL_VERSIONS = 0  # the scope of every step, whatever flow version answered it
FAR_PAST, FAR_FUTURE = date(1, 1, 1), date(9999, 12, 31)  # no step before, no step after
VISIT, ANSWER, LAST, MARK, TALLY = "visit", "answer", "last", "mark", "tally"
STATE_ID = 1
_CHUNK = 500  # conversations looked up in one statement


class Link(NamedTuple):
    """A step as its conversation's chain sees it. `order` sorts a conversation's steps as they
    happened: (at, 0, id) for a step already written, (at, 1, position) for one in this batch
    (its id will be higher than any written)."""

    order: tuple
    at: datetime
    day: date
    node: str
    version: int | None
    cls: StepClass | None  # None: a chain's last step stood in for by its tail (only its day and node count)


Key = tuple[date, int, str, str, str, date]  # day, scope, figure, channel, node, ref_day


class Counts:
    """Changes to the daily rows, added up before they are written."""

    def __init__(self):
        self.rows: dict[Key, int] = defaultdict(int)

    def add(self, key: Key, by: int) -> None:
        self.rows[key] += by

    def changed(self) -> list[dict]:
        return [{"day": k[0], "scope": k[1], "figure": k[2], "channel": k[3], "node": k[4], "ref_day": k[5],
                 "count": n} for k, n in self.rows.items() if n]


def count_chain(counts: Counts, scope: int, channel: str, first: Link | None, links: Iterable[Link],
                sign: int = 1) -> Link | None:
    """Count (sign 1) or take away (-1) the pairs of a chain: `first` (the step before, itself
    counted already, or None) then `links`. Returns the last link."""
    add = counts.add
    prev = first
    for link in links:
        day, node, cls = link.day, link.node, link.cls
        if prev is None or prev.node != node:
            add((day, scope, VISIT, channel, node, FAR_PAST), sign)
        else:
            add((day, scope, VISIT, channel, node, prev.day), sign)
        if prev is not None and cls.answer:
            add((day, scope, ANSWER, channel, prev.node, prev.day), sign)
            for kind in cls.answer_kinds:
                add((day, scope, f"{ANSWER}:{kind}", channel, prev.node, prev.day), sign)
        for tally in cls.tallies:
            add((day, scope, f"{TALLY}:{tally}", channel, node, FAR_PAST), sign)
        if prev is not None and prev.day != day:
            add((prev.day, scope, LAST, channel, prev.node, day), sign)
        prev = link
    if prev is not None:
        add((prev.day, scope, LAST, channel, prev.node, FAR_FUTURE), sign)
    return prev


def count_mark(counts: Counts, scope: int, channel: str, mark: str, first_day: date | None,
               days: Iterable[date], sign: int = 1) -> date | None:
    """A mark's chain: the days of the steps it marks, in order, after `first_day` (the last
    marked step before, or None). A conversation counts once on the last marked day of a range."""
    figure, prev = f"{MARK}:{mark}", first_day
    for day in days:
        if prev is not None and prev != day:
            counts.add((prev, scope, figure, channel, "", day), sign)
        prev = day
    if prev is not None:
        counts.add((prev, scope, figure, channel, "", FAR_FUTURE), sign)
    return prev


class Tail(NamedTuple):
    at: datetime
    day: date
    node: str
    marks: dict[str, date]  # each mark's last marked day


def _in_scope(scope: int, link: Link) -> bool:
    return scope == ALL_VERSIONS or link.version == scope


def _scopes(links: Iterable[Link]) -> list[int]:
    return [ALL_VERSIONS, *sorted({link.version for link in links if link.version is not None})]


class Chains:
    """One conversation (a channel and its conversation key) in every scope: its pairs counted,
    its tails kept."""

    def __init__(self, counting: Counting, counts: Counts, channel: str):
        self.counting, self.counts, self.channel = counting, counts, channel
        self.marks = sorted(counting.marks)

    def extend(self, scope: int, tail: Tail | None, new: list[Link]) -> Tail:
        """New steps after the chain's tail (or a chain's first steps)."""
        first = None if tail is None else Link((tail.at, 0, 0), tail.at, tail.day, tail.node, scope, None)
        if tail is not None:
            count_chain(self.counts, scope, self.channel, first, [], sign=-1)  # the tail's old "last"
        last = count_chain(self.counts, scope, self.channel, first, new)
        marks = dict(tail.marks) if tail is not None else {}
        for mark in self.marks:
            days = [link.day for link in new if mark in link.cls.marks]
            if not days:
                continue
            before = marks.get(mark)
            if before is not None:
                count_mark(self.counts, scope, self.channel, mark, before, [], sign=-1)
            marks[mark] = count_mark(self.counts, scope, self.channel, mark, before, days)
        return Tail(last.at, last.day, last.node, marks)

    def recount(self, scope: int, written: list[Link], new: list[Link]) -> Tail:
        """New steps among those written (some of them later): the chain's pairs from the step
        before the first new one counted again, the old taken away."""
        start = new[0].order
        before = [link for link in written if link.order < start]
        after = [link for link in written if link.order > start]
        merged = sorted(after + new, key=lambda link: link.order)
        first = before[-1] if before else None
        count_chain(self.counts, scope, self.channel, first, after, sign=-1)
        last = count_chain(self.counts, scope, self.channel, first, merged)
        marks = {}
        for mark in self.marks:
            old = [link.day for link in written if mark in link.cls.marks]
            marked_new = [link for link in new if mark in link.cls.marks]
            if not marked_new:
                if old:
                    marks[mark] = old[-1]
                continue
            split = marked_new[0].order
            prior = [link.day for link in written if link.order < split and mark in link.cls.marks]
            later = [link for link in written if link.order > split and mark in link.cls.marks]
            prior_day = prior[-1] if prior else None
            count_mark(self.counts, scope, self.channel, mark, prior_day, [link.day for link in later], sign=-1)
            days = [link.day for link in sorted(later + marked_new, key=lambda link: link.order)]
            marks[mark] = count_mark(self.counts, scope, self.channel, mark, prior_day, days)
        return Tail(last.at, last.day, last.node, marks)


class Classifier:
    """A step's day in the clinic's zone and what the rules make of it (worked out once for
    each kind of step: there are few)."""

    def __init__(self, counting: Counting):
        self.counting, self.zone = counting, ZoneInfo(counting.zone)
        self._classes: dict[tuple, StepClass] = {}

    def link(self, order: tuple, at: datetime, channel: str, node: str, stage: str, event: str, input_kind: str,
             version: int | None) -> Link:
        fields = (channel, node, stage, event, input_kind)
        cls = self._classes.get(fields)
        if cls is None:
            cls = self._classes[fields] = self.counting.classify(*fields)
        at = as_utc(at)
        return Link(order, at, at.astimezone(self.zone).date(), node, version, cls)


# ---- keeping them up to date ----------------------------------------------------------------------

def lock(conn: Connection) -> str:
    """Take the daily figures' lock for this transaction (batches are counted one at a time, on
    every server) and return the rules they were counted by ("" for none yet)."""
    conn.execute(update(figures_state).where(figures_state.c.id == STATE_ID)
                 .values(batches=figures_state.c.batches + 1))
    return conn.execute(select(figures_state.c.counting).where(figures_state.c.id == STATE_ID)).scalar_one()


def counted_by(conn: Connection) -> str:
    """The rules the daily figures were counted by, without taking the lock."""
    return conn.execute(select(figures_state.c.counting).where(figures_state.c.id == STATE_ID)).scalar_one()


def forget(conn: Connection) -> None:
    """Steps were written without counting them: the figures must be recounted before use."""
    conn.execute(update(figures_state).where(figures_state.c.id == STATE_ID).values(counting=""))


def count_batch(conn: Connection, counting: Counting, steps: list) -> None:
    """Count a batch of steps (Step, at) about to be written, in the caller's transaction (which
    holds the lock). If the figures were counted by other rules they are left for a recount,
    unless nothing was ever written (then these rules are simply adopted)."""
    if lock(conn) != counting.key():
        if conn.execute(select(events.c.id).limit(1)).first() is not None:
            return  # stale: the next report recounts
        _set_counting(conn, counting)
    classifier, counts = Classifier(counting), Counts()
    new: dict[tuple[str, str], list[Link]] = defaultdict(list)
    for position, (step, at) in enumerate(steps):
        new[(step.channel, step.conversation)].append(classifier.link(
            (as_utc(at), 1, position), at, step.channel, step.node, step.stage, step.event, step.input_kind,
            step.flow_version))
    tails = _read_tails(conn, {conversation for _, conversation in new})
    changed: dict[tuple[str, str, int], Tail] = {}
    for (channel, conversation), links in new.items():
        links.sort(key=lambda link: link.order)
        chains, written = Chains(counting, counts, channel), None
        for scope in _scopes(links):
            scoped = [link for link in links if _in_scope(scope, link)]
            tail = tails.get((conversation, channel, scope))
            if tail is None or scoped[0].at >= tail.at:
                changed[(conversation, channel, scope)] = chains.extend(scope, tail, scoped)
                continue
            if written is None:  # a late step: this conversation's steps, read once
                written = _written(conn, classifier, channel, conversation)
            changed[(conversation, channel, scope)] = chains.recount(
                scope, [link for link in written if _in_scope(scope, link)], scoped)
    _write(conn, counts, changed)


def _written(conn: Connection, classifier: Classifier, channel: str, conversation: str) -> list[Link]:
    rows = conn.execute(select(events.c.id, events.c.at, events.c.node, events.c.stage, events.c.event,
                               events.c.input_kind, events.c.flow_version)
                        .where(events.c.conversation == conversation, events.c.channel == channel))
    links = [classifier.link((as_utc(r.at), 0, r.id), r.at, channel, r.node, r.stage, r.event, r.input_kind,
                             r.flow_version) for r in rows]
    return sorted(links, key=lambda link: link.order)


def _read_tails(conn: Connection, conversations: set[str]) -> dict[tuple[str, str, int], Tail]:
    found = {}
    wanted = sorted(conversations)
    for start in range(0, len(wanted), _CHUNK):
        rows = conn.execute(select(figure_tails).where(figure_tails.c.conversation.in_(wanted[start:start + _CHUNK])))
        for r in rows:
            marks = {name: date.fromisoformat(day) for name, day in (r.marks or {}).items()}
            found[(r.conversation, r.channel, r.scope)] = Tail(as_utc(r.at), r.day, r.node, marks)
    return found


_UPSERTS: dict[str, tuple] = {}


def _upserts(conn: Connection) -> tuple:
    """This dialect's INSERT ... ON CONFLICT for the daily rows (adding) and the tails (replacing)."""
    name = conn.dialect.name
    if name not in _UPSERTS:
        if name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        rows = insert(daily_figures)
        rows = rows.on_conflict_do_update(index_elements=[c.name for c in daily_figures.primary_key.columns],
                                          set_={"count": daily_figures.c.count + rows.excluded["count"]})
        tails = insert(figure_tails)
        tails = tails.on_conflict_do_update(
            index_elements=[c.name for c in figure_tails.primary_key.columns],
            set_={name: tails.excluded[name] for name in ("at", "day", "node", "marks")})
        _UPSERTS[name] = (rows, tails)
    return _UPSERTS[name]


def _write(conn: Connection, counts: Counts, tails: dict[tuple[str, str, int], Tail]) -> None:
    add_rows, put_tails = _upserts(conn)
    changed = counts.changed()
    if changed:
        conn.execute(add_rows, changed)
    if tails:
        conn.execute(put_tails, [_tail_row(key, tail) for key, tail in tails.items()])


def _tail_row(key: tuple[str, str, int], tail: Tail) -> dict:
    conversation, channel, scope = key
    return {"conversation": conversation, "channel": channel, "scope": scope, "at": tail.at, "day": tail.day,
            "node": tail.node, "marks": {name: day.isoformat() for name, day in sorted(tail.marks.items())}}


def _set_counting(conn: Connection, counting: Counting) -> None:
    conn.execute(update(figures_state).where(figures_state.c.id == STATE_ID).values(counting=counting.key()))


# ---- counting everything again ---------------------------------------------------------------------

def recount(conn: Connection, counting: Counting) -> int:
    """Count every step again by these rules, in the caller's transaction (it takes the lock:
    no batch is counted meanwhile). Returns how many steps were counted."""
    lock(conn)
    conn.execute(delete(daily_figures))
    conn.execute(delete(figure_tails))
    classifier, counts, tails, steps = Classifier(counting), Counts(), {}, 0
    query = (select(events.c.id, events.c.at, events.c.channel, events.c.conversation, events.c.node,
                    events.c.stage, events.c.event, events.c.input_kind, events.c.flow_version)
             .order_by(events.c.conversation, events.c.channel, events.c.at, events.c.id))
    current, links = None, []
    for r in conn.execute(query, execution_options={"yield_per": 20_000}):
        if (r.conversation, r.channel) != current:
            _count_whole(counting, counts, tails, current, links)
            current, links = (r.conversation, r.channel), []
        links.append(classifier.link((as_utc(r.at), 0, r.id), r.at, r.channel, r.node, r.stage, r.event,
                                     r.input_kind, r.flow_version))
        steps += 1
    _count_whole(counting, counts, tails, current, links)
    for rows in _chunks(counts.changed()):
        conn.execute(daily_figures.insert(), rows)
    for rows in _chunks([_tail_row(key, tail) for key, tail in tails.items()]):
        conn.execute(figure_tails.insert(), rows)
    _set_counting(conn, counting)
    return steps


def _count_whole(counting: Counting, counts: Counts, tails: dict, current, links: list[Link]) -> None:
    if current is None:
        return
    conversation, channel = current
    chains = Chains(counting, counts, channel)
    for scope in _scopes(links):
        tails[(conversation, channel, scope)] = chains.extend(
            scope, None, [link for link in links if _in_scope(scope, link)])


def _chunks(rows: list[dict], size: int = 10_000):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]
