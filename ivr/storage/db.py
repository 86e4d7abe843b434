"""The database handle: SQLite by default, PostgreSQL through DATABASE_URL. SQLAlchemy Core only.

The tables are in tables.py; migrate.py brings a database up to date with them."""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Table, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from .driver import DriverTransaction, Prepared

# SQLite durability. A commit at `synchronous=FULL` is flushed to the disk before it returns;
# at NORMAL it survives the app crashing but not a power cut (the last commits may roll back;
# the file is never corrupted). Connections start at NORMAL, and every transaction that does
# not say otherwise (durable=False) switches to FULL for its commit: bookings, call-back
# requests, opt-outs and queued texts are never lost. Only where a texter is in a menu, the
# throttle's counts, call drafts and events use NORMAL: losing their last second to a power cut
# costs someone one step, while a flush per text cost most of a text's time. A FULL commit
# flushes the whole log, the NORMAL commits before it included.
FAST, SAFE = "PRAGMA synchronous=NORMAL", "PRAGMA synchronous=FULL"


def _sqlite_pragmas(busy_timeout_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")  # wait for a lock, then fail
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(FAST)
        cursor.close()

    return on_connect


class Database:
    def __init__(self, url: str, busy_timeout_ms: int = 5000):
        self.url = url
        self.sqlite = url.startswith("sqlite")
        self._upserts: dict[tuple[str, tuple[str, ...]], object] = {}
        self._prepared: dict[object, Prepared] = {}  # by statement: Core statements hash by identity
        if url.startswith("sqlite"):
            self.engine: Engine = create_engine(
                url, connect_args={"check_same_thread": False, "timeout": busy_timeout_ms / 1000},
                hide_parameters=True)  # errors never quote a phone number or a message
            event.listen(self.engine, "connect", _sqlite_pragmas(busy_timeout_ms))
        else:
            self.engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)

    @contextmanager
    def begin(self, durable: bool = True) -> Iterator[Connection]:
        """A transaction: `with db.begin() as conn: ...` commits, or rolls back on error.

        durable=False: on SQLite, the commit is not flushed to disk (see FAST above); only for
        what may be lost to a power cut."""
        with self.engine.connect() as conn:
            switch = durable and self.sqlite
            if switch:
                self._pragma(conn, SAFE)
            try:
                with conn.begin():
                    yield conn
            finally:
                if switch:
                    try:
                        self._pragma(conn, FAST)
                    except DBAPIError:
                        pass  # the connection stays at FULL: slower, never less safe

    def prepare(self, statement) -> Prepared:
        """The statement compiled once for this database, for driver_begin()'s transactions.
        Kept for the life of the process: only for statements built once (module constants,
        what a store builds in its constructor), never one built per request."""
        prepared = self._prepared.get(statement)
        if prepared is None:
            prepared = self._prepared[statement] = Prepared(statement, self.engine.dialect)
        return prepared

    @contextmanager
    def driver_begin(self, durable: bool = True) -> Iterator[DriverTransaction]:
        """begin() for the hot paths: a transaction on the driver's own connection, from the same
        pool, running Prepared statements (see driver.py). Commits, or rolls back on error; the
        errors are SQLAlchemy's; a connection found dead is dropped from the pool."""
        dbapi_error = self.engine.dialect.dbapi.Error
        try:
            raw = self.engine.raw_connection()
        except dbapi_error as error:  # the pool hands the driver's connect error on as it is
            raise DBAPIError.instance(None, None, error, dbapi_error, hide_parameters=True) from error
        switch, cursor = durable and self.sqlite, None
        try:
            try:
                if switch:
                    raw.driver_connection.execute(SAFE)
                cursor = raw.cursor()
                tx = DriverTransaction(cursor, dbapi_error, self.engine.dialect.name)
                yield tx
                raw.commit()
            except dbapi_error as error:  # the pragma or the commit
                raise DBAPIError.instance("COMMIT", None, error, dbapi_error, hide_parameters=True) from error
        except BaseException as error:
            self._abandon(raw, cursor, getattr(error, "orig", error))
            raise
        else:
            for action in tx.committed:
                action()
        finally:
            if switch and raw.dbapi_connection is not None:
                try:
                    raw.driver_connection.execute(FAST)
                except dbapi_error:
                    pass  # the connection stays at FULL: slower, never less safe
            if cursor is not None:
                try:
                    cursor.close()
                except dbapi_error:
                    pass
            raw.close()  # back to the pool

    def _abandon(self, raw, cursor, error: BaseException) -> None:
        """Roll back a failed transaction, or drop its connection when it died."""
        dialect = self.engine.dialect
        try:
            if isinstance(error, dialect.dbapi.Error) and dialect.is_disconnect(error, raw.dbapi_connection, cursor):
                raw.invalidate(error)
            else:
                raw.rollback()
        except Exception:  # noqa: BLE001 - cannot even roll back: the connection is no use
            raw.invalidate()

    def _pragma(self, conn: Connection, statement: str) -> None:
        """A setting on the driver's own connection: not a statement of any transaction. Its
        errors are SQLAlchemy's, like every other database error the callers handle."""
        dbapi = self.engine.dialect.dbapi
        try:
            conn.connection.driver_connection.execute(statement)
        except dbapi.Error as error:
            raise DBAPIError.instance(statement, None, error, dbapi.Error) from error

    def upsert_insert(self, table: Table):
        """An INSERT that can take ON CONFLICT DO UPDATE: this database's own dialect of it."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    def upsert(self, conn: Connection, table: Table, values: dict) -> None:
        """Insert a row, or update it where its primary key exists (atomic on both databases)."""
        conn.execute(self.upsert_statement(table, tuple(values)), values)

    def upsert_statement(self, table: Table, columns: tuple[str, ...]):
        """Built once for each table and set of columns: building it cost more than running it."""
        statement = self._upserts.get((table.name, columns))
        if statement is None:
            keys = [c.name for c in table.primary_key.columns]
            insert = self.upsert_insert(table)
            statement = insert.on_conflict_do_update(
                index_elements=keys, set_={k: insert.excluded[k] for k in columns if k not in keys})
            self._upserts[(table.name, columns)] = statement
        return statement

    def dispose(self) -> None:
        self.engine.dispose()
