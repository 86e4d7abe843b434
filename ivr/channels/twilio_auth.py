"""Checking that a webhook request really comes from Twilio (X-Twilio-Signature).

Twilio signs with the account's Auth Token and HMAC-SHA1, or, where a Webhook Rule applies a
shared key to the line's URLs, with that key's secret and the algorithm named in
X-Twilio-Webhooks-Signature-Settings (`key=...,algorithm=HMAC_SHA256`). The signed text is the
same either way: the full URL, then the sorted POST parameters.
"""
from __future__ import annotations

import hmac
import logging
from urllib.parse import quote

from flask import abort, current_app, request
from twilio.request_validator import (
    HMAC_SHA1,
    HMAC_SHA256,
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

log = logging.getLogger("ivr.security")

ALGORITHMS = (HMAC_SHA1, HMAC_SHA256)


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


def _secrets(config, settings: str | None) -> list[str]:
    """The secrets a request may be signed with: with a shared-key header, the shared keys
    configured (old and new during a rotation), then the Auth Token; without one, the Auth Token."""
    token = [config["TWILIO_AUTH_TOKEN"]] if config["TWILIO_AUTH_TOKEN"] else []
    if settings is None:
        return token
    return list(config.get("TWILIO_SHARED_KEY_SECRETS") or ()) + token


def signature_valid(secret: str, url: str, params, signature: str, algorithm: str) -> bool:
    """The twilio library's check. The URL exactly as received is tried first, alone: it is the
    one Twilio signs, and the library's full check (which also tries the URL with the port added
    and removed) costs two signatures."""
    validator = RequestValidator(secret)
    exact = validator.compute_signature(url, params, algorithm)
    return hmac.compare_digest(exact.encode(), signature.encode()) or validator.validate(
        url, params, signature, algorithm)


def require_twilio_signature() -> None:
    """before_request hook for the webhook blueprints: 403 unless the signature matches."""
    config = current_app.config
    if not config["VERIFY_SIGNATURES"]:
        return
    signature = request.headers.get(SIGNATURE_HEADER, "")
    settings = request.headers.get(SIGNATURE_SETTINGS_HEADER)
    algorithm = get_signature_algorithm(settings).upper()
    if algorithm not in ALGORITHMS:
        log.warning("refused a request to %s: unknown signature algorithm", request.path)
        abort(403)
    secrets, url = _secrets(config, settings), signed_url()
    if not signature or not secrets or not any(
            signature_valid(secret, url, request.form, signature, algorithm) for secret in secrets):
        if settings is not None and not config.get("TWILIO_SHARED_KEY_SECRETS"):
            log.error("refused a request to %s signed with a Twilio shared key: set TWILIO_SHARED_KEY_SECRET "
                      "to that key's secret", request.path)
        else:
            log.warning("rejected unsigned or wrongly signed request to %s", request.path)
        abort(403)
