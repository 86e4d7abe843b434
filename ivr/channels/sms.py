"""POST /sms: a text comes in, a TwiML <Message> goes back."""
from __future__ import annotations

import logging
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from twilio.twiml.messaging_response import MessagingResponse
from werkzeug.exceptions import HTTPException

from ..messaging.texts import queue_text
from ..observability.steps import record_text
from ..privacy import phone_hash, safe_sid, short_id
from ..render.sms import compose, phrase
from ..services import current_flow, current_time, services
from ..services.desk import ClinicDesk
from .sms_conversation import converse
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


@bp.post("")
def incoming_message():
    form, config, svc = request.form, current_app.config, services()
    who, now, flow = phone_hash(form.get("From", ""), config["SECRET_KEY"]), current_time(), current_flow()

    def make_desk(lang: str) -> ClinicDesk:
        return ClinicDesk(flow=flow, stores=svc, config=config, caller=form.get("From", ""),
                          channel="sms", lang=lang, now=now, send_text=queue_text, compose_sms=compose)

    reply, event, state = converse(flow, svc.sms, who, form.get("Body", "")[:MAX_BODY], now, make_desk,
                                   ZoneInfo(config["CLINIC_TIMEZONE"]), svc.limiter)
    if log.isEnabledFor(logging.DEBUG):
        log.debug("message=%s from=%s event=%s replied=%s", safe_sid(form.get("MessageSid", "")), short_id(who),
                  event, bool(reply))
    record_text(who, event, state, now)  # the events table and /metrics; never raises
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
