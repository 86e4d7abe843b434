"""Claiming due rows so that of any number of workers (threads, processes, servers, cron) each
row goes to one only.

A claim is one UPDATE of the rows a SELECT picks, in one transaction:

- PostgreSQL: the SELECT locks what it picks `FOR UPDATE SKIP LOCKED`, so claimers racing each
  other take different rows instead of waiting for one another;
- SQLite: the transaction starts with `BEGIN IMMEDIATE`, taking the database's one write lock
  before it reads, so the rows read are the rows updated.

The claimed rows carry a lease (an owner and an end); a claimer that stops (a crash, a kill) stops
finishing them, and once the lease runs out they are due again.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from sqlalchemy import Select
from sqlalchemy.engine import Connection

from .db import Database


@contextmanager
def claiming(db: Database, durable: bool = True) -> Iterator[Connection]:
    """A transaction to claim rows in (see above)."""
    with db.begin(durable=durable) as conn:
        if db.sqlite:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        yield conn


def skip_locked(db: Database, pick: Select) -> Select:
    """The SELECT of rows to claim, skipping rows another claimer holds (PostgreSQL; SQLite has one writer)."""
    return pick if db.sqlite else pick.with_for_update(skip_locked=True)
