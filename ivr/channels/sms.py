"""POST /sms: a text comes in, a TwiML <Message> goes back."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from ..privacy import phone_hash, safe_sid, short_id
from ..services import current_flow, services
from ..storage.db import utcnow
from .sms_conversation import converse
from .sms_reply import phrase
from .twilio_auth import require_twilio_signature

bp = Blueprint("sms", __name__, url_prefix="/sms")
bp.before_request(require_twilio_signature)
log = logging.getLogger("ivr.sms")

MAX_BODY = 1600  # Twilio's own limit for one message body


def _twiml(text: str | None) -> Response:
    response = MessagingResponse()
    if text:
        response.message(text)
    return Response(str(response), mimetype="text/xml")


def _who() -> str:
    return phone_hash(request.form.get("From", ""), current_app.config["SECRET_KEY"])


@bp.post("")
def incoming_message():
    who = _who()
    reply, event = converse(current_flow(), services().sms, who, request.form.get("Body", "")[:MAX_BODY],
                            utcnow())
    log.info("message=%s from=%s event=%s replied=%s", safe_sid(request.form.get("MessageSid", "")),
             short_id(who), event, bool(reply))
    return _twiml(reply)


@bp.errorhandler(Exception)
def sms_error(error: Exception):
    if isinstance(error, HTTPException):
        return error
    log.exception("message=%s sms webhook failed", safe_sid(request.form.get("MessageSid", "")))
    try:
        flow = current_flow()
        return _twiml(phrase(flow, "sms_error", flow.default_language))
    except Exception:  # even the flow is unavailable
        return _twiml("Sorry, something went wrong. Reply MENU to start again.")
