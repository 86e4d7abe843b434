"""The appointment stores on one database, as the app's Services holds them, and a way to race
jobs against them from as many processes' worth of connections."""
from __future__ import annotations

import threading
from types import SimpleNamespace
from typing import Callable

from sqlalchemy import select

from ivr.storage.bookings import BookingStore
from ivr.storage.callbacks import CallbackStore
from ivr.storage.db import Database
from ivr.storage.slots import SlotStore


def appointments(db, secret: str) -> SimpleNamespace:
    return SimpleNamespace(slots=SlotStore(db), bookings=BookingStore(db, secret), callbacks=CallbackStore(db, secret))


def run_together(db_url: str, jobs: list, make: Callable[[Database], object]) -> list:
    """Each job(make(db)) in its own thread with its own database engine and connection, all let
    go at once by a barrier; returns what each returned or raised."""
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(index: int) -> None:
        own = Database(db_url)  # its own engine and connection, as another worker would have
        try:
            with own.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")  # connected before the start, not during the race
            barrier.wait(timeout=60)
            results[index] = jobs[index](make(own))
        except Exception as error:  # noqa: BLE001 - reported to the test as the job's result
            results[index] = error
        finally:
            own.dispose()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return results


def table_rows(app, table) -> list:
    """Every row of a table of the app's database, in the order they were written."""
    with app.extensions["ivr"].db.begin() as conn:
        return conn.execute(select(table).order_by(*table.primary_key.columns)).all()
