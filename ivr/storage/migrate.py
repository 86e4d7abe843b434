"""Bringing a database's schema up to date with Alembic, safely from many processes at once.

Every gunicorn worker (and every server) runs this at start-up: a lock makes the first one
migrate and the others wait and find nothing to do."""
from __future__ import annotations

import contextlib
import fcntl
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from .db import Database

MIGRATIONS = Path(__file__).parent / "migrations"
ADVISORY_LOCK = 7_420_001  # any constant; PostgreSQL's lock for "the line is migrating"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@contextlib.contextmanager
def _migration_lock(db: Database, conn):
    if db.engine.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": ADVISORY_LOCK})
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": ADVISORY_LOCK})
            conn.commit()
        return
    database = db.engine.url.database
    lock_path = Path(f"{database}.migrate-lock") if database and database != ":memory:" else None
    if lock_path is None:
        yield
        return
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def upgrade(db: Database) -> None:
    """Migrate to the newest schema; a no-op (one query) when it is already there."""
    target = head()
    if current(db) == target:
        return
    with db.engine.connect() as conn, _migration_lock(db, conn):
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
