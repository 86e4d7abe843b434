"""The hot statements of every text and call step, run on the database driver's own cursor.

SQLAlchemy Core stays the one place statements are written (and errors keep its types), but
running a statement through a Core connection costs about 100 µs of Python a time, ten times
what the driver itself takes, and most of a text's time went there. A `Prepared` statement is
compiled once for the database's dialect (its SQL, parameter order and type conversions), and a
`DriverTransaction` runs it on a connection from the same pool: the same SQL, converted the same
way, at driver speed. Errors come out as SQLAlchemy's (`DBAPIError` and its subclasses), a
connection found dead is dropped from the pool, and anything else leaves the transaction rolled
back, exactly as `Database.begin()` does.
"""
from __future__ import annotations

from collections import namedtuple
from typing import Callable, Sequence

from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError


class Prepared:
    """A Core statement (SELECT, or DML with or without RETURNING) compiled once for one dialect."""

    def __init__(self, statement, dialect: Dialect):
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("statements with expanding (IN) parameters are not prepared")
        self.sql: str = compiled.string
        self._compiled = compiled
        self._order: Sequence[str] | None = compiled.positiontup  # None: named parameters
        # By the name in the SQL (construct_params' keys): an anonymous bind (a literal value, a
        # None) is keyed "%(id param)s" in `binds` and only gets its name ("lease_until_1") here.
        self._bind = {compiled.bind_names[bind]: processor for bind in compiled.binds.values()
                      if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None}
        columns = getattr(statement, "exported_columns", ())
        self._row_type = namedtuple("Row", [c.key for c in columns], rename=True) if columns else None
        self._result: list[tuple[int, Callable]] = [
            (i, processor) for i, c in enumerate(columns)
            if (processor := c.type.dialect_impl(dialect).result_processor(dialect, None)) is not None]

    def parameters(self, values: dict) -> dict | tuple:
        """The driver's parameters: every bind filled in (defaults included) and converted."""
        params = self._compiled.construct_params(values)
        for name, processor in self._bind.items():
            params[name] = processor(params[name])
        if self._order is None:
            return params
        return tuple(params[name] for name in self._order)

    def row(self, raw: Sequence):
        """A driver row with its columns as attributes (`row.name`, as SQLAlchemy's rows), each
        value converted back as SQLAlchemy would."""
        values = list(raw)
        for i, processor in self._result:
            values[i] = processor(values[i])
        return self._row_type(*values)


class DriverTransaction:
    """Statements on one pooled driver connection, inside one transaction (see Database.driver_begin)."""

    def __init__(self, cursor, dbapi_error: type[Exception], dialect_name: str = "sqlite"):
        self._cursor = cursor
        self._dbapi_error = dbapi_error
        self._dialect_name = dialect_name
        self.committed: list[Callable[[], object]] = []  # run once the transaction has committed

    def after_commit(self, action: Callable[[], object]) -> None:
        """Run `action` once this transaction has committed (never if it rolls back)."""
        self.committed.append(action)

    def serialize(self, scope: int, key: str) -> None:
        """Hold `key` (a hex hash) until this transaction ends: transactions that serialize on the
        same key run one after the other, so a count read next is still true when the row goes
        in. PostgreSQL: a transaction-level advisory lock on (scope, the key's first 32 bits);
        SQLite, which has one writer at a time: its write lock, taken now (a transaction that has
        already written holds it)."""
        try:
            if self._dialect_name == "postgresql":
                self._cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", (scope, int(key[:8], 16) - 2 ** 31))
                self._cursor.fetchall()
            elif not self._cursor.connection.in_transaction:
                self._cursor.execute("BEGIN IMMEDIATE")
        except self._dbapi_error as error:
            raise DBAPIError.instance("serialize", None, error, self._dbapi_error, hide_parameters=True) from error

    def execute(self, prepared: Prepared, values: dict) -> None:
        self._run(prepared, values, fetch=False)

    def first(self, prepared: Prepared, values: dict):
        """The first row, or None (all rows are read: some drivers need that before the next
        statement, and RETURNING rows can still raise, e.g. a unique index)."""
        rows = self._run(prepared, values, fetch=True)
        return prepared.row(rows[0]) if rows else None

    def _run(self, prepared: Prepared, values: dict, fetch: bool) -> list | None:
        params = prepared.parameters(values)
        try:
            self._cursor.execute(prepared.sql, params)
            return self._cursor.fetchall() if fetch else None
        except self._dbapi_error as error:
            raise DBAPIError.instance(prepared.sql, None, error, self._dbapi_error,
                                      hide_parameters=True) from error
