"""One number flooding the SMS line is slowed: one short notice, then quiet until its window ends.
Nobody else is slowed; every text counts, STOP, START and HELP too: an opt-out is always
recorded, but replies are throttled like everything else. The count lives in the database, so
it holds across workers and servers."""
from __future__ import annotations

import threading
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.app import create_app
from ivr.flow import load_flow
from ivr.privacy import phone_hash
from ivr.render.gsm import to_gsm7
from ivr.simulate.phone import Signer, Texter
from ivr.storage.rate_limit import ANSWER, NOTICE, QUIET, RateLimiter
from ivr.storage.sms_store import SmsStore
from ivr.storage.tables import sms_optouts, sms_sessions

from booking_fakes import NOW
from conftest import AUTH_TOKEN, FLOWS, make_config

FLOW = load_flow(FLOWS)
LIMIT, WINDOW = 5, 60
FLOODER, OTHER = "+15025550123", "+15025550188"
SLOW_DOWN = {lang: to_gsm7(FLOW.phrase("sms_slow_down", lang)) for lang in FLOW.languages}
MAIN_OPTION = FLOW.nodes[FLOW.line.start].options[0].label["en"]


class Clock:
    def __init__(self):
        self.now = NOW

    def __call__(self):
        return self.now


def throttled_app(tmp_path, clock: Clock, **overrides):
    settings = {"CLOCK": clock, "SMS_RATE_LIMIT": LIMIT, "SMS_RATE_WINDOW": WINDOW, **overrides}
    return create_app(make_config(tmp_path, **settings))


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def app(tmp_path, clock):
    return throttled_app(tmp_path, clock)


def texter(app, number: str = FLOODER) -> Texter:
    return Texter(Signer(app.test_client(), AUTH_TOKEN), number=number)


def last_document(sender: Texter) -> ET.Element:
    root = ET.fromstring(sender.documents[-1])
    assert root.tag == "Response"
    return root


def flood(sender: Texter, count: int, body: str = "symptoms") -> list[str | None]:
    return [sender.send(body) for _ in range(count)]


def is_normal(reply: str | None) -> bool:
    return bool(reply) and reply not in SLOW_DOWN.values()


def test_a_flood_gets_one_short_notice_then_empty_responses(app):
    flooder = texter(app)
    replies = flood(flooder, LIMIT + 10)
    assert all(is_normal(reply) for reply in replies[:LIMIT])
    assert replies[LIMIT] == SLOW_DOWN["en"]
    assert replies[LIMIT + 1:] == [None] * 9
    assert replies.count(SLOW_DOWN["en"]) == 1
    assert list(last_document(flooder)) == []  # an empty <Response/>: Twilio sends nothing


def test_the_notice_is_one_short_text_in_the_texters_language(app):
    flooder = texter(app)
    flooder.send("hola")  # a Spanish texter: this is their first text of the window
    replies = flood(flooder, LIMIT, "sintomas")
    assert replies[-1] == SLOW_DOWN["es"]
    assert len(SLOW_DOWN["es"]) <= 160 and len(SLOW_DOWN["en"]) <= 160


def test_another_number_is_answered_normally_during_the_flood(app):
    flooder, other = texter(app), texter(app, OTHER)
    for _ in range(LIMIT + 1):
        flooder.send("symptoms")
    for _ in range(LIMIT):  # as many as the limit allows, interleaved with the flood
        assert flooder.send("symptoms") is None
        assert is_normal(other.send("menu"))


def test_after_the_window_the_number_is_answered_again(app, clock):
    flooder = texter(app)
    flood(flooder, LIMIT + 3)
    clock.now += timedelta(seconds=WINDOW - 1)
    assert flooder.send("menu") is None  # still inside the window
    clock.now += timedelta(seconds=1)
    replies = flood(flooder, LIMIT + 2, "menu")  # a new window: the same allowance, one notice
    assert MAIN_OPTION.lower() in replies[0].lower()
    assert all(is_normal(reply) for reply in replies[:LIMIT])
    assert replies[LIMIT:] == [SLOW_DOWN["en"], None]


def test_throttled_texts_do_not_move_the_texter(app, clock):
    flooder = texter(app)
    flood(flooder, LIMIT, "symptoms")  # the allowance: they are at the symptoms page
    key = phone_hash(FLOODER, app.config["SECRET_KEY"])

    def place():
        with app.extensions["ivr"].db.begin() as conn:
            row = conn.execute(select(sms_sessions).where(sms_sessions.c.phone_hash == key)).first()
        return row.node, row.lang, row.misses, row.data

    before = place()
    for body in ("menu", "treatment", "hola", "BOOK", "purple elephants", "0"):
        flooder.send(body)
        assert place() == before
    clock.now += timedelta(seconds=WINDOW)
    assert is_normal(flooder.send("0")) and place() != before  # answered again, and moved


def opted_out(app) -> bool:
    with app.extensions["ivr"].db.begin() as conn:
        (row,) = conn.execute(select(sms_optouts)).all()
    return row.opted_out


def test_stop_during_a_flood_is_recorded_without_a_reply_and_start_waits_for_the_window(app, clock):
    flooder = texter(app)
    flood(flooder, LIMIT + 3)
    assert flooder.send("STOP") is None  # recorded; no reply to a number texting too fast
    assert opted_out(app)
    assert flooder.send("symptoms") is None
    assert flooder.send("START") is None and opted_out(app)  # an opt-in over the limit waits
    clock.now += timedelta(hours=1)
    assert flooder.send("symptoms") is None  # the opt-out holds after the window too
    assert flooder.send("START") == to_gsm7(FLOW.phrase("sms_started", "en"))  # a new window: it counts
    assert not opted_out(app)
    assert is_normal(flooder.send("menu"))


def test_help_is_throttled_like_any_text(app):
    flooder = texter(app)
    flood(flooder, LIMIT)
    assert flooder.send("HELP") == SLOW_DOWN["en"]  # the one notice
    assert flooder.send("HELP") is None
    assert flooder.send("info") is None


def test_stop_and_start_alternated_get_few_replies_and_few_writes(app, monkeypatch):
    """40 STOPs and 40 STARTs from one number: the first few are answered and written, then the
    number is quiet and stays opted out, and nothing more is written."""
    writes = []
    real_write = SmsStore._write_opt_out
    monkeypatch.setattr(SmsStore, "_write_opt_out", lambda self, *args: (writes.append(args), real_write(self, *args)))
    flooder = texter(app)
    replies = [flooder.send(word) for _ in range(40) for word in ("STOP", "START")]
    assert sum(reply is not None for reply in replies) <= LIMIT + 1  # the limit, and the one notice
    assert len(writes) <= LIMIT
    assert opted_out(app)  # the last word that counted was a STOP


def test_the_count_is_shared_by_every_worker(tmp_path, clock):
    """Two apps on one database, as two gunicorn workers or two servers: a flood spread over
    both is slowed as if it came to one."""
    first = throttled_app(tmp_path, clock)
    second = throttled_app(tmp_path, clock, DATABASE_URL=first.config["DATABASE_URL"])
    senders = [texter(first), texter(second)]
    replies = [senders[i % 2].send("symptoms") for i in range(LIMIT + 3)]
    assert all(is_normal(reply) for reply in replies[:LIMIT])
    assert replies[LIMIT:] == [SLOW_DOWN["en"], None, None]


def test_a_limit_of_zero_turns_the_throttle_off(tmp_path, clock):
    app = throttled_app(tmp_path, clock, SMS_RATE_LIMIT=0)
    assert all(is_normal(reply) for reply in flood(texter(app), 3 * LIMIT))


# ---- the limiter on both databases, under concurrency ----------------------------------------

@pytest.fixture
def database(db):
    return db  # the shared migrated database, on SQLite and on PostgreSQL


def test_the_limiter_counts_a_window_per_number(database):
    limiter = RateLimiter(database, limit=2, window_seconds=WINDOW)
    verdicts = [limiter.hit("a", NOW + timedelta(seconds=i)) for i in range(5)]
    assert verdicts == [ANSWER, ANSWER, NOTICE, QUIET, QUIET]
    assert limiter.hit("b", NOW) == ANSWER
    later = NOW + timedelta(seconds=WINDOW)
    assert [limiter.hit("a", later), limiter.hit("a", later), limiter.hit("a", later)] == [ANSWER, ANSWER, NOTICE]


def test_simultaneous_texts_from_one_number_get_exactly_one_notice(database):
    limiter = RateLimiter(database, limit=5, window_seconds=WINDOW)
    threads, verdicts, barrier = [], [], threading.Barrier(12)

    def hit():
        barrier.wait()
        verdicts.append(limiter.hit("flood", NOW))

    for _ in range(12):
        threads.append(threading.Thread(target=hit))
        threads[-1].start()
    for thread in threads:
        thread.join(60)
    assert sorted(verdicts) == sorted([ANSWER] * 5 + [NOTICE] + [QUIET] * 6)
