"""TWILIO_MPS across every sender: two workers, each on its own database connection (as two
servers would be), sending several texts at once, never send more than TWILIO_MPS in any one
second together, send each text once, and keep up the rate although Twilio takes 200 ms to
answer each. On SQLite and PostgreSQL.

Time is the app's: each sending thread has a wall clock of its own that only its sleeps (waiting
for its turn) and Twilio's answer move on, so nothing here sleeps."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from urllib.parse import parse_qs

import pytest
import responses
from twilio.rest import Client

from ivr.messaging.sender import OutboxSender, threads_for
from ivr.storage.db import Database
from ivr.storage.send_pace import PACE_MARGIN, SendPace

from reminder_helpers import line_stores

ACCOUNT_SID = "AC" + "1" * 32
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
T0 = datetime(2026, 12, 1, 15, 0, tzinfo=timezone.utc)
START = T0.timestamp()
ANSWER_SECONDS = 0.2  # Twilio's answer time


class ThreadClocks:
    """A wall clock per thread, from START: sleeping moves only the sleeper's on."""

    def __init__(self):
        self._own = threading.local()

    def time(self) -> float:
        return getattr(self._own, "now", START)

    def sleep(self, seconds: float) -> None:
        self._own.now = self.time() + seconds


def most_in_one_second(moments: list[float]) -> int:
    """The most moments in any window of one second (not only whole clock seconds)."""
    moments, most, first = sorted(moments), 0, 0
    for last, moment in enumerate(moments):
        while moment - moments[first] >= 1.0:
            first += 1
        most = max(most, last - first + 1)
    return most


def sender(db: Database, per_second: float, clocks: ThreadClocks, concurrency: int) -> OutboxSender:
    stores = line_stores(db)
    return OutboxSender(stores.outbox, Client(ACCOUNT_SID, "token"), "+15025550100", batch=1000,
                        clock=lambda: T0, pace=SendPace(db, per_second), concurrency=concurrency,
                        wall_clock=clocks.time, sleep=clocks.sleep)


def send_with_two_workers(db, db_url, per_second: float, texts: int, concurrency: int):
    """Queue `texts` texts, send them with two workers at once; (when each reached Twilio, bodies)."""
    stores = line_stores(db)
    for n in range(texts):
        stores.outbox.queue(f"+1502555{n:04d}", f"text {n}", "reminder", T0)
    clocks, arrived, lock = ThreadClocks(), [], threading.Lock()

    def twilio_answers(request):
        with lock:
            arrived.append((clocks.time(), parse_qs(request.body)["Body"][0]))
        clocks.sleep(ANSWER_SECONDS)
        return 201, {}, '{"sid": "SM%032d", "status": "queued"}' % len(arrived)

    others = [Database(db_url), Database(db_url)]  # each worker its own engine, as on two servers
    try:
        workers = [sender(other, per_second, clocks, concurrency) for other in others]
        with responses.RequestsMock() as mock:
            mock.add_callback(responses.POST, MESSAGES_URL, callback=twilio_answers)
            threads = [threading.Thread(target=w.deliver_due) for w in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
    finally:
        for other in others:
            other.dispose()
    return [moment for moment, _ in arrived], [body for _, body in arrived]


@pytest.mark.parametrize("per_second", [10, 3])
def test_two_workers_together_never_send_more_than_twilio_mps_in_any_second(db, db_url, per_second):
    moments, bodies = send_with_two_workers(db, db_url, per_second, 5 * per_second,
                                            concurrency=threads_for(per_second))
    assert sorted(bodies) == sorted(f"text {n}" for n in range(5 * per_second))  # each once
    assert most_in_one_second(moments) <= per_second
    rate = (len(moments) - 1) / (max(moments) - min(moments))
    assert per_second * 0.95 <= rate <= per_second  # Twilio's 200 ms do not hold it down
    assert rate == pytest.approx(per_second * PACE_MARGIN, rel=0.02)


def test_one_text_at_a_time_would_be_held_down_by_twilios_answer_time(db, db_url):
    """Why a sender sends several at once: one at a time, each waits out Twilio's answer."""
    moments, _ = send_with_two_workers(db, db_url, 10, 20, concurrency=1)
    rate = (len(moments) - 1) / (max(moments) - min(moments))
    assert rate < 2 / ANSWER_SECONDS * 1.05  # two workers, each at most one text per answer time ...
    moments, _ = send_with_two_workers(db, db_url, 30, 60, concurrency=1)
    assert (len(moments) - 1) / (max(moments) - min(moments)) < 30 * 0.95 / 2  # ... and far under 30


def test_the_pace_spaces_turns_from_any_number_of_senders(db, db_url):
    paces = [SendPace(db, 30), SendPace(Database(db_url), 30)]
    try:
        turns = [paces[n % 2].take_turn(START) for n in range(90)]  # all asking at the same moment
    finally:
        paces[1].db.dispose()
    gaps = {round(b - a, 6) for a, b in zip(turns, turns[1:])}
    assert gaps == {round(1 / (30 * PACE_MARGIN), 6)}
    assert turns[0] == START and most_in_one_second(turns) == 30
    assert SendPace(db, 0).take_turn(START + 5) == START + 5  # TWILIO_MPS=0: no pace


def test_a_sender_that_wakes_late_for_its_turn_takes_a_new_one_rather_than_send_in_a_burst(db):
    clocks, sleeps, arrived = ThreadClocks(), [], []

    def busy_machine_sleep(seconds):  # the first wake comes 50 ms late
        clocks.sleep(seconds + (0.05 if not sleeps else 0))
        sleeps.append(seconds)

    stores, pace = line_stores(db), SendPace(db, 10)
    stores.outbox.queue("+15025550123", "your visit", "reminder", T0)
    worker = OutboxSender(stores.outbox, Client(ACCOUNT_SID, "token"), "+15025550100", clock=lambda: T0,
                          pace=pace, wall_clock=clocks.time, sleep=busy_machine_sleep)
    assert pace.take_turn(START) == START  # another sender's turn; this one's is an interval later
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.POST, MESSAGES_URL,
                          callback=lambda request: (arrived.append(clocks.time()), (201, {}, '{"sid": "SM1"}'))[1])
        assert worker.deliver_due() == {"sent": 1}
    interval = 1 / (10 * PACE_MARGIN)
    assert len(sleeps) == 2  # the missed turn was given up ...
    assert arrived == [pytest.approx(START + 2 * interval)]  # ... and the text went at the next one
