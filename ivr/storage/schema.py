"""Every table of the line, gathered on one MetaData for migrations and checks.

A module that defines a table on `db.metadata` is imported here, so Alembic sees it."""
from . import bookings, call_drafts, db, outbox, sms_store  # noqa: F401
from .db import metadata

for _optional in ("events", "rate_limit"):  # tables of the reporting and throttling modules
    try:
        __import__(f"{__package__}.{_optional}")
    except ModuleNotFoundError as error:
        if error.name != f"{__package__}.{_optional}":
            raise

__all__ = ["metadata"]
