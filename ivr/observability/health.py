"""GET /healthz: the flow version serving and when it loaded, the last refused edit with its
first error, whether the database answers, and which worker process answered (each reloads on
its own)."""
from __future__ import annotations

import os

from flask import Blueprint, jsonify

from ..services import services
from .db_check import database_ok

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    db_ok, database = database_ok(services().db)  # 503 while the database does not answer
    report = {**services().flows.status(), "worker": os.getpid(), "database": database}
    if not db_ok:
        report["status"] = "database_unavailable"
    return jsonify(report), 200 if db_ok else 503
