"""The background worker: one daemon thread a process delivers due outbox texts every few
seconds, and at once when woken. Several processes may each run one: claims are atomic."""
from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from datetime import datetime

from flask import Flask
from flask.helpers import get_debug_flag
from werkzeug.serving import is_running_from_reloader

from ..storage.outbox import Outbox
from .sender import OutboxSender, sender_from_config

log = logging.getLogger("ivr.outbox")

EXTENSION = "ivr.outbox_worker"


class OutboxWorker:
    def __init__(self, outbox: Outbox, sender: OutboxSender, poll_seconds: float = 5.0):
        self.outbox = outbox
        self.sender = sender
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._rounds = 0  # finished by the thread, since it started (success or not)
        self._round_done = threading.Condition()

    def run_once(self, now: datetime | None = None) -> Counter:
        """One round: texts stranded by a stopped process (their lease ran out) go back to the
        queue, then the due ones are sent. Without `now`, on the sender's clock."""
        recovered = self.outbox.recover_stale(now or self.sender.clock())
        if recovered:
            log.warning("outbox: %d texts left mid-send by a stopped process are queued again", recovered)
        return self.sender.deliver_due(now)

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name="outbox-worker", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Deliver now rather than at the next poll."""
        self._wake.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def rounds(self) -> int:
        """Rounds the thread has finished: what a monitor (or a test) waits on, never a sleep."""
        return self._rounds

    @property
    def wake_pending(self) -> bool:
        """A wake has been asked for and the thread has not started its round yet."""
        return self._wake.is_set()

    def wait_for_rounds(self, count: int, timeout: float = 10.0) -> bool:
        """Block until the thread has finished `count` rounds (False if it had not by `timeout`)."""
        with self._round_done:
            return self._round_done.wait_for(lambda: self._rounds >= count, timeout)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.run_once()
            except Exception as error:  # noqa: BLE001 - the worker must outlive any one round
                # The class name only: a database error's text can quote the row's values.
                log.error("outbox worker round failed (%s); trying again in %ss",
                          type(error).__name__, self.poll_seconds)
            with self._round_done:
                self._rounds += 1
                self._round_done.notify_all()
            self._wake.wait(self.poll_seconds)


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
    worker = OutboxWorker(outbox, sender, app.config.get("OUTBOX_POLL_SECONDS", 5.0))
    app.extensions[EXTENSION] = worker
    worker.start()
    return worker


def running_worker(app: Flask) -> OutboxWorker | None:
    worker = app.extensions.get(EXTENSION)
    return worker if worker is not None and worker.running else None
