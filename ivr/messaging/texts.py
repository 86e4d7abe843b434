"""What a webhook calls to send a text: it is written to the outbox at once and delivered by
the worker, so the webhook never waits on Twilio's REST API."""
from __future__ import annotations

from flask import current_app

from ..services import current_time, services
from ..storage.driver import DriverTransaction
from .worker import running_worker


def send_text(to_number: str, body: str, kind: str, tx: DriverTransaction | None = None) -> int | None:
    """Queue a text (kind: booking_confirmation, content, ...) and wake this process's worker.
    Returns the outbox id, or None when the number has opted out (the text is never sent).
    `tx`: queued in that transaction, and the worker woken once it commits."""
    row_id = services().outbox.enqueue(to_number, body, kind, current_time(), tx)
    worker = running_worker(current_app)
    if row_id is not None and worker is not None:
        if tx is None:
            worker.wake()
        else:
            tx.after_commit(worker.wake)
    return row_id
