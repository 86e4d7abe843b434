"""A background thread that runs rounds of work: every few seconds, and at once when woken.

The outbox worker (worker.py) and the reminders worker (reminder_worker.py) are each one of
these a process. A round that fails is logged (its error's class only: a database error's text
can quote a row's values) and the thread goes on."""
from __future__ import annotations

import logging
import threading
from collections import Counter
from datetime import datetime


class RoundWorker:
    label = "worker"  # in log lines: "<label> round failed ..."
    thread_name = "worker"

    def __init__(self, poll_seconds: float, log: logging.Logger):
        self.poll_seconds = poll_seconds
        self._log = log
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._rounds = 0  # finished by the thread, since it started (success or not)
        self._round_done = threading.Condition()

    def run_once(self, now: datetime | None = None) -> Counter:
        raise NotImplementedError

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._stopping.clear()
            self._thread = threading.Thread(target=self._loop, name=self.thread_name, daemon=True)
            self._thread.start()

    def wake(self) -> None:
        """Run a round now rather than at the next poll."""
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
                self._log.error("%s round failed (%s); trying again in %ss", self.label, type(error).__name__,
                                self.poll_seconds)
            with self._round_done:
                self._rounds += 1
                self._round_done.notify_all()
            self._wake.wait(self.poll_seconds)


def start_in(app, extension: str, worker: RoundWorker) -> RoundWorker:
    """Keep the worker in `app.extensions[extension]` (where monitoring and tests find it) and start it."""
    app.extensions[extension] = worker
    worker.start()
    return worker


def running_in(app, extension: str) -> RoundWorker | None:
    """The app's worker of that name, if its thread is running."""
    worker = app.extensions.get(extension)
    return worker if worker is not None and worker.running else None
