"""Deliver due outbox rows with Twilio's REST client, and sort what Twilio answers.

- success: sent, with the message SID;
- HTTP 5xx or 429, a timeout or a dropped connection: Twilio is unwell, try again later
  (with back-off) and stop this round;
- error 21610: the number has opted out; blocked, and the opt-out recorded;
- any other 4xx: failed, not tried again.

At most TWILIO_MPS texts a second go out, across every sender of every server: each request to
Twilio takes its turn from one row of the database (storage/send_pace.py) and waits for it, just
before it goes (paced_http.py). So that Twilio's answer time (200 ms or so) does not hold the
rate down, a sender sends several texts at once, each in a thread of its own, each row leased to
it and renewed while it is out (leases.py).

Logs and stored errors carry outbox ids, hashes, SIDs and error codes, never a number or a
text (Twilio's own error messages can quote the number, so they are not kept).
"""
from __future__ import annotations

import logging
import math
import time
from collections import Counter
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..privacy import safe_sid, short_id
from ..storage.outbox import LEASE, Outbox, OutboxMessage
from ..storage.send_pace import LATE_LIMIT, SendPace
from ..storage.times import utcnow
from .leases import LeaseKeeper, new_owner
from .paced_http import PacedHttpClient

log = logging.getLogger("ivr.outbox")

OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
REQUEST_TIMEOUT_SECONDS = 10
BATCH = 50  # at most this many texts a round (more at a higher rate: a minute's worth)
MAX_THREADS = 32  # texts one sender has out at once, at the most


@dataclass(frozen=True)
class Outcome:
    status: str  # sent, retry, failed, blocked
    detail: str  # the SID when sent; else an error code fit for logs and the database


def twilio_client(config: dict) -> Client | None:
    """A REST client from the settings, or None when they are not all set."""
    if not (config.get("TWILIO_ACCOUNT_SID") and config.get("TWILIO_AUTH_TOKEN")
            and config.get("TWILIO_FROM_NUMBER")):
        return None
    return Client(config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"],
                  http_client=TwilioHttpClient(timeout=REQUEST_TIMEOUT_SECONDS))


def sender_from_config(config: dict, outbox: Outbox) -> OutboxSender | None:
    """A sender on the app's clock (a test's CLOCK, else the real one), paced at TWILIO_MPS, or
    None without Twilio."""
    client = twilio_client(config)
    if not client:
        return None
    per_second = config.get("TWILIO_MPS", 1.0)
    return OutboxSender(outbox, client, config["TWILIO_FROM_NUMBER"], batch=max(BATCH, int(per_second * 60)),
                        clock=config.get("CLOCK", utcnow), pace=SendPace(outbox.db, per_second),
                        concurrency=threads_for(per_second))


def threads_for(per_second: float) -> int:
    """Texts out at once to keep up TWILIO_MPS while each waits up to a second for Twilio's answer."""
    return min(MAX_THREADS, max(1, math.ceil(per_second)))


def classify(error: Exception) -> Outcome:
    """What a failed send means for the row."""
    if isinstance(error, (TwilioRestException, TwilioServiceException)):
        detail = f"HTTP {error.status} code {error.code}"
        if error.code == OPTED_OUT:
            return Outcome("blocked", detail)
        if error.status >= 500 or error.status == 429:
            return Outcome("retry", detail)
        return Outcome("failed", detail)
    # requests.Timeout, requests.ConnectionError, and anything unforeseen: try again later
    # (a row that keeps failing gives up after the outbox's max attempts).
    return Outcome("retry", type(error).__name__)


class OutboxSender:
    def __init__(self, outbox: Outbox, client: Client, from_number: str, batch: int = BATCH,
                 clock: Callable[[], datetime] = utcnow, lease: timedelta = LEASE, renew_every: float | None = None,
                 pace: SendPace | None = None, concurrency: int = 1, wall_clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], object] = time.sleep):
        self.outbox = outbox
        self.client = client
        self.from_number = from_number
        self.batch = batch
        self.clock = clock
        self.owner = new_owner()
        self.leases = LeaseKeeper(outbox, self.owner, clock, lease, renew_every)
        # The shared pace, on the wall clock every server shares (a test hands in its own, and
        # a sleep that moves it on).
        self.pace, self.concurrency = pace, max(1, concurrency)
        self.wall_clock, self.sleep = wall_clock, sleep
        if pace is not None and pace.limited:  # each request waits for its turn as it goes out
            client.http_client = PacedHttpClient(client.http_client, self._wait_for_turn)

    def deliver_due(self, now: datetime | None = None) -> Counter:
        """Send the texts that are due, oldest first, up to `concurrency` at once, each at its
        turn of the shared pace. A temporary Twilio failure ends the round: no more are
        claimed, the rest wait for the next one. Returns counts by outcome.

        Each claim and each mark reads the clock when it happens (a round may take a while);
        `now` fixes the time for the whole round instead."""
        clock = self.clock if now is None else (lambda: now)
        if self.concurrency == 1:
            return self._one_at_a_time(clock)
        return self._several_at_once(clock)

    def _one_at_a_time(self, clock: Callable[[], datetime]) -> Counter:
        counts: Counter = Counter()
        for _ in range(self.batch):
            claimed = self._claim(clock, 1)
            if not claimed:
                break
            outcome = self._send_held(claimed[0], clock)
            counts[outcome] += 1
            if outcome == "retry":
                break
        return counts

    def _several_at_once(self, clock: Callable[[], datetime]) -> Counter:
        """Keep `concurrency` texts out: claim as many as there is room for, and more as each comes back."""
        counts: Counter = Counter()
        out, claimed, stopped = set(), 0, False
        with ThreadPoolExecutor(self.concurrency, thread_name_prefix="outbox-send") as pool:
            while True:
                room = min(self.concurrency - len(out), self.batch - claimed)
                rows = self._claim(clock, room) if room > 0 and not stopped else []
                claimed += len(rows)
                out |= {pool.submit(self._send_held, row, clock) for row in rows}
                if not out:
                    return counts
                done, out = wait(out, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = future.result()
                    counts[outcome] += 1
                    stopped = stopped or outcome == "retry"

    def _claim(self, clock: Callable[[], datetime], limit: int) -> list[OutboxMessage]:
        return self.outbox.claim_due(clock(), limit=limit, owner=self.owner, lease=self.leases.lease)

    def _send_held(self, message: OutboxMessage, clock: Callable[[], datetime]) -> str:
        with self.leases.holding(message.id):  # renewed while it waits for its turn and for Twilio
            return self._deliver(message, clock)

    def _wait_for_turn(self) -> None:
        """Sleep until this text's turn; a turn missed by more than LATE_LIMIT (the row's lock was
        slow, the thread woke late) is given up for a new one, so texts never go in a burst."""
        if self.pace is None or not self.pace.limited:
            return
        while True:
            turn = self.pace.take_turn(self.wall_clock())
            delay = turn - self.wall_clock()
            if delay > 0:
                self.sleep(delay)
            if self.wall_clock() - turn <= LATE_LIMIT:
                return

    def _deliver(self, message: OutboxMessage, clock: Callable[[], datetime]) -> str:
        if self.outbox.is_opted_out(message):  # a STOP may have come in since it was written
            self.outbox.mark_blocked(message.id, clock())
            self._log(logging.INFO, message, "blocked", "opted out")
            return "blocked"
        try:  # the client's requests wait for their turn of the pace (paced_http.py)
            sent = self.client.messages.create(to=message.to_number, from_=self.from_number, body=message.body)
        except Exception as error:  # noqa: BLE001 - every failure is sorted by classify()
            outcome = classify(error)
        else:
            outcome = Outcome("sent", safe_sid(sent.sid))
        return self._record(message, outcome, clock())

    def _record(self, message: OutboxMessage, outcome: Outcome, now: datetime) -> str:
        if outcome.status == "sent":
            self.outbox.mark_sent(message.id, outcome.detail, now)
        elif outcome.status == "blocked":
            self.outbox.mark_blocked(message.id, now)
        elif outcome.status == "failed":
            self.outbox.mark_failed(message.id, outcome.detail, now)
        elif self.outbox.mark_retry(message.id, outcome.detail, now) == "failed":
            self._log(logging.ERROR, message, "failed", f"{outcome.detail}; gave up")
            return "failed"
        level = logging.INFO if outcome.status == "sent" else logging.WARNING
        self._log(level, message, outcome.status, outcome.detail)
        return outcome.status

    @staticmethod
    def _log(level: int, message: OutboxMessage, status: str, detail: str) -> None:
        log.log(level, "outbox %s %s kind=%s to=%s attempt=%d: %s", message.id, status, message.kind,
                short_id(message.to_hash), message.attempts + 1, detail)
