"""What the webhooks, the CLI and the background workers share: the flow being served, the
database and its stores, built once per app from its settings (`build`), and reached in a
request through `services()`."""
from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app

from ..flow import Flow
from ..flow.source import FlowSource
from ..storage.bookings import BookingStore
from ..storage.call_drafts import CallDrafts
from ..storage.callbacks import CallbackStore
from ..storage.db import Database
from ..storage.event_writer import EventWriter
from ..storage.optout_spool import OptOutSpool
from ..storage.outbox import Outbox
from ..storage.rate_limit import RateLimiter
from ..storage.slots import SlotStore
from ..storage.sms_store import SmsStore
from ..storage.times import utcnow

EXTENSION = "ivr"  # app.extensions[EXTENSION] holds the app's Services


@dataclass
class Services:
    flows: FlowSource
    db: Database
    sms: SmsStore  # where each texter is, and who opted out
    outbox: Outbox  # every text the line sends goes through it
    slots: SlotStore  # the times the clinic offers
    bookings: BookingStore  # appointments in those times
    callbacks: CallbackStore  # requests for a person to call back
    drafts: CallDrafts  # a call's booking in progress (the caller's name)
    limiter: RateLimiter  # slows one number flooding the SMS line
    events: EventWriter  # every step, into the events table in batches


def build(config: dict, instance_path: str) -> Services:
    """Every store on one database, from the app's settings. Loads the flow (FlowError when it
    cannot be served); does not touch the schema (storage.migrate does). MONOTONIC_CLOCK: a
    test's stand-in for time.monotonic, which paces how often the flow files are looked at."""
    db = Database(config["DATABASE_URL"], config["DATABASE_BUSY_TIMEOUT_MS"])
    spool = OptOutSpool(config.get("OPTOUT_SPOOL") or Path(instance_path) / "pending-optouts.jsonl")
    sms = SmsStore(db, config["SMS_SESSION_MINUTES"], spool)
    secret = config["SECRET_KEY"]
    return Services(
        flows=FlowSource(config["FLOWS_DIR"], clock=config.get("MONOTONIC_CLOCK", time.monotonic)),
        db=db,
        sms=sms,
        outbox=Outbox(db, sms, secret),
        slots=SlotStore(db),
        bookings=BookingStore(db, secret),
        callbacks=CallbackStore(db, secret),
        drafts=CallDrafts(db),
        limiter=RateLimiter(db, config["SMS_RATE_LIMIT"], config["SMS_RATE_WINDOW"]),
        events=EventWriter(db, config["EVENTS_FLUSH_SECONDS"]),
    )


def services() -> Services:
    return current_app.extensions[EXTENSION]


def current_time() -> datetime:
    """The time, from the app's CLOCK when a test sets one."""
    return current_app.config.get("CLOCK", utcnow)()


def current_flow() -> Flow:
    return services().flows.flow
