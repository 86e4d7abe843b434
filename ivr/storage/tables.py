"""Every table of the line, in one place: the one MetaData that migrations, stores and checks use.

SQLAlchemy Core tables only. A new table goes here, with an Alembic migration that creates it
(ivr/storage/migrations/versions/); tests/test_migrations.py checks that the two agree.
"""
from sqlalchemy import (
                        JSON,
                        Boolean,
                        Column,
                        DateTime,
                        ForeignKey,
                        Index,
                        Integer,
                        MetaData,
                        String,
                        Table,
                        Text,
                        UniqueConstraint,
                        text,
)

metadata = MetaData()

sms_sessions = Table(
    "sms_sessions", metadata,
    Column("phone_hash", String(64), primary_key=True),
    Column("node", String(100), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("misses", Integer, nullable=False, default=0),
    Column("data", JSON, nullable=True),  # a booking in progress: stage, slot, page, name
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

# A call's booking in progress, keyed by a hash of the CallSid: what must not ride in a URL
# (the caller's name) lives here.
call_drafts = Table(
    "call_drafts", metadata,
    Column("call_hash", String(64), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

slots = Table(
    "slots", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("starts_at", DateTime(timezone=True), nullable=False, index=True),
    Column("minutes", Integer, nullable=False, default=30),
    Column("label", String(120), nullable=False, default=""),  # clinic or provider
    Column("removed", Boolean, nullable=False, default=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("starts_at", "label", name="uq_slot_time_label"),
)

bookings = Table(
    "bookings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slot_id", Integer, ForeignKey("slots.id"), nullable=False),
    Column("phone", String(32), nullable=False),  # to text the confirmation; never logged
    Column("phone_hash", String(64), nullable=False, index=True),
    Column("name", String(120), nullable=False),
    Column("channel", String(8), nullable=False),  # voice or sms
    Column("lang", String(8), nullable=False),
    Column("status", String(12), nullable=False),  # booked or cancelled
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("cancelled_at", DateTime(timezone=True), nullable=True),
)
# The database itself guarantees a slot is booked at most once: of any number of callers
# confirming it at the same moment, exactly one insert succeeds.
Index("uq_slot_booked_once", bookings.c.slot_id, unique=True,
      sqlite_where=text("status = 'booked'"), postgresql_where=text("status = 'booked'"))

callbacks = Table(
    "callbacks", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(32), nullable=False),
    Column("phone_hash", String(64), nullable=False),
    Column("name", String(120), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("status", String(12), nullable=False, default="open"),  # open or done
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Every text the line sends: recorded first, then sent, then marked. Nothing is lost on a
# crash or a Twilio outage; an opted-out number is never sent anything.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("to_number", String(32), nullable=False),
    Column("to_hash", String(64), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("kind", String(24), nullable=False),  # booking_confirmation, content, ...
    Column("status", String(12), nullable=False),  # pending, sending, sent, failed, blocked
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", String(200), nullable=True),
    Column("twilio_sid", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)

sms_optouts = Table(
    "sms_optouts", metadata,
    Column("phone_hash", String(64), primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

# Every step of every call and text conversation, for staff reports (no numbers, no words).
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

# How fast each number is texting the line (storage/rate_limit.py).
sms_rate = Table(
    "sms_rate", metadata,
    Column("phone_hash", String(64), primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("hits", Integer, nullable=False),  # texts in the window, this one included
)
