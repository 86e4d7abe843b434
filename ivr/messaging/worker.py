"""The background worker: one daemon thread a process delivers due outbox texts every few
seconds, and at once when woken. Several processes may each run one: claims are atomic."""
from __future__ import annotations

import logging
import os
from collections import Counter
from datetime import datetime

from flask import Flask
from flask.helpers import get_debug_flag
from werkzeug.serving import is_running_from_reloader

from ..storage.outbox import Outbox
from .rounds import RoundWorker, running_in, start_in
from .sender import OutboxSender, sender_from_config

log = logging.getLogger("ivr.outbox")

EXTENSION = "ivr.outbox_worker"


class OutboxWorker(RoundWorker):
    label, thread_name = "outbox worker", "outbox-worker"

    def __init__(self, outbox: Outbox, sender: OutboxSender, poll_seconds: float = 5.0):
        super().__init__(poll_seconds, log)
        self.outbox = outbox
        self.sender = sender

    def run_once(self, now: datetime | None = None) -> Counter:
        """One round: texts stranded by a stopped process (their lease ran out) go back to the
        queue, then the due ones are sent. Without `now`, on the sender's clock."""
        recovered = self.outbox.recover_stale(now or self.sender.clock())
        if recovered:
            log.warning("outbox: %d texts left mid-send by a stopped process are queued again", recovered)
        return self.sender.deliver_due(now)


def _reloader_parent() -> bool:
    """`flask run --debug` loads the app twice: in a watcher process that serves nothing, and
    in the child it restarts on each change. Only the child should send."""
    return (os.environ.get("FLASK_RUN_FROM_CLI") == "true" and get_debug_flag()
            and not is_running_from_reloader())


def start_outbox_worker(app: Flask, outbox: Outbox) -> OutboxWorker | None:
    """Start this process's worker (create_app calls it when OUTBOX_WORKER is on)."""
    if _reloader_parent():
        return None
    sender = sender_from_config(app.config, outbox)
    if sender is None:
        app.logger.warning("TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER are not all set: "
                           "texts the line sends wait in the outbox until they are")
        return None
    return start_in(app, EXTENSION, OutboxWorker(outbox, sender, app.config.get("OUTBOX_POLL_SECONDS", 5.0)))


def running_worker(app: Flask) -> OutboxWorker | None:
    return running_in(app, EXTENSION)
