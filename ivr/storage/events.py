"""Every step of every call and text conversation, for staff reports: where people went, what
the line understood, what it did. No phone numbers and no words: numbers are keyed hashes, a
call is a keyed hash of its CallSid, and what a caller said is reduced to its kind."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, Index, Integer, String, Table

from ..engine.state import LANGUAGE
from .db import Database, metadata

MISSES = ("no_match", "no_input", "too_many_misses")  # steps where the caller was not understood
EMERGENCY = "emergency"  # red-flag words: the caller is sent to the warning signs
# Every call starts with the emergency guidance, said before the language choice.
GREETING_CHANNEL, GREETING_NODE, GREETING_EVENT = "voice", LANGUAGE, "start"

events = Table(
    "events", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),  # the order of steps
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("channel", String(8), nullable=False),  # voice or sms
    Column("conversation", String(64), nullable=False),  # voice: keyed hash of the CallSid; sms: phone hash
    Column("phone_hash", String(64), nullable=False),
    Column("node", String(100), nullable=False),  # where the step left the caller ("" before any menu)
    Column("stage", String(32), nullable=False, default=""),  # a booking or call-back step there
    Column("input_kind", String(8), nullable=False),  # start, key, speech, text, silence
    Column("matched", Boolean, nullable=False),  # False for no_match, no_input, too_many_misses
    Column("event", String(32), nullable=False),  # option, no_match, emergency, person, booked, opt_out ...
    Column("lang", String(8), nullable=False),
)
Index("ix_events_conversation", events.c.conversation, events.c.id)


@dataclass(frozen=True)
class Step:
    """One recorded step. Nothing here may hold a number or a caller's words."""

    channel: str
    conversation: str
    phone_hash: str
    node: str
    stage: str
    input_kind: str
    event: str
    lang: str

    @property
    def matched(self) -> bool:
        return self.event not in MISSES


def guidance_reason(step: Step) -> str | None:
    """Why this step served the emergency guidance ("greeting", "red_flag"), or None."""
    if step.event == EMERGENCY:
        return "red_flag"
    if (step.channel, step.node, step.event) == (GREETING_CHANNEL, GREETING_NODE, GREETING_EVENT):
        return "greeting"
    return None


_INSERT = events.insert()  # built once: every batch is the same statement
_LENGTHS = {c.name: c.type.length for c in events.columns if getattr(c.type, "length", None)}


def _row(step: Step, at: datetime) -> dict:
    values = {name: value[:_LENGTHS[name]] for name, value in vars(step).items()}
    return {"at": at, "matched": step.matched, **values}


def record_many(db: Database, steps: list[tuple[Step, datetime]]) -> None:
    """Steps and when each happened, in order, in one transaction."""
    with db.begin(durable=False) as conn:  # steps: may be lost to a power cut
        conn.execute(_INSERT, [_row(step, at) for step, at in steps])


def record(db: Database, step: Step, at: datetime) -> None:
    record_many(db, [(step, at)])
