"""The database: SQLite by default, PostgreSQL through DATABASE_URL. SQLAlchemy Core only."""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import (Boolean, Column, DateTime, Integer, MetaData, String, Table, create_engine,
                        event)
from sqlalchemy.engine import Connection, Engine

metadata = MetaData()

sms_sessions = Table(
    "sms_sessions", metadata,
    Column("phone_hash", String(64), primary_key=True),
    Column("node", String(100), nullable=False),
    Column("lang", String(8), nullable=False),
    Column("misses", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False, index=True),
)

sms_optouts = Table(
    "sms_optouts", metadata,
    Column("phone_hash", String(64), primary_key=True),
    Column("opted_out", Boolean, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything stored is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
    cursor.execute("PRAGMA busy_timeout=5000")  # wait for a lock rather than fail at once
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    def __init__(self, url: str):
        self.url = url
        if url.startswith("sqlite"):
            self.engine: Engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 5})
            event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_engine(url, pool_pre_ping=True)

    def create_tables(self) -> None:
        metadata.create_all(self.engine)

    def begin(self) -> Connection:
        """A transaction: `with db.begin() as conn: ...` commits, or rolls back on error."""
        return self.engine.begin()

    def upsert(self, conn: Connection, table: Table, values: dict) -> None:
        """Insert a row, or update it where its primary key exists (atomic on both databases)."""
        keys = [c.name for c in table.primary_key.columns]
        if self.engine.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert
        statement = insert(table).values(**values)
        changes = {k: statement.excluded[k] for k in values if k not in keys}
        conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))

    def dispose(self) -> None:
        self.engine.dispose()
