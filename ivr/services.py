"""What the webhooks share: the flow being served, the database and the stores."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import current_app

from .flow import Flow
from .flow.source import FlowSource
from .storage.bookings import BookingStore
from .storage.call_drafts import CallDrafts
from .storage.db import Database, utcnow
from .storage.outbox import Outbox
from .storage.rate_limit import RateLimiter
from .storage.sms_store import SmsStore

if TYPE_CHECKING:  # the observability package's endpoints import this module
    from .observability.event_writer import EventWriter


@dataclass
class Services:
    flows: FlowSource
    db: Database
    sms: SmsStore
    outbox: Outbox  # every text the line sends goes through it
    bookings: BookingStore  # appointment slots, bookings, callback requests
    drafts: CallDrafts  # a call's booking in progress (the caller's name)
    limiter: RateLimiter  # slows one number flooding the SMS line
    events: EventWriter  # every step, into the events table in batches


def services() -> Services:
    return current_app.extensions["ivr"]


def current_time() -> datetime:
    """The time, from the app's CLOCK when a test sets one."""
    return current_app.config.get("CLOCK", utcnow)()


def current_flow() -> Flow:
    return services().flows.flow
