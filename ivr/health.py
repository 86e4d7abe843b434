"""What the server is serving: every request is answered from one flow version (pinned when it
starts), and GET /healthz says which version that is and whether an edit was refused."""
from __future__ import annotations

import os

from flask import Blueprint, jsonify

from .observability.db_check import database_ok
from .services import services

bp = Blueprint("health", __name__)


@bp.before_app_request
def pin_flow() -> None:
    services().flows.pin()  # also picks up saved edits (at most one look a second)


@bp.teardown_app_request
def unpin_flow(_error) -> None:
    services().flows.unpin()


@bp.get("/healthz")
def healthz():
    """The flow version serving and when it loaded, the last refused edit with its first error,
    and which worker process answered (each one reloads on its own)."""
    db_ok, database = database_ok(services().db)  # 503 while the database does not answer
    report = {**services().flows.status(), "worker": os.getpid(), "database": database}
    if not db_ok:
        report["status"] = "database_unavailable"
    return jsonify(report), 200 if db_ok else 503
