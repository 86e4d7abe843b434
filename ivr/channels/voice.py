"""POST /voice and the steps of a call. State rides in the URL, so any worker can answer."""
from __future__ import annotations

import logging
from dataclasses import replace
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from ..booking.dialog import CANCEL, CANCEL_NAME, CB_DIGITS, CB_NAME, CB_NUMBER, DIALOGS, NAME, READBACK
from ..engine.step import (
    Input,
    Result,
    State,
    Turn,
    arrive,
    sanitize,
    start_state,
    step,
)
from ..messaging.texts import queue_text
from ..observability.steps import record_call
from ..privacy import keyed_hash, safe_sid
from ..render import voice as voice_twiml
from ..render.sms import compose
from ..services import current_flow, current_time, services
from ..services.desk import ClinicDesk
from .call_record import CANCEL_OK, CallRecord
from .call_record import NAME as DRAFT_NAME
from .twilio_auth import require_twilio_signature

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(require_twilio_signature)
log = logging.getLogger("ivr.voice")

MAX_SPEECH = 500  # characters of a speech result worth matching
MAX_DIGITS = 20
# Steps that need the name the caller gave, and the step that asks for it when this call gave
# none (a step URL it was never sent): nothing is booked or called back without a name.
NAMED_STAGES = {READBACK: NAME, CB_NUMBER: CB_NAME, CB_DIGITS: CB_NAME}
MAX_URL_DIGITS = 9  # ids, pages and counts in a step URL: any database integer holds them


def _twiml(response) -> Response:
    return Response(str(response), mimetype="text/xml")


def _number(text: str) -> int | None:
    """A number the line wrote into a step URL: plain ASCII digits, not too many; else None."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= MAX_URL_DIGITS else None


def _int(args, name: str) -> int:
    return _number(args.get(name, "")) or 0


def _state(record: CallRecord) -> State:
    """Where the call is, from the URL Twilio was given; the caller's name from the database."""
    args = request.args
    offered = tuple(n for n in map(_number, args.get("offered", "").split("-")) if n is not None)
    state = State(args.get("node", ""), args.get("lang", ""), _int(args, "miss"), args.get("stage", ""),
                  _int(args, "slot"), _int(args, "page"), offered, _int(args, "ref"), confirm=args.get("confirm", ""))
    if state.stage in NAMED_STAGES:
        name = record.name
        state = replace(state, name=name) if name else replace(state, stage=NAMED_STAGES[state.stage])
    elif state.stage == CANCEL and not record.proved(state.ref):
        state = replace(state, stage=CANCEL_NAME, ref=0)  # this call never proved the booking is theirs
    return state


def _input(form, confirm_below: float) -> Input:
    digits = form.get("Digits", "").strip()
    speech = form.get("SpeechResult", "").strip()
    if digits:
        return Input("key", digits[:MAX_DIGITS])
    if speech:
        return Input("speech", speech[:MAX_SPEECH], sure=_confidence(form) >= confirm_below)
    return Input("silence")


def _confidence(form) -> float:
    """Twilio's Confidence for the speech result, 0 to 1; 1 when it sends none (nothing to doubt)."""
    try:
        confidence = float(form.get("Confidence", "") or 1.0)
    except ValueError:
        return 1.0
    return confidence if 0 <= confidence <= 1 else 1.0


def _record(form, config, now) -> CallRecord:
    return CallRecord(keyed_hash(form.get("CallSid", ""), config["SECRET_KEY"]), form.get("CallSid", ""), now)


def _desk(flow, form, config, lang: str, now, record: CallRecord) -> ClinicDesk:
    return ClinicDesk(flow=flow, stores=services(), config=config, caller=form.get("From", ""),
                      channel="voice", lang=lang, now=now, send_text=queue_text, compose_sms=compose,
                      trust=record.trust, call_hash=record.call_key)


def _answer(flow, result: Result, inp: Input, form, config, record: CallRecord, now) -> Response:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("call=%s node=%s lang=%s stage=%s event=%s input=%s", safe_sid(form.get("CallSid", "")),
                  result.state.node, result.state.lang, result.state.stage or "-", result.event, inp.kind)
    record_call(result, inp, record.call_key, form.get("From", ""), config["SECRET_KEY"], now)  # never raises
    if result.state.name and result.state.name != record.name:
        record.keep(**{DRAFT_NAME: result.state.name})
    if result.event == "cancel_verified":  # the caller said the booking's name: they may hear and cancel it
        record.keep(**{CANCEL_OK: result.state.ref})
    zone = ZoneInfo(config["CLINIC_TIMEZONE"])
    return Response(voice_twiml.document(flow, result, config["TRANSFER_NUMBER"], zone), mimetype="text/xml")


@bp.post("")
def incoming_call():
    flow, now, inp, form, config = current_flow(), current_time(), Input("start"), request.form, current_app.config
    record = _record(form, config, now)
    record.start(form.get("StirVerstat", ""))  # Twilio's caller-ID verification, on this request
    return _answer(flow, step(flow, start_state(flow), inp), inp, form, config, record, now)


@bp.post("/step")
def gathered():
    flow, now, form, config = current_flow(), current_time(), request.form, current_app.config
    record = _record(form, config, now)
    inp, state = _input(form, config["SPEECH_CONFIRM_BELOW"]), _state(record)
    result = step(flow, state, inp, desk=_desk(flow, form, config, state.lang, now, record), dialogs=DIALOGS)
    return _answer(flow, result, inp, form, config, record, now)


@bp.post("/node")
def show_node():
    """Present a node afresh (after a failed transfer, or a redirect)."""
    flow, now, inp, form, config = current_flow(), current_time(), Input("start"), request.form, current_app.config
    record = _record(form, config, now)
    state = sanitize(flow, _state(record), DIALOGS)
    turn = Turn(flow, _desk(flow, form, config, state.lang, now, record), DIALOGS)
    result = arrive(turn, state, state.node, "show")
    return _answer(flow, result, inp, form, config, record, now)


@bp.post("/dial-done")
def dial_done():
    flow = current_flow()
    lang = sanitize(flow, State("", request.args.get("lang", ""))).lang
    status = request.form.get("DialCallStatus", "")
    log.info("call=%s transfer status=%s", safe_sid(request.form.get("CallSid", "")), safe_sid(status))
    return _twiml(voice_twiml.render_dial_done(flow, lang, status))


@bp.errorhandler(Exception)
def voice_error(error: Exception):
    if isinstance(error, HTTPException):
        return error
    log.exception("call=%s voice webhook failed", safe_sid(request.form.get("CallSid", "")))
    try:
        flow = current_flow()
    except Exception:  # the flow itself is unavailable: fall back to plain English
        flow = None
    return _twiml(voice_twiml.render_error(flow, request.args.get("lang", ""),
                                           current_app.config.get("TRANSFER_NUMBER", "")))
