"""The outbox: every text the line sends is recorded, sent with twilio's REST client, and marked.

Twilio's REST API is played by `responses`: nothing here reaches the network.
"""
from __future__ import annotations

import itertools
import json
import logging
import threading
from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs

import pytest
import requests
import responses
from click.testing import CliRunner
from sqlalchemy import select

from ivr.app import create_app
from ivr.cli import main as ivr_command
from ivr.messaging import send_text
from ivr.messaging.sender import sender_from_config
from ivr.messaging.worker import OutboxWorker, running_worker, start_outbox_worker
from ivr.privacy import phone_hash
from ivr.storage.db import Database
from ivr.storage.outbox import Outbox
from ivr.storage.sms_store import SmsStore
from ivr.storage.tables import sms_optouts

from conftest import AUTH_TOKEN, make_config
from postgres import fresh_database

ACCOUNT_SID = "AC" + "0" * 32
FROM_NUMBER = "+15025550100"
NUMBER = "+15025550123"
OTHER = "+15025550177"
SECRET = "test-secret"
BODY = "Your visit is booked for Tuesday at 9:30 with Dr Lee."
MESSAGES_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
T0 = datetime(2025, 3, 4, 15, 0, tzinfo=timezone.utc)
TWILIO_ENV = {"TWILIO_ACCOUNT_SID": ACCOUNT_SID, "TWILIO_FROM_NUMBER": FROM_NUMBER}
_databases = itertools.count(1)
ON_BOTH = pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)


# ---- Twilio's REST API, played by `responses` -----------------------------------------------

def accepted(sid: str = "SM" + "a" * 32) -> dict:
    return {"method": "POST", "url": MESSAGES_URL, "status": 201,
            "json": {"sid": sid, "status": "queued", "account_sid": ACCOUNT_SID}}


def refused(status: int, code: int, message: str = "refused") -> dict:
    return {"method": "POST", "url": MESSAGES_URL, "status": status,
            "json": {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
                     "status": status}}


def unavailable() -> dict:
    return refused(503, 20503, "Service Unavailable")


def sent_forms(mock: responses.RequestsMock) -> list[dict]:
    """What each request to Twilio carried: To, From, Body."""
    return [{k: v[0] for k, v in parse_qs(call.request.body).items()} for call in mock.calls]


def sent_bodies(mock: responses.RequestsMock) -> list[str]:
    return [form["Body"] for form in sent_forms(mock)]


@pytest.fixture
def twilio():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


# ---- an app with Twilio configured, on a real SQLite file and a real PostgreSQL server -------

@pytest.fixture
def db_url(request, tmp_path):
    """SQLite, or PostgreSQL for the tests marked ON_BOTH (what the database itself decides)."""
    if getattr(request, "param", "sqlite") == "sqlite":
        yield f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
        return
    with fresh_database(request.getfixturevalue("postgres_url"), f"outbox_{next(_databases)}") as url:
        yield url


@pytest.fixture
def outbox_app(tmp_path, db_url):
    """Make an app (as many as a test needs: a restart is a second one) on the test's database."""
    made = []

    def make(**overrides):
        made.append(create_app(make_config(tmp_path, **{"DATABASE_URL": db_url, **TWILIO_ENV, **overrides})))
        return made[-1]

    yield make
    for app in made:
        app.extensions["ivr"].db.dispose()


@pytest.fixture
def app(outbox_app):
    return outbox_app()


@pytest.fixture
def box(app) -> Outbox:
    return app.extensions["ivr"].outbox


@pytest.fixture
def sender(app, box):
    return sender_from_config(app.config, box)


def opted_out_rows(app) -> list[tuple[str, bool]]:
    with app.extensions["ivr"].db.begin() as conn:
        return [(row.phone_hash, row.opted_out) for row in conn.execute(select(sms_optouts))]


# ---- sending ---------------------------------------------------------------------------------

@ON_BOTH
def test_a_text_is_recorded_then_sent_and_marked_with_its_sid(box, sender, twilio):
    twilio.add(**accepted("SM" + "1" * 32))
    row_id = box.enqueue(NUMBER, BODY, "booking_confirmation", T0)
    assert box.get(row_id).status == "pending"
    assert box.depth() == 1

    counts = sender.deliver_due(T0)

    assert counts == {"sent": 1}
    row = box.get(row_id)
    assert (row.status, row.twilio_sid, row.attempts, row.last_error) == ("sent", "SM" + "1" * 32, 1, None)
    assert sent_forms(twilio) == [{"To": NUMBER, "From": FROM_NUMBER, "Body": BODY}]
    assert twilio.calls[0].request.headers["Authorization"].startswith("Basic ")
    assert box.depth() == 0


def test_a_500_is_retried_after_a_back_off_then_sent(box, sender, twilio):
    twilio.add(**refused(500, 20500, "Internal Server Error"))
    twilio.add(**accepted())
    row_id = box.enqueue(NUMBER, BODY, "content", T0)

    assert sender.deliver_due(T0) == {"retry": 1}
    row = box.get(row_id)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "HTTP 500 code 20500")
    assert row.next_attempt_at == T0 + timedelta(seconds=30)
    assert sender.deliver_due(T0 + timedelta(seconds=29)) == {}  # not due yet: no call

    assert sender.deliver_due(T0 + timedelta(seconds=30)) == {"sent": 1}
    assert (box.get(row_id).status, box.get(row_id).attempts) == ("sent", 2)
    assert len(twilio.calls) == 2


def test_a_timeout_is_retried(box, sender, twilio):
    twilio.add(method="POST", url=MESSAGES_URL, body=requests.exceptions.ConnectTimeout())
    twilio.add(method="POST", url=MESSAGES_URL, body=requests.exceptions.ConnectionError())
    twilio.add(**accepted())
    row_id = box.enqueue(NUMBER, BODY, "content", T0)

    assert sender.deliver_due(T0) == {"retry": 1}
    assert (box.get(row_id).status, box.get(row_id).last_error) == ("pending", "ConnectTimeout")
    assert sender.deliver_due(T0 + timedelta(seconds=30)) == {"retry": 1}
    assert box.get(row_id).next_attempt_at == T0 + timedelta(seconds=90)  # 30 s, then 60 s
    assert sender.deliver_due(T0 + timedelta(seconds=90)) == {"sent": 1}
    assert len(twilio.calls) == 3


@ON_BOTH
def test_error_21610_blocks_the_text_and_records_the_opt_out(app, box, sender, twilio):
    twilio.add(**refused(400, 21610, "Attempt to send to unsubscribed recipient"))
    row_id = box.enqueue(NUMBER, BODY, "content", T0)

    assert sender.deliver_due(T0) == {"blocked": 1}
    assert box.get(row_id).status == "blocked"
    assert opted_out_rows(app) == [(phone_hash(NUMBER, SECRET), True)]

    # Nothing more is ever sent to that number: a later text is recorded as blocked, not sent.
    assert box.enqueue(NUMBER, "Another text", "content", T0 + timedelta(hours=1)) is None
    assert [row.status for row in box.list()] == ["blocked", "blocked"]
    assert sender.deliver_due(T0 + timedelta(days=1)) == {}
    assert len(twilio.calls) == 1


def test_another_4xx_fails_the_text_for_good(box, sender, twilio):
    twilio.add(**refused(400, 21211, f"The 'To' number {NUMBER} is not a valid phone number."))
    row_id = box.enqueue(NUMBER, BODY, "content", T0)

    assert sender.deliver_due(T0) == {"failed": 1}
    row = box.get(row_id)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "HTTP 400 code 21211")
    assert sender.deliver_due(T0 + timedelta(days=1)) == {}
    assert len(twilio.calls) == 1


def test_a_number_that_texted_stop_is_never_sent_anything(app, box, sender, texter, twilio):
    texter.send("STOP")  # through the real /sms webhook
    assert box.enqueue(texter.number, BODY, "content", T0) is None
    assert sender.deliver_due(T0) == {}
    assert [row.status for row in box.list()] == ["blocked"]
    assert len(twilio.calls) == 0


def test_an_opt_out_after_the_text_was_written_is_honoured_at_sending(app, box, sender, twilio):
    row_id = box.enqueue(NUMBER, BODY, "content", T0)
    app.extensions["ivr"].sms.set_opted_out(phone_hash(NUMBER, SECRET), True, T0)
    assert sender.deliver_due(T0) == {"blocked": 1}
    assert box.get(row_id).status == "blocked"
    assert len(twilio.calls) == 0


@ON_BOTH
def test_too_many_temporary_failures_fail_the_text_after_backing_off(box, sender, twilio):
    twilio.add(**unavailable())
    row_id = box.enqueue(NUMBER, BODY, "content", T0)
    now, waits = T0, []
    while box.get(row_id).status == "pending":
        sender.deliver_due(now)
        row = box.get(row_id)
        if row.status == "pending":
            waits.append((row.next_attempt_at - now).total_seconds())
            now = row.next_attempt_at
    assert waits == [30, 60, 120, 240, 480, 960, 1920, 3600, 3600]  # doubling, at most an hour
    row = box.get(row_id)
    assert (row.status, row.attempts) == ("failed", box.max_attempts)
    assert row.last_error == f"HTTP 503 code 20503; gave up after {box.max_attempts} attempts"
    assert len(twilio.calls) == box.max_attempts


# ---- Twilio's REST API failing for a while ---------------------------------------------------

@ON_BOTH
def test_texts_wait_while_twilio_is_down_and_go_out_once_in_order_when_it_recovers(box, sender, twilio):
    twilio.add(method="POST", url=MESSAGES_URL, body=requests.exceptions.ConnectionError())
    for _ in range(3):
        twilio.add(**unavailable())
    for n in range(3):
        twilio.add(**accepted(f"SM{n:032d}"))
    bodies = ["first", "second", "third"]
    for body in bodies:
        box.enqueue(NUMBER, body, "content", T0)

    now, rounds = T0, 0
    while box.depth() and rounds < 20:
        sender.deliver_due(now)
        now, rounds = now + timedelta(minutes=5), rounds + 1

    assert [row.status for row in reversed(box.list())] == ["sent", "sent", "sent"]
    assert sent_bodies(twilio) == ["first"] * 5 + ["second", "third"]  # 4 failures, then each once
    assert box.depth() == 0


@ON_BOTH
def test_one_number_waits_behind_its_unsent_text_while_others_go(box, sender, twilio):
    twilio.add(**unavailable())
    twilio.add(**accepted())
    first = box.enqueue(NUMBER, "first", "content", T0)
    second = box.enqueue(NUMBER, "second", "content", T0)
    other = box.enqueue(OTHER, "other", "content", T0)

    assert sender.deliver_due(T0) == {"retry": 1}  # a temporary failure ends the round
    assert sender.deliver_due(T0 + timedelta(seconds=5)) == {"sent": 1}
    assert sent_bodies(twilio) == ["first", "other"]
    assert [box.get(i).status for i in (first, second, other)] == ["pending", "pending", "sent"]


# ---- nothing lost across a restart -------------------------------------------------------------

def test_a_queued_text_survives_a_restart(outbox_app, twilio):
    twilio.add(**accepted())
    before = outbox_app()
    row_id = before.extensions["ivr"].outbox.enqueue(NUMBER, BODY, "content", T0)
    before.extensions["ivr"].db.dispose()

    after = outbox_app()
    box = after.extensions["ivr"].outbox
    assert sender_from_config(after.config, box).deliver_due(T0 + timedelta(minutes=1)) == {"sent": 1}
    assert box.get(row_id).status == "sent"
    assert sent_bodies(twilio) == [BODY]


@ON_BOTH
def test_a_text_left_mid_send_by_a_crash_is_sent_after_a_restart(outbox_app, twilio):
    twilio.add(**accepted())
    before = outbox_app()
    crashed = before.extensions["ivr"].outbox
    row_id = crashed.enqueue(NUMBER, BODY, "content", T0)
    assert [row.id for row in crashed.claim_due(T0, limit=10)] == [row_id]  # ...and the process dies
    before.extensions["ivr"].db.dispose()

    after = outbox_app()
    box = after.extensions["ivr"].outbox
    worker = OutboxWorker(box, sender_from_config(after.config, box))
    assert worker.run_once(T0 + timedelta(minutes=1)) == {}  # it may still be sending: leave it
    assert box.get(row_id).status == "sending"
    assert worker.run_once(T0 + timedelta(minutes=6)) == {"sent": 1}
    assert box.get(row_id).status == "sent"
    assert len(twilio.calls) == 1


# ---- several workers ---------------------------------------------------------------------------

def run_together(*jobs):
    """Run each job in its own thread, all released at once; return their results."""
    start, results = threading.Barrier(len(jobs)), [None] * len(jobs)

    def run(i, job):
        start.wait()
        results[i] = job()

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def second_process_outbox(app) -> Outbox:
    """Another process's view of the same database: its own engine and connections."""
    db = Database(app.config["DATABASE_URL"])
    return Outbox(db, SmsStore(db, 60), SECRET)


@ON_BOTH
def test_two_workers_claiming_at_once_never_take_the_same_text(app, box):
    ids = {box.enqueue(f"+1502555{n:04d}", f"text {n}", "content", T0) for n in range(40)}
    other = second_process_outbox(app)

    def claim_all(outbox):
        return lambda: [row.id for _ in range(20) for row in outbox.claim_due(T0, limit=3)]

    mine, theirs = run_together(claim_all(box), claim_all(other))
    assert set(mine).isdisjoint(theirs)
    assert sorted(mine + theirs) == sorted(ids)
    other.db.dispose()


@ON_BOTH
def test_two_senders_at_once_send_each_text_exactly_once(app, box, twilio):
    sids = iter(f"SM{n:032d}" for n in range(1000))
    twilio.add_callback("POST", MESSAGES_URL, callback=lambda request: (201, {}, json.dumps({"sid": next(sids)})))
    bodies = [f"text {n}" for n in range(30)]
    for n, body in enumerate(bodies):
        box.enqueue(f"+1502555{n:04d}", body, "content", T0)
    other = second_process_outbox(app)
    senders = [sender_from_config(app.config, outbox) for outbox in (box, other)]

    counts = run_together(*[lambda s=s: s.deliver_due(T0) for s in senders])

    assert sorted(sent_bodies(twilio)) == sorted(bodies)
    assert sum(c["sent"] for c in counts) == 30
    assert {row.status for row in box.list(100)} == {"sent"}
    assert len({row.twilio_sid for row in box.list(100)}) == 30
    other.db.dispose()


# ---- the worker and send_text --------------------------------------------------------------------

def test_send_text_wakes_the_worker_and_the_text_goes_out_without_waiting_for_a_poll(outbox_app, twilio):
    twilio.add(**accepted())
    app = outbox_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=60)
    worker = running_worker(app)
    box = app.extensions["ivr"].outbox
    try:
        assert worker.wait_for_rounds(1)  # the first round is over: the worker now waits 60 s
        with app.app_context():
            row_id = send_text(NUMBER, BODY, "booking_confirmation")
        assert worker.wait_for_rounds(2, timeout=10)  # woken: no poll went by
        assert box.get(row_id).status == "sent"
        assert sent_bodies(twilio) == [BODY]
    finally:
        worker.stop()
    assert not worker.running


def test_send_text_to_an_opted_out_number_returns_none(app, box, twilio):
    app.extensions["ivr"].sms.set_opted_out(phone_hash(NUMBER, SECRET), True, T0)
    with app.app_context():
        assert send_text(NUMBER, BODY, "content") is None
    assert [row.status for row in box.list()] == ["blocked"]


def test_the_worker_survives_a_failing_round(app, box, sender, twilio, monkeypatch, caplog):
    twilio.add(**accepted())
    real_recover = box.recover_stale
    failures = iter([RuntimeError("database went away")])

    def flaky_recover(now):
        for error in failures:
            raise error
        return real_recover(now)

    monkeypatch.setattr(box, "recover_stale", flaky_recover)
    row_id = box.enqueue(NUMBER, BODY, "content", T0)
    worker = OutboxWorker(box, sender, poll_seconds=60)
    worker.start()
    try:
        assert worker.wait_for_rounds(1)  # the round that failed
        assert worker.running and box.get(row_id).status == "pending"
        worker.wake()
        assert worker.wait_for_rounds(2)
        assert box.get(row_id).status == "sent"
    finally:
        worker.stop()
    assert "outbox worker round failed (RuntimeError)" in caplog.text


def test_create_app_starts_a_worker_only_when_asked_and_able(outbox_app, monkeypatch, caplog):
    assert running_worker(outbox_app()) is None  # OUTBOX_WORKER is off in tests
    unconfigured = outbox_app(OUTBOX_WORKER=True, TWILIO_FROM_NUMBER="")
    assert running_worker(unconfigured) is None
    assert "texts the line sends wait in the outbox" in caplog.text

    # `flask run --debug`: the reloader's watcher process sends nothing, its child does.
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert running_worker(outbox_app(OUTBOX_WORKER=True)) is None
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    child = outbox_app(OUTBOX_WORKER=True)
    worker = running_worker(child)
    assert worker is not None
    worker.stop()
    assert start_outbox_worker(child, child.extensions["ivr"].outbox) is not None
    running_worker(child).stop()


# ---- privacy -----------------------------------------------------------------------------------

def test_logs_and_errors_carry_no_number_and_no_text(app, box, sender, twilio, caplog):
    caplog.set_level(logging.DEBUG)
    twilio.add(**accepted())
    twilio.add(**refused(500, 20500))
    twilio.add(method="POST", url=MESSAGES_URL, body=requests.exceptions.ReadTimeout())
    twilio.add(**refused(400, 21211, "The 'To' number +15025550166 is not a valid phone number."))
    twilio.add(**refused(400, 21610, "Attempt to send to unsubscribed recipient +15025550155"))
    for number in (NUMBER, OTHER, "+15025550188", "+15025550166", "+15025550155"):
        box.enqueue(number, BODY, "content", T0)
        sender.deliver_due(T0)

    rows = box.list()
    assert [row.status for row in reversed(rows)] == ["sent", "pending", "pending", "failed", "blocked"]
    logged = caplog.text + " ".join(f"{row.last_error} {row!r}" for row in rows)
    for secret in ("5550123", "5550177", "5550188", "5550166", "5550155", BODY, "Your visit"):
        assert secret not in logged
    assert f"outbox {rows[0].id} blocked" in caplog.text  # ids, hashes and codes are there
    assert phone_hash("+15025550155", SECRET)[:12] in caplog.text
    assert "HTTP 400 code 21211" in caplog.text


# ---- the command line --------------------------------------------------------------------------

@pytest.fixture
def ivr_env(app, monkeypatch):
    """The environment the `ivr` command reads, for the same database as `app`."""
    for name in ("DATABASE_URL", "SECRET_KEY", "FLOWS_DIR", *TWILIO_ENV):
        monkeypatch.setenv(name, app.config[name])
    monkeypatch.setenv("IVR_ENV", "development")
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", AUTH_TOKEN)
    return app


def test_ivr_outbox_list_masks_numbers_and_never_shows_the_text(ivr_env):
    box = ivr_env.extensions["ivr"].outbox
    box.enqueue(NUMBER, BODY, "booking_confirmation", T0)
    result = CliRunner().invoke(ivr_command, ["outbox", "list"])
    assert result.exit_code == 0, result.output
    assert "***0123" in result.output and "booking_confirmation" in result.output and "pending" in result.output
    assert NUMBER not in result.output and "5550123" not in result.output and BODY not in result.output


def test_ivr_outbox_send_delivers_the_due_texts_once(ivr_env, twilio):
    twilio.add(**accepted())
    box = ivr_env.extensions["ivr"].outbox
    row_id = box.enqueue(NUMBER, BODY, "content", T0)
    result = CliRunner().invoke(ivr_command, ["outbox", "send"])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output and "0 waiting" in result.output
    assert box.get(row_id).status == "sent"
    assert CliRunner().invoke(ivr_command, ["outbox", "send"]).output.startswith("0 sent")
    assert len(twilio.calls) == 1


def test_ivr_outbox_send_refuses_without_twilio_settings(ivr_env, monkeypatch):
    monkeypatch.delenv("TWILIO_FROM_NUMBER")
    result = CliRunner().invoke(ivr_command, ["outbox", "send"])
    assert result.exit_code != 0
    assert "TWILIO_FROM_NUMBER" in result.output


def test_a_text_queued_in_a_transaction_wakes_the_worker_only_once_it_commits(outbox_app, twilio):
    """A booking's confirmation is queued in the booking's transaction: the worker is woken
    after the commit (woken before, it would find nothing and sleep a whole poll)."""
    twilio.add(**accepted())
    app = outbox_app(OUTBOX_WORKER=True, OUTBOX_POLL_SECONDS=60)
    worker, box, db = running_worker(app), app.extensions["ivr"].outbox, app.extensions["ivr"].db
    try:
        assert worker.wait_for_rounds(1)  # the first round is over: the worker now waits 60 s
        with app.app_context(), db.driver_begin() as tx:
            row_id = send_text(NUMBER, BODY, "booking_confirmation", tx=tx)
            assert not worker.wake_pending and tx.committed  # not committed yet: nobody woken
        assert worker.wait_for_rounds(2, timeout=10)  # the commit woke it: no 60 s poll went by
        assert box.get(row_id).status == "sent"
        assert sent_bodies(twilio) == [BODY]
    finally:
        worker.stop()


def test_a_text_queued_in_a_transaction_that_rolls_back_is_never_kept_or_sent(app, box, twilio):
    with pytest.raises(RuntimeError), app.app_context(), app.extensions["ivr"].db.driver_begin() as tx:
        send_text(NUMBER, BODY, "booking_confirmation", tx=tx)
        raise RuntimeError("the booking failed")
    assert box.list() == [] and sent_bodies(twilio) == []
