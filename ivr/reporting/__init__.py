"""What happened on the line, for staff: `ivr report` and the console's figures.

From the events table: calls and texts, where people went, where the line failed to understand
them, emergency guidance, transfers, bookings, opt-outs and where conversations ended; from the
outbox, the texts the line did not send. Whole clinic days are read from the daily figures kept as
steps are written (daily.py); any other range from the steps themselves (from_steps.py), which
define every figure."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from ..storage.db import Database
from .daily import days, recount_figures, report_for_days
from .figures import Day, MenuAnswers, NodeFigures, Report
from .from_steps import report_from_steps
from .line_paths import drop_off, main_paths, transfer_nodes
from .not_sent import NOT_SENT, OPTED_OUT

__all__ = ["NOT_SENT", "OPTED_OUT", "Day", "MenuAnswers", "NodeFigures", "Report", "build_report", "days",
           "drop_off", "main_paths", "recount_figures", "report_for_days", "report_from_steps", "transfer_nodes"]


def build_report(db: Database, since: datetime, until: datetime, transfer_nodes: Iterable[str] = (),
                 version: int | None = None) -> Report:
    """The figures for steps at or after `since` and before `until`. From midnight to midnight of
    one time zone (ZoneInfo) they come from the daily figures; otherwise from the steps."""
    zone = since.tzinfo
    whole_days = (isinstance(zone, ZoneInfo) and until.tzinfo is zone and since.timetz().replace(tzinfo=None) == time()
                  and until.timetz().replace(tzinfo=None) == time() and until.date() > since.date())
    if whole_days:
        return report_for_days(db, since.date(), until.date() - timedelta(days=1), zone, transfer_nodes, version)
    return report_from_steps(db, since, until, transfer_nodes, version)
