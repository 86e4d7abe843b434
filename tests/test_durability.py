"""On SQLite, what must never be lost is committed with a full flush to disk; only a texter's
place, the throttle's counts, call drafts and events are committed without one. Checked on the
statements SQLite itself runs (its trace), through the real webhooks."""
from __future__ import annotations

import re
from collections import defaultdict
from datetime import timedelta

import pytest
from sqlalchemy import event

from ivr.app import create_app
from ivr.simulate.phone import Phone, Signer, Texter
from ivr.storage import migrate
from ivr.storage.db import Database

from booking_fakes import NOW
from conftest import AUTH_TOKEN, make_config

WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+(\w+)", re.IGNORECASE)
SYNC = re.compile(r"PRAGMA synchronous\s*=\s*(\w+)", re.IGNORECASE)
MUST_SURVIVE = {"bookings", "callbacks", "sms_optouts", "outbox"}
MAY_BE_LOST = {"sms_sessions", "sms_rate", "call_drafts", "events"}


class Trace:
    """Each write SQLite runs, with the table and the connection's synchronous setting then."""

    def __init__(self, db: Database):
        self.writes: list[tuple[str, str]] = []
        self.level: dict[int, str] = defaultdict(lambda: "NORMAL")  # what on_connect sets
        db.engine.dispose()  # new connections, each traced from its start
        event.listen(db.engine, "connect", self._attach)

    def _attach(self, dbapi_connection, _record) -> None:
        key = id(dbapi_connection)
        dbapi_connection.set_trace_callback(lambda sql: self._seen(key, sql))

    def _seen(self, key: int, sql: str) -> None:
        setting = SYNC.search(sql)
        if setting:
            self.level[key] = setting.group(1).upper()
        write = WRITE.match(sql)
        if write:
            self.writes.append((write.group(2).lower(), self.level[key]))

    def levels(self, table: str) -> set[str]:
        return {level for name, level in self.writes if name == table}


@pytest.fixture
def traced(tmp_path):
    """An app on SQLite, whatever database the rest of the suite runs on: this is about SQLite."""
    def make(**overrides):
        url = f"sqlite:///{tmp_path / 'traced.sqlite3'}"
        app = create_app(make_config(tmp_path, CLOCK=lambda: NOW, DATABASE_URL=url, **overrides))
        app.extensions["ivr"].slots.add_slots(NOW + timedelta(days=1), timedelta(minutes=30), 4, "", 30, NOW)
        return app, Trace(app.extensions["ivr"].db)
    return make


def test_bookings_opt_outs_and_texts_are_flushed_the_rest_is_not(traced):
    app, trace = traced()
    signer = Signer(app.test_client(), AUTH_TOKEN)
    texter = Texter(signer)
    for body in ("BOOK", "1", "Sam Lee", "YES"):  # a booking by text
        texter.send(body)
    phone = Phone(signer, caller="+15025550177")
    phone.call()
    phone.press("1")
    phone.say("I want to make an appointment")
    phone.press("1")
    phone.say("yes")
    phone.say("Maria Gonzalez")
    assert "You are booked" in phone.press("1").text  # and a confirmation text is queued
    texter.send("STOP")

    tables = {name for name, _ in trace.writes}
    assert {"bookings", "outbox", "sms_optouts", "sms_sessions", "sms_rate", "call_drafts", "events"} <= tables
    for table in MUST_SURVIVE & tables:
        assert trace.levels(table) == {"FULL"}, table
    for table in MAY_BE_LOST & tables:
        assert trace.levels(table) == {"NORMAL"}, table


def test_a_call_back_request_is_flushed(traced):
    app, trace = traced(OFFICE_HOURS="Mon-Fri 08:00-08:00")  # never open
    phone = Phone(Signer(app.test_client(), AUTH_TOKEN))
    phone.call()
    phone.press("1")
    phone.press("0")
    phone.press("1")
    phone.say("Jane Public")
    phone.press("1")
    assert trace.levels("callbacks") == {"FULL"}


def test_a_connection_goes_back_to_the_fast_setting_after_a_durable_transaction(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate.upgrade(db)

    def setting(durable: bool) -> int:
        with db.begin(durable=durable) as conn:
            return conn.exec_driver_sql("PRAGMA synchronous").scalar()

    assert setting(durable=False) == 1  # NORMAL
    assert setting(durable=True) == 2  # FULL, for this transaction only
    assert setting(durable=False) == 1
    with pytest.raises(RuntimeError):
        with db.begin() as conn:
            conn.exec_driver_sql("SELECT 1")
            raise RuntimeError("a failed transaction")
    assert setting(durable=False) == 1  # after a rollback too
