"""What a webhook calls to send a text: it is written to the outbox at once and delivered by
the worker, so the webhook never waits on Twilio's REST API."""
from __future__ import annotations

from flask import current_app

from ..services import current_time, services
from .worker import running_worker


def send_text(to_number: str, body: str, kind: str) -> int | None:
    """Queue a text (kind: booking_confirmation, content, ...) and wake this process's worker.
    Returns the outbox id, or None when the number has opted out (the text is never sent)."""
    row_id = services().outbox.enqueue(to_number, body, kind, current_time())
    worker = running_worker(current_app)
    if row_id is not None and worker is not None:
        worker.wake()
    return row_id
