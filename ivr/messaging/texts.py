"""What a webhook calls to send a text: it is written to the outbox at once and delivered by
the worker, so the webhook never waits on Twilio's REST API."""
from __future__ import annotations

from flask import current_app

from ..services import current_time, services
from ..storage.driver import DriverTransaction
from ..storage.outbox import Queued
from .worker import running_worker


def queue_text(to_number: str, body: str, kind: str, tx: DriverTransaction | None = None,
               call_hash: str | None = None, booking_id: int | None = None) -> Queued:
    """Queue a text (kind: booking_confirmation, content, ...) and wake this process's worker.
    Says what became of it: pending (it will be sent), blocked (the number opted out) or
    refused (a country or a limit, storage/text_rules.py). `tx`: queued in that transaction,
    and the worker woken once it commits. `call_hash`: the call that asked for it;
    `booking_id`: the booking it is about."""
    queued = services().outbox.queue(to_number, body, kind, current_time(), tx, call_hash, booking_id)
    worker = running_worker(current_app)
    if queued.sending and worker is not None:
        if tx is None:
            worker.wake()
        else:
            tx.after_commit(worker.wake)
    return queued


def send_text(to_number: str, body: str, kind: str, tx: DriverTransaction | None = None) -> int | None:
    """queue_text(), answered with the outbox id, or None when the text will never be sent."""
    queued = queue_text(to_number, body, kind, tx)
    return queued.id if queued.sending else None
