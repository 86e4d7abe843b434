"""Deliver due outbox rows with Twilio's REST client, and sort what Twilio answers.

- success: sent, with the message SID;
- HTTP 5xx or 429, a timeout or a dropped connection: Twilio is unwell, try again later
  (with back-off) and stop this round;
- error 21610: the number has opted out; blocked, and the opt-out recorded;
- any other 4xx: failed, not tried again.

Logs and stored errors carry outbox ids, hashes, SIDs and error codes, never a number or a
text (Twilio's own error messages can quote the number, so they are not kept).
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Callable

from twilio.base.exceptions import TwilioRestException, TwilioServiceException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client

from ..privacy import safe_sid, short_id
from ..storage.outbox import LEASE, Outbox, OutboxMessage
from ..storage.times import utcnow
from .leases import LeaseKeeper, new_owner

log = logging.getLogger("ivr.outbox")

OPTED_OUT = 21610  # "Attempt to send to unsubscribed recipient"
REQUEST_TIMEOUT_SECONDS = 10
BATCH = 50  # at most this many texts a round


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
    """A sender on the app's clock (a test's CLOCK, else the real one), or None without Twilio."""
    client = twilio_client(config)
    if not client:
        return None
    return OutboxSender(outbox, client, config["TWILIO_FROM_NUMBER"], clock=config.get("CLOCK", utcnow))


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
                 clock: Callable[[], datetime] = utcnow, lease: timedelta = LEASE, renew_every: float | None = None):
        self.outbox = outbox
        self.client = client
        self.from_number = from_number
        self.batch = batch
        self.clock = clock
        self.owner = new_owner()
        self.leases = LeaseKeeper(outbox, self.owner, clock, lease, renew_every)

    def deliver_due(self, now: datetime | None = None) -> Counter:
        """Send the texts that are due, one claim at a time, oldest first. A temporary Twilio
        failure ends the round: the rest wait for the next one. Returns counts by outcome.

        Each claim and each mark reads the clock when it happens (a round may take a while);
        `now` fixes the time for the whole round instead."""
        counts: Counter = Counter()
        clock = self.clock if now is None else (lambda: now)
        for _ in range(self.batch):
            claimed = self.outbox.claim_due(clock(), limit=1, owner=self.owner, lease=self.leases.lease)
            if not claimed:
                break
            with self.leases.holding(claimed[0].id):
                outcome = self._deliver(claimed[0], clock)
            counts[outcome] += 1
            if outcome == "retry":
                break
        return counts

    def _deliver(self, message: OutboxMessage, clock: Callable[[], datetime]) -> str:
        if self.outbox.is_opted_out(message):  # a STOP may have come in since it was written
            self.outbox.mark_blocked(message.id, clock())
            self._log(logging.INFO, message, "blocked", "opted out")
            return "blocked"
        try:
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
