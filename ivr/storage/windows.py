"""A count per key in a fixed window, kept in one row and updated by one atomic statement: the
shape the SMS throttle and the sign-in throttle share."""
from __future__ import annotations

from sqlalchemy import Table, bindparam, case

from .db import Database


def count_in_window(db: Database, table: Table, key: str, start: str, count: str):
    """INSERT ... ON CONFLICT DO UPDATE that opens a window (count 1) at `now`, or adds one to
    the open window; RETURNING the count after. Parameters: the key column's name, `now`, and
    `opened_after` (a window that started at or before it is over)."""
    columns = table.c
    statement = db.upsert_insert(table).values({key: bindparam(key), start: bindparam("now"), count: 1})
    window_open = columns[start] > bindparam("opened_after", type_=columns[start].type)
    return statement.on_conflict_do_update(
        index_elements=[columns[key]],
        set_={count: case((window_open, columns[count] + 1), else_=1),
              start: case((window_open, columns[start]), else_=statement.excluded[start])},
    ).returning(columns[count])
