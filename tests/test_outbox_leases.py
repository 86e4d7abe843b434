"""A text being sent is never sent again by another worker, however slow the send or the round:
each claim is a lease on its row, stamped when that row is claimed and renewed while it is being
sent; only a row whose lease ran out (its worker stopped) is queued again.

Twilio is a local fake (`responses`) that can be made slow: a send that waits for the test's
signal, or one that moves the test's clock on as if minutes went by. Two workers, each with its
own database connections, share one database, on SQLite and on PostgreSQL.
"""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
import responses

from ivr.messaging.sender import OutboxSender, twilio_client
from ivr.messaging.worker import OutboxWorker
from ivr.storage.db import Database
from ivr.storage.outbox import LEASE, Outbox
from ivr.storage.sms_store import SmsStore

ACCOUNT_SID = "AC" + "0" * 32
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
CONFIG = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_AUTH_TOKEN": "token", "TWILIO_FROM_NUMBER": "+15025550100"}
T0 = datetime(2025, 3, 4, 15, 0, tzinfo=timezone.utc)


class Clock:
    """The workers' clock: moved by the test (or by the fake Twilio), never slept for."""

    def __init__(self):
        self.now, self._lock = T0, threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self.now

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self.now += by


class SlowTwilio:
    """Twilio's Messages API: each send runs the next behaviour in line, then answers 201."""

    def __init__(self, mock: responses.RequestsMock):
        self.bodies: list[str] = []
        self.behaviours: list = []
        self.in_send, self.release = threading.Event(), threading.Event()
        mock.add_callback("POST", MESSAGES_URL, callback=self._send)

    def _send(self, request):
        self.bodies.append(parse_qs(request.body)["Body"][0])
        if self.behaviours:
            self.behaviours.pop(0)()
        return 201, {}, json.dumps({"sid": f"SM{len(self.bodies):032d}"})

    def hold(self) -> None:
        """A send that lasts until the test releases it."""
        self.in_send.set()
        assert self.release.wait(30), "the test never released the send"


@pytest.fixture
def twilio():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield SlowTwilio(mock)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def worker_on(db_url):
    """A worker of its own process: its own engine on the shared database."""
    made = []

    def make(clock, renew_every: float = 0.02) -> OutboxWorker:
        own = Database(db_url)
        made.append(own)
        box = Outbox(own, SmsStore(own, 60), "test-secret")
        sender = OutboxSender(box, twilio_client(CONFIG), CONFIG["TWILIO_FROM_NUMBER"], clock=clock,
                              renew_every=renew_every)
        return OutboxWorker(box, sender)

    yield make
    for own in made:
        own.dispose()


def in_thread(job) -> threading.Thread:
    thread = threading.Thread(target=job, daemon=True)
    thread.start()
    return thread


def test_a_slow_round_stamps_each_claim_when_it_is_made_and_no_other_worker_sends_it_again(
        db, worker_on, clock, twilio):
    """The review's case: the first send of a round takes 6 minutes, so the round's next claim
    comes 6 minutes after the round began. It must be stamped then, and held while it is sent:
    another worker's recovery at that moment leaves it alone."""
    a, b = worker_on(clock), worker_on(clock)
    first = a.outbox.enqueue("+15025550101", "first", "content", T0)
    second = a.outbox.enqueue("+15025550102", "second", "content", T0)
    twilio.behaviours = [lambda: clock.advance(timedelta(minutes=6)), twilio.hold]

    round_a = in_thread(a.run_once)
    assert twilio.in_send.wait(10)  # A is sending the second text, claimed 6 minutes into its round
    held = a.outbox.get(second)
    assert held.status == "sending" and held.lease_until >= clock() + LEASE - timedelta(seconds=1)
    assert b.run_once() == {}  # B's round: nothing stranded, nothing due
    clock.advance(LEASE * 3)  # A's send drags on, past any one lease ...
    renewals = a.sender.leases.renewals
    assert a.sender.leases.wait_for_renewals(renewals + 2)  # ... and A keeps renewing it
    assert b.run_once() == {} and a.outbox.get(second).status == "sending"
    twilio.release.set()
    round_a.join(10)

    assert twilio.bodies == ["first", "second"]  # each once
    assert [a.outbox.get(i).status for i in (first, second)] == ["sent", "sent"]
    assert a.outbox.get(second).lease_owner is None and a.outbox.get(second).lease_until is None


def test_a_row_whose_worker_stopped_comes_back_once_its_lease_runs_out(db, worker_on, clock, twilio):
    a, b = worker_on(clock), worker_on(clock)
    row = a.outbox.enqueue("+15025550101", "stranded", "content", T0)
    (claimed,) = a.outbox.claim_due(clock(), limit=1, owner="a-process-that-died")  # ... and nothing renews it
    assert claimed.lease_until == T0 + LEASE
    clock.advance(LEASE - timedelta(seconds=1))
    assert b.run_once() == {} and b.outbox.get(row).status == "sending"  # it may still be sending
    clock.advance(timedelta(seconds=2))
    assert b.run_once() == {"sent": 1}
    assert twilio.bodies == ["stranded"]


def test_a_lease_is_renewed_only_by_its_owner(db):
    box = Outbox(db, SmsStore(db, 60), "test-secret")
    row = box.enqueue("+15025550101", "text", "content", T0)
    box.claim_due(T0, limit=1, owner="mine")
    assert box.renew([row], "someone-else", T0 + timedelta(minutes=1)) == 0
    assert box.renew([row], "mine", T0 + timedelta(minutes=1)) == 1
    assert box.get(row).lease_until == T0 + timedelta(minutes=1) + LEASE
