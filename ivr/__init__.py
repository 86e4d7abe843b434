"""The spine health information line: Flask webhooks for Twilio voice and SMS."""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask

from . import config as settings


def create_app(overrides: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.update(settings.from_env(app.instance_path))
    app.config.update(overrides or {})
    _configure_logging(app)
    for warning in settings.check(app.config):
        app.logger.warning(warning)

    from .flow.source import FlowSource
    from .services import Services
    from .storage.db import Database
    from .storage.sms_store import SmsStore

    db = Database(app.config["DATABASE_URL"])
    db.create_tables()
    app.extensions["ivr"] = Services(
        flows=FlowSource(app.config["FLOWS_DIR"]),
        db=db,
        sms=SmsStore(db, app.config["SMS_SESSION_MINUTES"]),
    )

    from .channels import sms, voice

    app.register_blueprint(voice.bp)
    app.register_blueprint(sms.bp)
    return app


def _configure_logging(app: Flask) -> None:
    logger = logging.getLogger("ivr")
    if not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
