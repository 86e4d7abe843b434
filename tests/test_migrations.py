"""The Alembic migrations build exactly the schema the code uses, on SQLite and PostgreSQL,
and many processes starting at once migrate once."""
import threading

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from ivr.storage import migrate
from ivr.storage.db import Database
from ivr.storage.tables import metadata


@pytest.fixture
def database(db_url):
    """An empty database (not migrated: that is what is under test), on SQLite and PostgreSQL."""
    db = Database(db_url)
    yield db
    db.dispose()


def test_migrations_build_the_schema_the_code_expects(database):
    migrate.upgrade(database)
    assert migrate.current(database) == migrate.head()
    with database.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    indexes = {i["name"]: i for i in inspect(database.engine).get_indexes("bookings")}
    assert indexes["uq_slot_booked_once"]["unique"]


def test_upgrading_again_does_nothing(database):
    migrate.upgrade(database)
    migrate.upgrade(database)
    assert migrate.current(database) == migrate.head()


def test_many_workers_starting_together_migrate_once(database):
    barrier, errors = threading.Barrier(6), []

    def start():
        barrier.wait()
        try:
            migrate.upgrade(Database(database.url))
        except Exception as error:  # noqa: BLE001 - collected for the assertion
            errors.append(error)

    threads = [threading.Thread(target=start) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert migrate.current(database) == migrate.head()
