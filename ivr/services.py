"""What the webhooks share: the flow being served, the database and the stores."""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from .flow import Flow
from .flow.source import FlowSource
from .storage.db import Database
from .storage.sms_store import SmsStore


@dataclass
class Services:
    flows: FlowSource
    db: Database
    sms: SmsStore


def services() -> Services:
    return current_app.extensions["ivr"]


def current_flow() -> Flow:
    return services().flows.flow
