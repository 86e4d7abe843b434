"""Checking that a webhook request really comes from Twilio (X-Twilio-Signature)."""
from __future__ import annotations

import logging
from urllib.parse import quote

from flask import abort, current_app, request
from twilio.request_validator import RequestValidator

log = logging.getLogger("ivr.security")


def signed_url() -> str:
    """The URL Twilio signed: the public base URL (behind a proxy) plus path and query as sent."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        query = request.query_string.decode("latin-1")
        raw = quote(request.path) + (f"?{query}" if query else "")
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        return base + raw
    return request.host_url.rstrip("/") + raw


def require_twilio_signature() -> None:
    """before_request hook for the webhook blueprints: 403 unless the signature matches."""
    config = current_app.config
    if not config["VERIFY_SIGNATURES"]:
        return
    signature = request.headers.get("X-Twilio-Signature", "")
    validator = RequestValidator(config["TWILIO_AUTH_TOKEN"] or "")
    if not signature or not config["TWILIO_AUTH_TOKEN"] or not validator.validate(
        signed_url(), request.form, signature
    ):
        log.warning("rejected unsigned or wrongly signed request to %s", request.path)
        abort(403)
