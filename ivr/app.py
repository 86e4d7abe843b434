"""The app factory: `create_app()` wires the line together, in this order:

1. settings from the environment (config.py), with overrides (tests, trials);
2. the services: the stores on one database and the flow's versions (services/, versions/);
3. the database schema brought up to date (storage/migrate.py: Alembic, one process at a time),
   then the live flow version loaded and checked (a flow that cannot be served never starts);
4. the webhooks (channels/) and what monitoring reads (observability/), each flow version pinned
   for a whole request (flow/source.py); the staff console (console/), an app of its own
   mounted at /console;
5. the background work of this process: the outbox worker that sends queued texts, and the
   reminders worker that queues reminders and waitlist offers (messaging/).
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, abort, request

from . import config as settings
from . import services
from .channels import sms, voice
from .console import create_console, mount, warn_without_accounts
from .messaging.reminder_worker import start_reminder_worker
from .messaging.worker import start_outbox_worker
from .observability import BLUEPRINTS
from .storage import migrate
from .webhook_flask import NoSessions, WebhookRequest


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask("ivr")
    app.request_class, app.session_interface = WebhookRequest, NoSessions()
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.from_env(app.instance_path))
    app.config.update(overrides or {})
    _configure_logging(app.config["LOG_LEVEL"])
    for warning in settings.check(app.config):
        app.logger.warning(warning)

    svc = services.build(app.config, app.instance_path)
    app.extensions[services.EXTENSION] = svc
    migrate.upgrade(svc.db)
    # The live flow version (the first start makes FLOWS_DIR's files version 1); a command line's
    # app runs without one (FLOW_REQUIRED=False), so `ivr flows publish` can ship a fix.
    svc.flows.start(required=app.config.get("FLOW_REQUIRED", True))

    app.before_request(_refuse_oversized)  # first: before the signature check reads the form
    svc.flows.init_app(app)  # one flow version for the whole of each request
    for blueprint in (voice.bp, sms.bp, *BLUEPRINTS):
        app.register_blueprint(blueprint)
    mount(app, create_console(svc, app.config, create_app))
    warn_without_accounts(app)

    outbox_worker = start_outbox_worker(app, svc.outbox) if app.config["OUTBOX_WORKER"] else None
    reminders = app.config.get("REMINDERS_WORKER")
    if app.config["OUTBOX_WORKER"] if reminders is None else reminders:
        start_reminder_worker(app, svc, outbox_worker.wake if outbox_worker is not None else None)
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
