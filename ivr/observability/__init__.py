"""What staff and monitoring can see of the running line: GET /metrics (metrics.py, endpoint.py),
a step-by-step record of conversations (steps.py, into the events table), a database check for
/healthz (db_check.py). Nothing here ever holds a phone number or a caller's words."""
from __future__ import annotations

from .endpoint import bp

__all__ = ["bp"]
