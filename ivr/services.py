"""What the webhooks share: the flow being served, the database and the stores."""
from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import current_app

from .flow import Flow, load_flow
from .storage.db import Database
from .storage.sms_store import SmsStore


class FlowSource:
    """Holds the flow being served; a rejected edit never replaces a good flow."""

    def __init__(self, path: str):
        self.path = path
        self._lock = threading.Lock()
        self._flow = load_flow(path)  # raises FlowError: a broken flow never starts the app

    @property
    def flow(self) -> Flow:
        return self._flow


@dataclass
class Services:
    flows: FlowSource
    db: Database
    sms: SmsStore


def services() -> Services:
    return current_app.extensions["ivr"]


def current_flow() -> Flow:
    return services().flows.flow
