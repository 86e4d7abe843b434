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
from ..flow.source import LOOK_WAIT, FlowSource
from ..reporting.rules import counting
from ..storage.bookings import BookingStore
from ..storage.call_drafts import CallDrafts
from ..storage.callbacks import CallbackStore
from ..storage.db import Database
from ..storage.event_writer import EventWriter
from ..storage.flow_versions import FlowVersionStore
from ..storage.optout_spool import OptOutSpool
from ..storage.outbox import Outbox
from ..storage.rate_limit import RateLimiter
from ..storage.reminders import ReminderStore
from ..storage.slots import SlotStore
from ..storage.sms_store import SmsStore
from ..storage.text_rules import TextRules
from ..storage.times import utcnow
from ..storage.waitlist import WaitlistStore
from ..versions.drafts import Drafts
from ..versions.origin import DatabaseOrigin
from ..versions.publishing import FlowVersions

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
    versions: FlowVersions  # the flow's published versions: publish, roll back, history
    flow_drafts: Drafts  # flow drafts: edits checked at every save, published as a whole
    reminders: ReminderStore  # appointment reminders, one row per booking and kind (ivr/reminders/)
    waitlist: WaitlistStore  # people waiting for a freed time, and the offers made to them


def build(config: dict, instance_path: str) -> Services:
    """Every store on one database, from the app's settings. Neither touches the schema
    (storage.migrate does) nor loads the flow (services.flows.start() does, once the schema is
    there). MONOTONIC_CLOCK: a test's stand-in for time.monotonic, which paces how often the flow
    source looks for a new version; FLOW_LOOK_WAIT: how long a request waits for that look."""
    db = Database(config["DATABASE_URL"], config["DATABASE_BUSY_TIMEOUT_MS"])
    spool = OptOutSpool(config.get("OPTOUT_SPOOL") or Path(instance_path) / "pending-optouts.jsonl")
    sms = SmsStore(db, config["SMS_SESSION_MINUTES"], spool)
    secret = config["SECRET_KEY"]
    versions = FlowVersions(FlowVersionStore(db), config.get("CLOCK", utcnow))
    origin = DatabaseOrigin(versions, config["FLOWS_DIR"], watch=config["IVR_ENV"] == "development")
    return Services(
        flows=FlowSource(origin, clock=config.get("MONOTONIC_CLOCK", time.monotonic),
                         look_wait=config.get("FLOW_LOOK_WAIT", LOOK_WAIT)),
        db=db,
        sms=sms,
        outbox=Outbox(db, sms, secret, rules=text_rules(config)),
        slots=SlotStore(db),
        bookings=BookingStore(db, secret, config.get("MAX_BOOKINGS_PER_NUMBER", 0)),
        callbacks=CallbackStore(db, secret),
        drafts=CallDrafts(db),
        limiter=RateLimiter(db, config["SMS_RATE_LIMIT"], config["SMS_RATE_WINDOW"]),
        events=EventWriter(db, config["EVENTS_FLUSH_SECONDS"], counting=counting(config["CLINIC_TIMEZONE"])),
        versions=versions,
        flow_drafts=Drafts(versions),
        reminders=ReminderStore(db),
        waitlist=WaitlistStore(db, secret),
    )


def text_rules(config: dict) -> TextRules:
    """Where the line may text and how often (SMS_COUNTRIES, TEXTS_PER_CALL, TEXTS_PER_NUMBER_PER_DAY)."""
    countries = config.get("SMS_COUNTRIES")
    return TextRules(frozenset(countries) if countries is not None else None, config.get("TEXTS_PER_CALL", 0),
                     config.get("TEXTS_PER_NUMBER_PER_DAY", 0))


def services() -> Services:
    return current_app.extensions[EXTENSION]


def current_time() -> datetime:
    """The time, from the app's CLOCK when a test sets one."""
    return current_app.config.get("CLOCK", utcnow)()


def current_flow() -> Flow:
    return services().flows.flow
