"""Steps are written to the events table in batches, off the request path: in order, nothing
lost while the database is down, written out when the process exits, bounded in memory."""
from __future__ import annotations

import logging
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from ivr.app import create_app
from ivr.config import PROJECT_ROOT
from ivr.simulate.phone import Phone, Signer
from ivr.storage import migrate
from ivr.storage.db import Database
from ivr.storage.event_writer import EventWriter
from ivr.storage.events import Step
from ivr.storage.tables import events

from conftest import make_config

AT = datetime(2030, 12, 1, 15, 0, tzinfo=timezone.utc)


def step(n: int) -> Step:
    return Step("voice", f"call-{n}", "caller-hash", f"node-{n}", "", "key", "option", "en", True)


def written(db: Database) -> list[str]:
    with db.begin(durable=False) as conn:
        return [row.node for row in conn.execute(select(events.c.node).order_by(events.c.id))]


def test_steps_wait_in_memory_then_go_in_one_batch_in_order(db):
    writer = EventWriter(db, flush_seconds=3600)  # the thread will not get to it first
    for n in range(5):
        writer.add(step(n), AT + timedelta(seconds=n))
    assert written(db) == [] and writer.pending == 5
    assert writer.flush() == 5
    assert written(db) == [f"node-{n}" for n in range(5)] and writer.pending == 0
    writer.close()


def test_the_background_thread_writes_them_within_the_interval(db):
    writer = EventWriter(db, flush_seconds=0.05)
    writer.add(step(1), AT)
    assert writer.wait_written(1, timeout=5)
    assert written(db) == ["node-1"]
    writer.close()


def test_zero_seconds_writes_each_step_at_once(db):
    writer = EventWriter(db, flush_seconds=0)
    writer.add(step(1), AT)
    assert written(db) == ["node-1"] and writer.pending == 0


def test_while_the_database_is_down_steps_are_kept_and_written_later(tmp_path, caplog):
    folder = tmp_path / "db"
    folder.mkdir()
    db = Database(f"sqlite:///{folder / 'ivr.sqlite3'}", busy_timeout_ms=100)
    migrate.upgrade(db)
    writer = EventWriter(db, flush_seconds=3600)
    writer.add(step(1), AT)
    db.engine.dispose()
    folder.rename(tmp_path / "away")  # the disk is gone
    writer.add(step(2), AT)
    caplog.set_level(logging.WARNING, logger="ivr.events")
    writer.close(timeout=0)  # tries, fails, keeps them
    assert writer.pending == 2
    assert any("2 steps not recorded yet" in r.getMessage() for r in caplog.records)
    (tmp_path / "away").rename(folder)
    writer.add(step(3), AT)
    assert writer.flush() == 3
    assert written(db) == ["node-1", "node-2", "node-3"]


def test_a_long_outage_keeps_the_newest_steps_and_says_how_many_were_lost(tmp_path, caplog):
    folder = tmp_path / "db"
    folder.mkdir()
    db = Database(f"sqlite:///{folder / 'ivr.sqlite3'}", busy_timeout_ms=100)
    migrate.upgrade(db)
    db.engine.dispose()
    folder.rename(tmp_path / "away")
    writer = EventWriter(db, flush_seconds=3600, max_pending=3)
    for n in range(5):
        writer.add(step(n), AT)
    caplog.set_level(logging.WARNING, logger="ivr.events")
    writer.close(timeout=0)
    assert writer.pending == 3 and writer.dropped == 2
    assert any("2 steps were never recorded" in r.getMessage() for r in caplog.records)
    (tmp_path / "away").rename(folder)
    writer.flush()
    assert written(db) == ["node-2", "node-3", "node-4"]


def test_the_webhooks_queue_their_steps_and_the_app_writes_them(tmp_path):
    app = create_app(make_config(tmp_path, EVENTS_FLUSH_SECONDS=3600))
    services = app.extensions["ivr"]
    phone = Phone(Signer(app.test_client(), "test-auth-token-0123456789abcdef"))
    phone.call()
    phone.press("1")
    assert written(services.db) == [] and services.events.pending == 2
    services.events.flush()
    assert written(services.db) == ["_language", "main"]
    services.events.close()


def test_steps_still_queued_are_written_when_the_process_exits(tmp_path):
    """A worker that gunicorn stops exits normally: what it queued is written on the way out."""
    script = textwrap.dedent(f"""
        import sys
        sys.path[:0] = [{str(PROJECT_ROOT / 'tests')!r}, {str(PROJECT_ROOT)!r}]
        from pathlib import Path
        from conftest import make_config, AUTH_TOKEN
        from ivr.app import create_app
        from ivr.simulate.phone import Phone, Signer
        app = create_app(make_config(Path({str(tmp_path)!r}), EVENTS_FLUSH_SECONDS=3600,
                                     DATABASE_URL={f"sqlite:///{tmp_path / 'ivr.sqlite3'}"!r}))
        phone = Phone(Signer(app.test_client(), AUTH_TOKEN))
        phone.call()
        phone.press("1")
        phone.press("2")
        assert app.extensions["ivr"].events.pending == 3
        sys.exit(0)
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    db = Database(f"sqlite:///{tmp_path / 'ivr.sqlite3'}")
    with db.begin(durable=False) as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar() == 3


@pytest.mark.parametrize("flush_seconds", [0, 3600])
def test_recording_never_breaks_a_call(tmp_path, flush_seconds):
    app = create_app(make_config(tmp_path, EVENTS_FLUSH_SECONDS=flush_seconds))
    with app.extensions["ivr"].db.begin() as conn:
        conn.exec_driver_sql("DROP TABLE events")
    phone = Phone(Signer(app.test_client(), "test-auth-token-0123456789abcdef"))
    assert phone.call().waiting == "gather"
    assert phone.press("1").waiting == "gather"
    app.extensions["ivr"].events.close(timeout=0)  # the batch fails too, and is only logged
