"""`ivr purge --older-than DAYS`: old conversation state goes; bookings, call-backs, opt-outs and
texts not yet sent stay. On a real SQLite file and a real PostgreSQL server."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from ivr.app import create_app
from ivr.cli import main
from ivr.privacy import phone_hash
from ivr.retention import purge
from ivr.storage.call_drafts import CallDrafts
from ivr.storage.db import Database
from ivr.storage.events import Step, record
from ivr.storage.outbox import Outbox
from ivr.storage.rate_limit import RateLimiter
from ivr.storage.sms_store import Place, SmsStore
from ivr.storage.tables import (
    bookings,
    call_drafts,
    callbacks,
    events,
    outbox,
    slots,
    sms_optouts,
    sms_rate,
    sms_sessions,
)

from conftest import make_config
from stores import appointments

SECRET = "purge-secret"
NOW = datetime(2030, 6, 1, 12, 0, tzinfo=timezone.utc)
DAYS = 30


def ago(days: float = 0, hours: float = 0) -> datetime:
    return NOW - timedelta(days=days, hours=hours)


def seed(db: Database, now: datetime = NOW) -> None:
    """Of each kind of row, some to go and some to stay, written as the line writes them."""
    when = lambda days=0, hours=0: now - timedelta(days=days, hours=hours)  # noqa: E731
    sms = SmsStore(db, session_minutes=60)
    sms.save_place("texting-now", Place("symptoms", "en"), when())  # stays: live
    sms.save_place("expired-today", Place("main", "en"), when(hours=2))  # goes: past its expiry
    sms.save_place("old-texter", Place("main", "es"), when(days=40))  # goes: old
    sms.set_opted_out("opted-out-long-ago", True, when(days=400))  # stays: an opt-out is kept for good

    drafts = CallDrafts(db)
    drafts.save("call-now", {"name": "Sam Lee"}, when())  # stays: the call may still be on
    drafts.save("call-earlier", {"name": "Ana Lopez"}, when(hours=3))  # goes: expired

    for days, node in ((31, "main"), (29, "symptoms"), (0, "person")):  # the first goes
        record(db, Step("voice", f"call-{days}", "caller", node, "", "key", "option", "en", True), when(days=days))

    limiter = RateLimiter(db, limit=5, window_seconds=60)
    limiter.hit("flooder-long-ago", when(days=31))  # goes
    limiter.hit("texting-now", when())  # stays

    box = Outbox(db, sms, SECRET)
    sent_old = box.enqueue("+15025550101", "old confirmation", "booking_confirmation", when(days=45))
    box.mark_sent(sent_old, "SM" + "1" * 32, when(days=45))  # goes
    failed_old = box.enqueue("+15025550102", "old page", "content", when(days=40))
    box.mark_failed(failed_old, "bad number", when(days=40))  # goes
    sent_recent = box.enqueue("+15025550103", "recent", "content", when(days=2))
    box.mark_sent(sent_recent, "SM" + "2" * 32, when(days=2))  # stays: recent
    box.enqueue("+15025550104", "still waiting", "content", when(days=50))  # stays: unsent (pending)
    sms.set_opted_out(phone_hash("+15025550105", SECRET), True, when(days=60))
    box.enqueue("+15025550105", "never sent", "content", when(days=60))  # goes: blocked long ago

    store = appointments(db, SECRET)
    slot = store.slots.add_slots(when(days=90), timedelta(minutes=30), 1, "Dr. Doss", 30, when(days=100))[0]
    store.bookings.book(slot.id, "+15025550106", "Pat Doe", "voice", "en", when(days=100))  # stays
    store.callbacks.add_callback("+15025550107", "Kim Park", "en", when(days=100))  # stays


def counts(db: Database) -> dict[str, int]:
    tables = (sms_sessions, call_drafts, events, sms_rate, outbox, slots, bookings, callbacks, sms_optouts)
    with db.begin() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one() for t in tables}


def test_what_goes_and_what_stays(db):
    seed(db)
    assert counts(db) == {"sms_sessions": 3, "call_drafts": 2, "events": 3, "sms_rate": 2, "outbox": 5,
                          "slots": 1, "bookings": 1, "callbacks": 1, "sms_optouts": 2}

    deleted = purge(db, NOW, DAYS)

    assert deleted == {"sms_sessions": 2, "call_drafts": 1, "events": 1, "outbox": 3, "sms_rate": 1}
    assert counts(db) == {"sms_sessions": 1, "call_drafts": 1, "events": 2, "sms_rate": 1, "outbox": 2,
                          "slots": 1, "bookings": 1, "callbacks": 1, "sms_optouts": 2}
    with db.begin() as conn:
        assert conn.execute(select(sms_sessions.c.phone_hash)).scalars().all() == ["texting-now"]
        assert conn.execute(select(call_drafts.c.call_hash)).scalars().all() == ["call-now"]
        assert sorted(conn.execute(select(events.c.node)).scalars()) == ["person", "symptoms"]
        assert conn.execute(select(sms_rate.c.phone_hash)).scalars().all() == ["texting-now"]
        assert sorted(conn.execute(select(outbox.c.body, outbox.c.status)).all()) == [
            ("recent", "sent"), ("still waiting", "pending")]
    assert purge(db, NOW, DAYS) == {"sms_sessions": 0, "call_drafts": 0, "events": 0, "outbox": 0, "sms_rate": 0}


def test_a_shorter_policy_takes_more(db):
    seed(db)
    deleted = purge(db, NOW, 1)
    assert (deleted["events"], deleted["outbox"]) == (2, 4)  # 29 days old goes now, and the text sent 2 days ago


def test_less_than_a_day_is_refused(db):
    with pytest.raises(ValueError):
        purge(db, NOW, 0)


# ---- the command ---------------------------------------------------------------------------------

@pytest.fixture
def cli_app(tmp_path):
    return create_app(make_config(tmp_path, SECRET_KEY=SECRET, CLOCK=lambda: NOW))


def test_the_purge_command_prints_what_went_from_each_table(cli_app):
    database = cli_app.extensions["ivr"].db
    seed(database)

    result = cli_app.test_cli_runner().invoke(main, ["purge", "--older-than", "30"])

    assert result.exit_code == 0, result.output
    out = [" ".join(line.split()) for line in result.stdout.splitlines()]
    assert out == ["Deleted what was older than 30 days:", "table rows deleted", "sms_sessions 2", "call_drafts 1",
                   "events 1", "outbox 3", "sms_rate 1",
                   "Kept: slots, bookings, callbacks, sms_optouts, outbox rows still to be sent."]
    assert counts(database)["bookings"] == 1


@pytest.mark.parametrize("args", [["--older-than", "0"], ["--older-than", "soon"], []])
def test_the_purge_command_needs_a_whole_number_of_days(cli_app, args):
    result = cli_app.test_cli_runner().invoke(main, ["purge", *args])
    assert result.exit_code == 2 and "--older-than" in result.output
