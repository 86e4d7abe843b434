"""The spine health information line: Flask webhooks for Twilio voice and SMS."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, abort, request

from . import config as settings
from .webhook_flask import NoSessions, WebhookRequest


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.request_class, app.session_interface = WebhookRequest, NoSessions()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.from_env(app.instance_path))
    app.config.update(overrides or {})
    _configure_logging(app.config["LOG_LEVEL"])
    for warning in settings.check(app.config):
        app.logger.warning(warning)

    from .flow.source import FlowSource
    from .observability.event_writer import EventWriter
    from .messaging.worker import start_outbox_worker
    from .services import Services
    from .storage.bookings import BookingStore
    from .storage.call_drafts import CallDrafts
    from .storage.db import Database
    from .storage.outbox import Outbox
    from .storage.optout_spool import OptOutSpool
    from .storage.rate_limit import RateLimiter
    from .storage.sms_store import SmsStore

    db = Database(app.config["DATABASE_URL"], app.config["DATABASE_BUSY_TIMEOUT_MS"])
    db.upgrade_schema()
    spool = OptOutSpool(app.config.get("OPTOUT_SPOOL") or Path(app.instance_path) / "pending-optouts.jsonl")
    sms_store = SmsStore(db, app.config["SMS_SESSION_MINUTES"], spool)
    app.extensions["ivr"] = Services(
        flows=FlowSource(app.config["FLOWS_DIR"]),
        db=db,
        sms=sms_store,
        outbox=Outbox(db, sms_store, app.config["SECRET_KEY"]),
        bookings=BookingStore(db, app.config["SECRET_KEY"]),
        drafts=CallDrafts(db),
        limiter=RateLimiter(db, app.config["SMS_RATE_LIMIT"], app.config["SMS_RATE_WINDOW"]),
        events=EventWriter(db, app.config["EVENTS_FLUSH_SECONDS"]),
    )
    if app.config["OUTBOX_WORKER"]:
        start_outbox_worker(app, app.extensions["ivr"].outbox)

    app.before_request(_refuse_oversized)  # first: before the signature check reads the form
    from . import health
    from .channels import sms, voice
    from .observability import bp as observability

    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    app.register_blueprint(health.bp)  # /healthz, and one flow version for each request
    app.register_blueprint(observability)  # /metrics, and the time each webhook takes
    return app


def _refuse_oversized() -> None:
    """413 for a body over MAX_CONTENT_LENGTH, before anything parses it.

    Werkzeug checks a declared Content-Length itself, but cuts a chunked body at the limit
    without a word; such a body is read here (at most the limit) and refused when it fills it."""
    limit = request.max_content_length
    if limit is None:
        return
    length = request.content_length
    if length is None:
        length = len(request.get_data(cache=True))  # cached: the form is parsed from it later
        if length >= limit:
            abort(413)
    elif length > limit:
        abort(413)


def _configure_logging(level: str) -> None:
    logger = logging.getLogger("ivr")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(level)
