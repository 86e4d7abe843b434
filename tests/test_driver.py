"""The hot statements run on the driver's cursor (ivr/storage/driver.py): the same rows, the same
types and the same errors as through SQLAlchemy, on SQLite and (IVR_TEST_DATABASE=postgresql) on
PostgreSQL."""
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError, OperationalError

from ivr.storage import migrate
from ivr.storage.db import Database
from ivr.storage.driver import Prepared
from ivr.storage.tables import call_drafts, sms_optouts, sms_sessions

from conftest import PROJECT_ROOT, test_database_url

WHEN = datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=timezone.utc)
COLUMNS = ("phone_hash", "node", "lang", "misses", "data", "updated_at", "expires_at")
READ = select(sms_sessions).where(sms_sessions.c.phone_hash == bindparam("phone_hash"))


@pytest.fixture
def db(tmp_path):
    database = Database(test_database_url(tmp_path))
    migrate.upgrade(database)
    yield database
    database.dispose()


def row(phone_hash="h1", **values):
    return {"phone_hash": phone_hash, "node": "treatment", "lang": "es", "misses": 2,
            "data": {"stage": "name", "offered": [3, 4], "name": "Ana"}, "updated_at": WHEN,
            "expires_at": WHEN + timedelta(hours=1), **values}


def utc(value: datetime) -> datetime:
    return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def test_a_row_written_on_the_driver_reads_back_the_same_through_sqlalchemy_and_the_driver(db):
    write = db.prepare(db.upsert_statement(sms_sessions, COLUMNS))
    with db.driver_begin() as tx:
        tx.execute(write, row())
    with db.begin() as conn:
        core = conn.execute(READ, {"phone_hash": "h1"}).one()
    with db.driver_begin() as tx:
        fast = tx.first(db.prepare(READ), {"phone_hash": "h1"})
    for got in (core, fast):
        assert (got.node, got.lang, got.misses, got.data) == ("treatment", "es", 2, row()["data"])
        assert utc(got.updated_at) == WHEN and utc(got.expires_at) == WHEN + timedelta(hours=1)
    assert type(fast.updated_at) is type(core.updated_at) and type(fast.data) is type(core.data)


def test_the_upsert_updates_and_a_missing_row_is_none(db):
    write = db.prepare(db.upsert_statement(sms_sessions, COLUMNS))
    with db.driver_begin() as tx:
        tx.execute(write, row())
        tx.execute(write, row(node="symptoms", data=None))
    with db.driver_begin() as tx:
        assert tx.first(db.prepare(READ), {"phone_hash": "h1"}).node == "symptoms"
        assert tx.first(db.prepare(READ), {"phone_hash": "h1"}).data is None
        assert tx.first(db.prepare(READ), {"phone_hash": "nobody"}) is None


def test_an_error_in_the_transaction_rolls_all_of_it_back(db):
    write = db.prepare(db.upsert_statement(sms_sessions, COLUMNS))
    with pytest.raises(RuntimeError):
        with db.driver_begin() as tx:
            tx.execute(write, row("kept-out"))
            raise RuntimeError("the step failed")
    with db.begin() as conn:
        assert conn.execute(READ, {"phone_hash": "kept-out"}).first() is None


def test_a_constraint_violation_is_sqlalchemys_integrity_error_and_the_pool_goes_on(db):
    insert = db.prepare(sms_optouts.insert())
    values = {"phone_hash": "h2", "opted_out": True, "updated_at": WHEN}
    with db.driver_begin() as tx:
        tx.execute(insert, values)
    with pytest.raises(IntegrityError) as raised:
        with db.driver_begin() as tx:
            tx.execute(insert, values)
    assert "parameters" not in str(raised.value)  # never quoted: they can hold numbers and words
    for _ in range(db.engine.pool.size() + 2):  # every pooled connection still works
        with db.driver_begin() as tx:
            assert tx.first(db.prepare(select(sms_optouts)), {}).opted_out is True


def test_an_unreachable_database_is_sqlalchemys_operational_error(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'gone' / 'ivr.sqlite3'}")
    with pytest.raises(OperationalError):
        with db.driver_begin() as tx:
            tx.first(db.prepare(READ), {"phone_hash": "h1"})


def test_a_prepared_statement_is_compiled_once_per_statement(db):
    statement = select(call_drafts)
    assert db.prepare(statement) is db.prepare(statement)
    assert db.prepare(select(call_drafts)) is not db.prepare(statement)


def test_literal_values_and_none_in_a_prepared_statement_are_converted_as_sqlalchemy_would(db):
    """A value written into the statement (a datetime, a None) is an anonymous bind parameter:
    it once failed with KeyError '%(... param)s' in parameters() (reminders skipped inside a cancel)."""
    with db.driver_begin() as tx:
        tx.execute(db.prepare(db.upsert_statement(sms_sessions, COLUMNS)), row())
    clear = (sms_sessions.update().where(sms_sessions.c.phone_hash == bindparam("key"),
                                         sms_sessions.c.updated_at == WHEN)
             .values(data=None, expires_at=WHEN + timedelta(days=2)).returning(sms_sessions.c.expires_at))
    with db.driver_begin() as tx:
        changed = tx.first(db.prepare(clear), {"key": "h1"})
    assert utc(changed.expires_at) == WHEN + timedelta(days=2)
    with db.begin() as conn:
        read = conn.execute(READ, {"phone_hash": "h1"}).one()
    assert (read.data, utc(read.expires_at)) == (None, WHEN + timedelta(days=2))


def test_statements_with_expanding_parameters_are_refused(db):
    with pytest.raises(ValueError, match="expanding"):
        Prepared(select(sms_optouts).where(sms_optouts.c.phone_hash.in_(["a", "b"])), db.engine.dialect)


def test_the_package_imports_in_any_order():
    """ivr.messaging and ivr.cli imported first (as a script or the CLI does) once failed on an
    import cycle through ivr.services."""
    for module in ("ivr.messaging", "ivr.cli", "ivr.services", "ivr.observability"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], cwd=PROJECT_ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
