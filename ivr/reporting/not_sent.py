"""The texts the line held back, from the outbox: opted out, a country not allowed, over a limit."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ..storage.tables import outbox
from ..storage.text_rules import REASONS

OPTED_OUT = "opted out"
NOT_SENT = (OPTED_OUT, *REASONS)  # why a text was not sent, as the report lists them


def texts_not_sent(conn, since: datetime, until: datetime) -> dict[str, int]:
    """Texts written in the range that were never sent: blocked (opted out) or refused (why)."""
    rows = conn.execute(select(outbox.c.last_error, func.count())
                        .where(outbox.c.created_at >= since, outbox.c.created_at < until,
                               outbox.c.status.in_(("blocked", "refused")))
                        .group_by(outbox.c.last_error)).all()
    counts = dict.fromkeys(NOT_SENT, 0)
    for reason, count in rows:
        if reason in counts:
            counts[reason] += count
    return counts
