"""The database failing under a running line: callers still hear everything, booking says it is
unavailable and offers a person, texters get a short apology, opt-outs are never lost, nothing
stored is lost, and the line recovers by itself when the database returns."""
import contextlib
import shutil
import sqlite3
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr.app import create_app
from ivr.simulate.phone import Phone, Signer, Texter
from ivr.storage.tables import bookings, sms_optouts

from booking_fakes import NOW
from conftest import AUTH_TOKEN, make_config
from postgres import Cluster, find_bin_dir

CALLER = "+15025550123"
TOPIC_KEYS = [("1", "1"), ("1", "2"), ("1", "3"), ("1", "4"), ("2", None), ("3", "1"), ("3", "2"), ("3", "3"),
              ("4", None)]


def make_app(tmp_path, **overrides):
    app = create_app(make_config(tmp_path, CLOCK=lambda: NOW, **overrides))
    app.extensions["ivr"].slots.add_slots(NOW + timedelta(days=1), timedelta(minutes=30), 4, "", 30, NOW)
    return app


@contextlib.contextmanager
def sqlite_unreachable(app, tmp_path):
    """The database file's folder disappears (a lost disk or mount), then comes back."""
    db = app.extensions["ivr"].db
    folder = tmp_path / "db"
    db.engine.dispose()
    folder.rename(tmp_path / "db-away")
    try:
        yield
    finally:
        (tmp_path / "db-away").rename(folder)


@pytest.fixture
def app(tmp_path):
    (tmp_path / "db").mkdir()
    return make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db' / 'ivr.sqlite3'}",
                    DATABASE_BUSY_TIMEOUT_MS=200)


def hear_every_topic(signer, flow):
    for menu_key, page_key in TOPIC_KEYS:
        phone = Phone(signer)
        phone.call()
        phone.press("1")
        turn = phone.press(menu_key)
        if page_key:
            turn = phone.press(page_key)
        assert flow.phrase("voice_error", "en") not in turn.text and turn.waiting == "gather"
        node = next(n for n in flow.nodes.values() if n.say and n.say["en"] in turn.text)
        assert node.type in ("page", "emergency", "menu")


def test_callers_hear_all_the_content_while_the_database_is_down(app, tmp_path, signer, flow):
    with sqlite_unreachable(app, tmp_path):
        hear_every_topic(signer, flow)


def test_booking_says_unavailable_and_offers_a_person_while_the_database_is_down(app, tmp_path, phone, flow):
    phone.call()
    phone.press("1")
    with sqlite_unreachable(app, tmp_path):
        turn = phone.press("5")
        assert flow.phrase("book_unavailable", "en", phone=flow.line.clinic_phone) in turn.text
        assert phone.press("0").waiting == "dial"


def test_a_booking_in_progress_fails_safely_and_completes_after_recovery(app, tmp_path, phone):
    phone.call()
    phone.press("1")
    phone.press("5")
    phone.press("1")
    phone.press("1")
    phone.say("Jane Public")
    with sqlite_unreachable(app, tmp_path):
        assert "booking is not available right now" in phone.press("1").text
    assert "For Wednesday" in phone.say("I want an appointment").text
    phone.press("1")
    phone.press("1")
    phone.say("Jane Public")
    assert "You are booked" in phone.press("1").text


def test_texters_get_a_short_apology_then_service_returns_by_itself(app, tmp_path, texter, flow):
    assert "1 Symptoms" in texter.send("hi")
    with sqlite_unreachable(app, tmp_path):
        reply = texter.send("treatment")
        assert reply == flow.phrase("sms_error", "en") and len(reply) < 160
    assert texter.send("treatment").startswith(flow.nodes["treatment"].sms["en"][:30])


def test_an_opt_out_while_the_database_is_down_is_kept_and_applied(app, tmp_path, signer, flow):
    texter = Texter(signer, CALLER)
    texter.send("hi")
    with sqlite_unreachable(app, tmp_path):
        assert "unsubscribed" in texter.send("STOP")
    assert texter.send("menu") is None  # applied as soon as the database answered
    outbox = app.extensions["ivr"].outbox
    assert outbox.enqueue(CALLER, "a reminder", "content", NOW) is None
    with app.extensions["ivr"].db.begin() as conn:
        assert [r.opted_out for r in conn.execute(select(sms_optouts))] == [True]


def test_the_outbox_sees_a_spooled_opt_out_before_any_text_goes_out(app, tmp_path, signer):
    texter = Texter(signer, CALLER)
    with sqlite_unreachable(app, tmp_path):
        texter.send("STOP")
    # No text message came in since; the first thing to touch the database is the outbox.
    assert app.extensions["ivr"].outbox.enqueue(CALLER, "a reminder", "content", NOW) is None


def test_nothing_stored_is_lost(app, tmp_path, texter):
    texter.send("BOOK")
    texter.send("1")
    texter.send("Sam Lee")
    assert texter.send("YES").startswith("Booked")
    with sqlite_unreachable(app, tmp_path):
        texter.send("hello")
    with app.extensions["ivr"].db.begin() as conn:
        assert [(b.name, b.status) for b in conn.execute(select(bookings))] == [("Sam Lee", "booked")]


def test_a_locked_database_gets_an_apology_for_texts_and_content_for_callers(app, tmp_path, signer, flow):
    texter = Texter(signer, CALLER)
    texter.send("hi")
    locker = sqlite3.connect(tmp_path / "db" / "ivr.sqlite3", timeout=0)
    locker.execute("BEGIN EXCLUSIVE")
    try:
        assert texter.send("treatment") == flow.phrase("sms_error", "en")
        hear_every_topic(signer, flow)
    finally:
        locker.rollback()
        locker.close()
    assert texter.send("treatment").startswith(flow.nodes["treatment"].sms["en"][:30])


@pytest.fixture
def own_postgres():
    """A PostgreSQL server of this test's own, so stopping it disturbs no other test."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        pytest.skip("PostgreSQL server binaries not found")
    root = Path(tempfile.mkdtemp(prefix="ivr-pg-fault-"))  # reachable by the server's own user
    cluster = Cluster(bin_dir, root)
    cluster.start()
    yield cluster
    cluster.stop()
    shutil.rmtree(root, ignore_errors=True)


def test_postgres_going_down_and_coming_back(own_postgres, tmp_path, flow):
    cluster = own_postgres
    app = make_app(tmp_path, DATABASE_URL=cluster.url("postgres"))
    signer = Signer(app.test_client(), AUTH_TOKEN)
    texter = Texter(signer, CALLER)
    assert "1 Symptoms" in texter.send("hi")
    # A clean shutdown: the throwaway server runs without durable commits, so a crash-stop
    # could lose the schema itself, which is not the outage under test.
    cluster.run("pg_ctl", "-D", str(cluster.data), "-m", "fast", "-w", "stop")
    try:
        assert texter.send("treatment") == flow.phrase("sms_error", "en")
        assert "unsubscribed" in Texter(signer, "+15025550999").send("STOP")
        hear_every_topic(signer, flow)
    finally:
        options = f"-h 127.0.0.1 -p {cluster.port} -k {cluster.root} -c fsync=off"
        cluster.run("pg_ctl", "-D", str(cluster.data), "-l", str(cluster.log), "-w", "-o", options, "start")
    assert texter.send("treatment").startswith(flow.nodes["treatment"].sms["en"][:30])
    assert Texter(signer, "+15025550999").send("menu") is None  # the spooled opt-out held
