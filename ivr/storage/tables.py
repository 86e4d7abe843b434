"""Every table of the line, in one place: the one MetaData that migrations, stores and checks use.

SQLAlchemy Core tables only. A new table goes here, with an Alembic migration that creates it
(ivr/storage/migrations/versions/); tests/test_migrations.py checks that the two agree.
"""
from sqlalchemy import (
                        JSON,
                        BigInteger,
                        Boolean,
                        Column,
                        Date,
                        DateTime,
                        ForeignKey,
                        Index,
                        Integer,
                        LargeBinary,
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
    Column("cancelled_at", DateTime(timezone=True), nullable=True),  # cancelled, or moved: the slot freed
    Column("confirmed_at", DateTime(timezone=True), nullable=True),  # the patient confirmed by replying
    Column("moved_to", Integer, nullable=True),  # status 'moved': the booking it became
    # Whether the patient came, as the front desk marked it (None: not marked). Apart from
    # `status`, which says whether the slot is held.
    Column("attendance", String(12), nullable=True),  # arrived or no_show
    Column("attendance_at", DateTime(timezone=True), nullable=True),
)
Index("ix_bookings_slot_id", bookings.c.slot_id)  # the front desk's day lists: slots by time, then their bookings
Index("ix_bookings_cancelled_at", bookings.c.cancelled_at)  # cancellations in a range of days
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
    Column("done_at", DateTime(timezone=True), nullable=True),
    Column("note", String(500), nullable=True),  # what the desk noted when it was done
)
Index("ix_callbacks_queue", callbacks.c.status, callbacks.c.created_at, callbacks.c.id)  # oldest first

# Every text the line sends: recorded first, then sent, then marked. Nothing is lost on a
# crash or a Twilio outage; an opted-out number is never sent anything.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("to_number", String(32), nullable=False),
    Column("to_hash", String(64), nullable=False, index=True),
    Column("body", Text, nullable=False),
    Column("kind", String(24), nullable=False),  # booking_confirmation, content, ...
    Column("status", String(12), nullable=False),  # pending, sending, sent, failed, blocked, refused
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_error", String(200), nullable=True),
    Column("twilio_sid", String(64), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The call that asked for the text (a keyed hash of its CallSid), for the texts-per-call limit.
    Column("call_hash", String(64), nullable=True, index=True),
    # While 'sending': the worker holding the row and until when; renewed while it sends, and
    # only a row whose lease ran out is queued again (its worker stopped).
    Column("lease_owner", String(40), nullable=True),
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("booking_id", Integer, nullable=True, index=True),  # the booking it is about (confirmation, cancellation)
)
Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)
Index("ix_outbox_status_id", outbox.c.status, outbox.c.id)  # the front desk's list of one status, newest first

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
    Column("flow_version", Integer, nullable=True),  # the published flow version that answered the step
)
Index("ix_events_conversation", events.c.conversation, events.c.id)

# How fast each number is texting the line (storage/rate_limit.py).
sms_rate = Table(
    "sms_rate", metadata,
    Column("phone_hash", String(64), primary_key=True),
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("hits", Integer, nullable=False),  # texts in the window, this one included
)

# ---- the staff console (ivr/console/) -------------------------------------------------------------

# Staff who sign in to the console. `session_token` changes on a password change, a role change
# or a disable, which ends every session signed in with the old one.
staff = Table(
    "staff", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False, unique=True),  # stored lower-case
    Column("password_hash", String(255), nullable=False),  # argon2id, never the password
    Column("role", String(16), nullable=False),  # admin, editor, desk, viewer
    Column("disabled", Boolean, nullable=False, default=False),
    Column("session_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=False),
)

# Failed sign-ins counted per account and per address, in a window, so the throttle holds
# across workers and servers.
signin_failures = Table(
    "signin_failures", metadata,
    Column("key", String(80), primary_key=True),  # "account:<hash>" or "address:<hash>"
    Column("window_start", DateTime(timezone=True), nullable=False),
    Column("failures", Integer, nullable=False),
)

# Every change made in the console or by `ivr staff`: who, when, what, from where. Never a
# caller's number or words.
audit_log = Table(
    "audit_log", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("actor", String(254), nullable=False),  # a staff email, or "cli"
    Column("action", String(48), nullable=False),  # staff.add, flows.publish, ...
    Column("target", String(254), nullable=False, default=""),  # what it was done to
    Column("detail", JSON, nullable=True),
    Column("address", String(64), nullable=False, default=""),  # the client's address ("" from the CLI)
)

# Flow versions (storage/flow_versions.py, ivr/versions/): every published set of flow files,
# kept for good. The live version is the highest number; rollback publishes an old one's files
# again under a new number, so history is never rewritten.
flow_versions = Table(
    "flow_versions", metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),  # given under flow_lock: 1, 2, 3 ...
    Column("content_hash", String(64), nullable=False, index=True),  # sha256 of the files' names and bytes
    Column("published_at", DateTime(timezone=True), nullable=False),
    Column("published_by", String(120), nullable=False),  # a staff account, `cli` or `files`
    Column("note", Text, nullable=False),
    Column("based_on", Integer, nullable=True),  # the version it was made from (None: the first)
    Column("draft_id", Integer, nullable=True),  # the draft it was published from
    Column("warnings", Integer, nullable=False),  # published versions have no errors
    Column("problems", JSON, nullable=False),  # the validation result: [{file, line, severity, message, hint}]
    Column("changes", JSON, nullable=False),  # what changed from the version live before: nodes, languages
)

flow_version_files = Table(
    "flow_version_files", metadata,
    Column("number", Integer, ForeignKey("flow_versions.number"), primary_key=True),
    Column("name", String(120), primary_key=True),  # e.g. main.yaml
    Column("content", LargeBinary, nullable=False),  # byte for byte as published
)

# Drafts: a set of flow files being changed, saved (errors and all) at every edit; published as a
# whole into a new version.
flow_drafts = Table(
    "flow_drafts", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("based_on", Integer, nullable=False),  # the version it started from, or was brought up to date with
    Column("state", String(12), nullable=False),  # draft, published or discarded
    Column("revision", Integer, nullable=False),  # one more at every save: a save from an older one is refused
    Column("made_at", DateTime(timezone=True), nullable=False),
    Column("made_by", String(120), nullable=False),
    Column("saved_at", DateTime(timezone=True), nullable=False),
    Column("saved_by", String(120), nullable=False),
    Column("note", Text, nullable=False),
    Column("errors", Integer, nullable=False),
    Column("warnings", Integer, nullable=False),
    Column("problems", JSON, nullable=False),  # as flow_versions.problems, from the last save
    Column("conflicts", JSON, nullable=False),  # fields changed both here and in a version published meanwhile
    Column("published_as", Integer, nullable=True),  # the version it became
)

flow_draft_files = Table(
    "flow_draft_files", metadata,
    Column("draft_id", Integer, ForeignKey("flow_drafts.id"), primary_key=True),
    Column("name", String(120), primary_key=True),
    Column("content", LargeBinary, nullable=False),
)

# One row whose lock every publish takes first: publishes run one after the other on SQLite and
# PostgreSQL alike, each seeing the one before it as live.
flow_lock = Table(
    "flow_lock", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("publishes", Integer, nullable=False),
)

# ---- reminders and the waitlist (ivr/reminders/) -------------------------------------------------

# One row per (booking, kind): sending a reminder twice is a unique key away from impossible.
# due -> claimed (leased to one worker) -> sent -> confirmed; or skipped, with the reason.
reminders = Table(
    "reminders", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("booking_id", Integer, ForeignKey("bookings.id"), nullable=False),
    Column("kind", String(8), nullable=False),  # "72h", "24h": how long before the appointment
    Column("phone_hash", String(64), nullable=False, index=True),  # the booking's number: caps, replies
    Column("status", String(12), nullable=False),  # due, claimed, sent, confirmed, skipped
    Column("due_at", DateTime(timezone=True), nullable=False),  # moved out of quiet hours, or deferred
    Column("reason", String(80), nullable=True),  # why it was skipped or deferred
    Column("lease_owner", String(40), nullable=True),  # while claimed: the worker, and until when
    Column("lease_until", DateTime(timezone=True), nullable=True),
    Column("outbox_id", Integer, nullable=True),  # the text it became
    Column("sent_at", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("booking_id", "kind", name="uq_reminder_once"),
)
Index("ix_reminders_due", reminders.c.status, reminders.c.due_at)

# People waiting for a time to free up, optionally between two moments (a range of clinic days).
waitlist = Table(
    "waitlist", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("phone", String(32), nullable=False),  # where offers are texted; never logged
    Column("phone_hash", String(64), nullable=False, index=True),
    Column("name", String(120), nullable=False),  # the booking's name if they take an offer
    Column("lang", String(8), nullable=False),
    Column("channel", String(8), nullable=False),  # voice or sms: how they joined
    Column("earliest", DateTime(timezone=True), nullable=True),  # None: from now
    Column("latest", DateTime(timezone=True), nullable=True),  # None: any time
    Column("status", String(12), nullable=False),  # waiting, booked, left, lapsed
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),  # when waiting lapses
    Column("updated_at", DateTime(timezone=True), nullable=False),
)
# One waiting entry a number: joining again changes it.
Index("uq_waiting_once", waitlist.c.phone_hash, unique=True,
      sqlite_where=text("status = 'waiting'"), postgresql_where=text("status = 'waiting'"))

# A freed time offered to one waiting person, until it expires.
waitlist_offers = Table(
    "waitlist_offers", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entry_id", Integer, ForeignKey("waitlist.id"), nullable=False),
    Column("slot_id", Integer, ForeignKey("slots.id"), nullable=False),
    Column("phone_hash", String(64), nullable=False, index=True),
    Column("status", String(12), nullable=False),  # open, taken, expired, declined, gone
    Column("offered_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("outbox_id", Integer, nullable=True),
    Column("booking_id", Integer, nullable=True),  # taken: the booking it became
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("entry_id", "slot_id", name="uq_offer_once"),  # never the same time twice to one person
)
# One person at a time: a slot has at most one open offer, a person at most one.
Index("uq_offer_open_slot", waitlist_offers.c.slot_id, unique=True,
      sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"))
Index("uq_offer_open_entry", waitlist_offers.c.entry_id, unique=True,
      sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'"))

# The pace of texts to Twilio, shared by every sender of every server (storage/send_pace.py):
# one row, the moment the next text may go (microseconds since the epoch).
send_pace = Table(
    "send_pace", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("next_us", BigInteger, nullable=False),
)

# ---- the figures (storage/daily_figures.py) ------------------------------------------------------

# The report's counts for each clinic day, kept up to date as steps are written: a report reads
# these, never the steps. `ref_day` is the day of the neighbouring step a count depends on.
daily_figures = Table(
    "daily_figures", metadata,
    Column("scope", Integer, primary_key=True, autoincrement=False),  # 0: every flow version; else one version
    Column("day", Date, primary_key=True),  # the clinic's day (CLINIC_TIMEZONE)
    Column("figure", String(40), primary_key=True),  # visit, answer, answer:no_match, last, mark:..., tally:...
    Column("channel", String(8), primary_key=True),
    Column("node", String(100), primary_key=True),
    Column("ref_day", Date, primary_key=True),
    Column("count", Integer, nullable=False),
)

# Each conversation's last step counted, in each scope: where the next step's pairs begin.
figure_tails = Table(
    "figure_tails", metadata,
    Column("conversation", String(64), primary_key=True),
    Column("channel", String(8), primary_key=True),
    Column("scope", Integer, primary_key=True, autoincrement=False),
    Column("at", DateTime(timezone=True), nullable=False, index=True),
    Column("day", Date, nullable=False),
    Column("node", String(100), nullable=False),
    Column("marks", JSON, nullable=False),  # each mark's last marked day
)

# One row: the rules and time zone the daily figures were counted by ("" when they must be
# counted again), and the lock every batch of steps takes.
figures_state = Table(
    "figures_state", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("counting", Text, nullable=False),
    Column("batches", BigInteger, nullable=False),
)
