"""The flow being served, kept up to date with its origin (origins.py): the database's live
version on a running line, or a folder of files for a trial.

A flow that cannot be served never starts the app (start() raises FlowError). Once running,
the origin is looked at at most twice a second (CHECK_EVERY), when a request asks for the flow.
New files that pass the checks replace the flow being served; files that do not (a version published by a
newer release that this code cannot serve, a broken edit of a folder) are logged and refused,
and the last good flow keeps serving. While the origin cannot be reached (the database is down)
the flow already loaded keeps serving. Each process (every gunicorn worker) does this on its own.

A look at the database runs beside the request that asked for it: the request waits for it at
most `look_wait` seconds (it normally takes a few milliseconds), so a database that hangs never
holds a caller up; the new flow then serves the requests after it.

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
from typing import Callable

from .flow import Flow
from .loader import check_files
from .origins import Offer, Origin
from .problems import FlowError

log = logging.getLogger("ivr.flow")

CHECK_EVERY = 0.5  # seconds between looks at the origin: a publish is served well within 2 s
LOOK_WAIT = 0.5  # seconds a request waits for a look at the database before it is served anyway


@dataclass(frozen=True)
class Rejected:
    """Files that did not pass the checks."""

    version: str  # their content hash
    at: str  # when they were refused (UTC, ISO 8601)
    errors: int
    first_error: str  # file:line: message, the file named relative to the flows folder
    superseded: bool = False  # good files were served since
    number: int | None = None  # the published version they are, if any


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _named(number: int | None, version: str) -> str:
    return f"version {number}" if number is not None else f"version {version}"


class FlowSource:
    """Holds the flow being served; files that fail the checks never replace a good flow."""

    def __init__(self, origin: Origin, clock: Callable[[], float] = time.monotonic, look_wait: float = LOOK_WAIT):
        self.origin = origin
        self._clock = clock
        self._look_wait = look_wait
        self._looking = threading.Lock()  # one look at a time; others keep serving meanwhile
        self._flow: Flow | None = None
        self._offer: Offer | None = None
        self._mark = None
        self._unreachable = False
        self.loaded_at = ""
        self.rejected: Rejected | None = None
        self._failed = FlowError([])  # why there is no flow to serve, before start() or when it failed
        self._next_check = 0.0
        self._pinned: contextvars.ContextVar[Flow | None] = contextvars.ContextVar(
            f"ivr-flow-{id(self)}", default=None)

    def start(self, required: bool = True) -> "FlowSource":
        """Load the flow to serve; FlowError when it cannot be served (the app does not start).
        required=False (a command line's app): the error is logged, and raised again by whatever
        asks for the flow, so commands that need none (publishing a fix) still run."""
        try:
            offer = self.origin.fetch()
            checked = check_files(offer.files, offer.where)
            if checked.flow is None:
                raise FlowError(checked.errors)
        except FlowError as error:
            log.error("the flow cannot be served (publish files this code can serve, e.g. "
                      "`ivr flows publish flows/`):\n%s", error)
            if required:
                raise
            self._failed = error
            return self
        self._serve(offer, checked.flow)
        self._next_check = self._clock() + CHECK_EVERY
        return self

    def init_app(self, app) -> None:
        """Pin the flow for each request of this Flask app, from its start to its teardown."""
        def pin_for_request() -> None:  # a before_request hook: returning the flow would answer the request
            self.pin()  # also picks up what was published (at most one look every CHECK_EVERY)

        app.before_request(pin_for_request)
        app.teardown_request(lambda _error: self.unpin())

    @property
    def flow(self) -> Flow:
        """The flow this request started with, or else the newest good flow."""
        return self._pinned.get() or self.refresh()

    def pin(self) -> Flow:
        """Answer the current request from the newest good flow, whatever is published meanwhile."""
        flow = self.refresh()
        self._pinned.set(flow)
        return flow

    def unpin(self) -> None:
        self._pinned.set(None)

    def refresh(self) -> Flow:
        """Look at the origin if it is time (at most once every CHECK_EVERY seconds)."""
        if self._flow is None:
            raise self._failed  # start() was not called, or failed
        if self._clock() < self._next_check or not self._looking.acquire(blocking=False):
            return self._flow  # not time yet, or another thread is looking: serve what we have
        self._next_check = self._clock() + CHECK_EVERY
        if self.origin.inline:
            try:
                self._look()
            finally:
                self._looking.release()
        else:
            done = threading.Event()
            threading.Thread(target=self._look_beside, args=(done,), name="flow-look", daemon=True).start()
            done.wait(self._look_wait)
        return self._flow

    def look_now(self) -> Flow:
        """Look at the origin at once, whatever the time, and wait for it (the CLI, tests)."""
        with self._looking:
            self._next_check = self._clock() + CHECK_EVERY
            self._look()
        return self._flow

    def _look_beside(self, done: threading.Event) -> None:
        try:
            self._look()
        finally:
            self._looking.release()
            done.set()

    def _look(self) -> None:
        try:
            mark = self.origin.look()
            if mark == self._mark:
                return
            offer = self.origin.fetch()
        except Exception as error:  # noqa: BLE001 - the database is down: keep serving; its kind only
            if not self._unreachable:
                log.warning("cannot look for a new flow version (%s); still serving %s", type(error).__name__,
                            self._name())
            self._unreachable = True
            return
        if self._unreachable:
            log.info("looking for new flow versions again; serving %s", self._name())
            self._unreachable = False
        self._take(offer)

    def _take(self, offer: Offer) -> None:
        self._mark = offer.mark
        started = time.monotonic()
        checked = check_files(offer.files, offer.where)
        if checked.flow is None:
            errors = checked.errors
            first = self._relative(str(errors[0]), offer.where)
            self.rejected = Rejected(checked.version, _now(), len(errors), first, number=offer.number)
            log.error("flow %s refused (%s, %d error%s); still serving %s",
                      "edit" if offer.number is None else "version", _named(offer.number, checked.version),
                      len(errors), "" if len(errors) == 1 else "s", self._name())
            for problem in errors:
                log.error("  %s", self._relative(str(problem), offer.where))
            return
        if self.rejected is not None:
            self.rejected = replace(self.rejected, superseded=True)
        if checked.flow.version == self._flow.version and offer.number == self._flow.number:
            self._offer = offer  # saved again without a change, or an edit undone
            return
        old = self._name()
        self._serve(offer, checked.flow)
        log.info("flow %s: now serving %s (was %s; loaded in %.0f ms)",
                 "files changed" if offer.number is None else "published", self._name(), old,
                 (time.monotonic() - started) * 1000)

    def _serve(self, offer: Offer, flow: Flow) -> None:
        self._offer, self._mark = offer, offer.mark
        self._flow = replace(flow, number=offer.number)  # one reference: the swap is atomic
        self.loaded_at = _now()

    def _name(self) -> str:
        return _named(self._flow.number, self._flow.version)

    @staticmethod
    def _relative(text: str, where: str) -> str:
        return text.removeprefix(where + os.sep) if where else text

    def status(self) -> dict:
        """What /healthz reports: the version serving, and the last files refused."""
        flow, offer, rejected = self._flow, self._offer, self.rejected
        serving = {"number": flow.number, "published_at": offer.published_at, "version": flow.version,
                   "loaded_at": self.loaded_at, "files": [self._relative(f, offer.where) for f in flow.files]}
        refused = None if rejected is None else {
            "number": rejected.number, "version": rejected.version, "at": rejected.at, "errors": rejected.errors,
            "first_error": rejected.first_error, "superseded": rejected.superseded}
        return {"status": "edit_refused" if rejected and not rejected.superseded else "ok",
                "flow": serving, "rejected": refused}
