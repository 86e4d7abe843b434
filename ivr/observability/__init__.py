"""What staff and monitoring can see of the running line: GET /metrics (metrics.py, endpoint.py),
GET /healthz (health.py, with the database check of db_check.py), and each step recorded
(steps.py, into the events table). Nothing here ever holds a phone number or a caller's words."""
from __future__ import annotations

from .endpoint import bp as metrics_bp
from .health import bp as health_bp

BLUEPRINTS = (metrics_bp, health_bp)

__all__ = ["BLUEPRINTS"]
