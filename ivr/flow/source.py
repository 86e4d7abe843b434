"""The flow being served, kept up to date with the files, so staff publish an edit by saving it.

A broken flow never starts the app. Once running, the files are looked at (their sizes and
modification times) at most once a second, when a request asks for the flow. An edit that
passes the checks replaces the flow being served; one that does not is logged and refused, and
the last good flow keeps serving. Each process (every gunicorn worker) does this on its own.

Requests are answered from one flow from start to end: a request pins the flow it started with
(pin/unpin, hooked into the app's requests by init_app), and a swap only changes what later
requests get.
"""
from __future__ import annotations

import contextvars
import logging
import os
import threading
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from .flow import Flow
from .loader import check_files, flow_files, load_flow

log = logging.getLogger("ivr.flow")

CHECK_EVERY = 1.0  # seconds between looks at the files


@dataclass(frozen=True)
class Rejected:
    """An edit that did not pass the checks."""

    version: str
    at: str  # when it was refused (UTC, ISO 8601)
    errors: int
    first_error: str  # file:line: message, the file named relative to the flows folder
    superseded: bool = False  # the files passed the checks again since


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class FlowSource:
    """Holds the flow being served; a rejected edit never replaces a good flow."""

    def __init__(self, path: str, clock: Callable[[], float] = time.monotonic):
        self.path = path
        self._clock = clock
        self._lock = threading.Lock()  # one reload at a time; others keep serving meanwhile
        self._signature = self._files_now()
        self._flow = load_flow(path)  # raises FlowError: a broken flow never starts the app
        self.loaded_at = _now()
        self.rejected: Rejected | None = None
        self._next_check = clock() + CHECK_EVERY
        self._pinned: contextvars.ContextVar[Flow | None] = contextvars.ContextVar(
            f"ivr-flow-{id(self)}", default=None)

    def init_app(self, app) -> None:
        """Pin the flow for each request of this Flask app, from its start to its teardown."""
        def pin_for_request() -> None:  # a before_request hook: returning the flow would answer the request
            self.pin()  # also picks up saved edits (at most one look a second)

        app.before_request(pin_for_request)
        app.teardown_request(lambda _error: self.unpin())

    @property
    def flow(self) -> Flow:
        """The flow this request started with, or else the newest good flow."""
        return self._pinned.get() or self.refresh()

    def pin(self) -> Flow:
        """Answer the current request from the newest good flow, whatever is saved meanwhile."""
        flow = self.refresh()
        self._pinned.set(flow)
        return flow

    def unpin(self) -> None:
        self._pinned.set(None)

    def refresh(self) -> Flow:
        """Load the files again if they changed (looking at most once every CHECK_EVERY seconds)."""
        if self._clock() < self._next_check or not self._lock.acquire(blocking=False):
            return self._flow  # not time yet, or another thread is looking: serve what we have
        try:
            self._next_check = self._clock() + CHECK_EVERY
            signature = self._files_now()
            if signature != self._signature:
                self._signature = signature  # taken before reading: a save during the read shows next time
                self._reload()
        finally:
            self._lock.release()
        return self._flow

    def _files_now(self) -> tuple:
        """What changes when a flow file is saved, added or removed."""
        try:
            files = flow_files(self.path)
            return tuple((str(f), s.st_mtime_ns, s.st_size) for f in files for s in [f.stat()])
        except OSError:  # the folder is being replaced: look again next time
            return ()

    def _reload(self) -> None:
        started = time.monotonic()
        checked = check_files(self.path)
        if checked.flow is None:
            errors = checked.errors
            self.rejected = Rejected(checked.version, _now(), len(errors), self._relative(str(errors[0])))
            log.error("flow edit refused (version %s, %d error%s); still serving version %s",
                      checked.version, len(errors), "" if len(errors) == 1 else "s", self._flow.version)
            for problem in errors:
                log.error("  %s", self._relative(str(problem)))
            return
        if self.rejected is not None:
            self.rejected = replace(self.rejected, superseded=True)
        if checked.flow.version == self._flow.version:
            return  # saved again without a change, or an edit undone
        old, self._flow = self._flow.version, checked.flow  # one reference: the swap is atomic
        self.loaded_at = _now()
        log.info("flow files changed: now serving version %s (was %s; loaded in %.0f ms)",
                 self._flow.version, old, (time.monotonic() - started) * 1000)

    def _relative(self, text: str) -> str:
        folder = str(Path(self.path)) if Path(self.path).is_dir() else str(Path(self.path).parent)
        return text.removeprefix(folder + os.sep)

    def status(self) -> dict:
        """What /healthz reports: the version serving, and the last edit refused."""
        flow, rejected = self._flow, self.rejected
        serving = {"version": flow.version, "loaded_at": self.loaded_at,
                   "files": [self._relative(f) for f in flow.files]}
        refused = None if rejected is None else {
            "version": rejected.version, "at": rejected.at, "errors": rejected.errors,
            "first_error": rejected.first_error, "superseded": rejected.superseded}
        return {"status": "edit_refused" if rejected and not rejected.superseded else "ok",
                "flow": serving, "rejected": refused}
