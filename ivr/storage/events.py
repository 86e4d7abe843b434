"""Every step of every call and text conversation, for staff reports: where people went, what
the line understood, what it did. No phone numbers and no words: numbers are keyed hashes, a
call is a keyed hash of its CallSid, and what a caller said is reduced to its kind."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from . import daily_figures
from .db import Database
from .figure_rules import Counting
from .tables import events
from .times import utc


@dataclass(frozen=True)
class Step:
    """One recorded step. Nothing here may hold a number or a caller's words."""

    channel: str  # voice or sms
    conversation: str  # voice: keyed hash of the CallSid; sms: the phone hash
    phone_hash: str
    node: str  # where the step left the caller ("" before any menu)
    stage: str  # a booking or call-back step there
    input_kind: str  # start, key, speech, text, silence
    event: str  # option, no_match, emergency, person, booked, opt_out ...
    lang: str
    matched: bool  # False where the line did not understand (no_match, no_input, too_many_misses)
    flow_version: int | None = None  # the published flow version that answered it


_INSERT = events.insert()  # built once: every batch is the same statement
_LENGTHS = {c.name: c.type.length for c in events.columns if getattr(c.type, "length", None)}


def _row(step: Step, at: datetime) -> dict:
    values = {name: value[:_LENGTHS[name]] if name in _LENGTHS else value for name, value in vars(step).items()}
    return {"at": utc(at, "a step's time"), **values}  # kept in UTC, whatever zone it came in


def record_many(db: Database, steps: list[tuple[Step, datetime]], counting: Counting | None = None) -> None:
    """Steps and when each happened, in order, in one transaction, with the daily figures they
    add to (daily_figures.py) when `counting` gives the rules; without, the figures are
    recounted before the next report."""
    with db.begin(durable=False) as conn:  # steps: may be lost to a power cut
        if counting is None:
            daily_figures.forget(conn)
        else:
            daily_figures.count_batch(conn, counting, steps)
        conn.execute(_INSERT, [_row(step, at) for step, at in steps])


def record(db: Database, step: Step, at: datetime, counting: Counting | None = None) -> None:
    record_many(db, [(step, at)], counting)
