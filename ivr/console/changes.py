"""What every changing console view shares: who is acting, and the audit log entry for it."""
from __future__ import annotations

from flask_login import current_user

from .auth import accounts, client_address
from .login import now


def actor() -> str:
    return current_user.email


def record(action: str, target: str = "", detail: dict | None = None) -> None:
    """One audit entry for a change the signed-in staff member made (never a caller's data)."""
    accounts().audit.record(actor(), action, now(), str(target), detail, client_address())
