"""POST /voice and the steps of a call. State rides in the URL, so any worker can answer."""
from __future__ import annotations

import logging

from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import HTTPException

from ..engine.step import Input, Result, State, sanitize, start_state, step
from ..privacy import safe_sid
from ..services import current_flow
from . import voice_twiml
from .twilio_auth import require_twilio_signature

bp = Blueprint("voice", __name__, url_prefix="/voice")
bp.before_request(require_twilio_signature)
log = logging.getLogger("ivr.voice")

MAX_SPEECH = 500  # characters of a speech result worth matching


def _twiml(response) -> Response:
    return Response(str(response), mimetype="text/xml")


def _state() -> State:
    try:
        misses = int(request.args.get("miss", "0"))
    except ValueError:
        misses = 0
    return State(request.args.get("node", ""), request.args.get("lang", ""), misses)


def _input() -> Input:
    digits = request.form.get("Digits", "").strip()
    speech = request.form.get("SpeechResult", "").strip()
    if digits:
        return Input("key", digits)
    if speech:
        return Input("speech", speech[:MAX_SPEECH])
    return Input("silence")


def _answer(result: Result, inp: Input) -> Response:
    log.info("call=%s node=%s lang=%s event=%s input=%s", safe_sid(request.form.get("CallSid", "")),
             result.state.node, result.state.lang, result.event, inp.kind)
    flow = current_flow()
    return _twiml(voice_twiml.render(flow, result, current_app.config["TRANSFER_NUMBER"]))


@bp.post("")
def incoming_call():
    flow = current_flow()
    inp = Input("start")
    return _answer(step(flow, start_state(flow), inp), inp)


@bp.post("/step")
def gathered():
    inp = _input()
    return _answer(step(current_flow(), _state(), inp), inp)


@bp.post("/node")
def show_node():
    inp = Input("start")
    return _answer(Result(sanitize(current_flow(), _state()), "show"), inp)


@bp.post("/dial-done")
def dial_done():
    flow = current_flow()
    lang = sanitize(flow, _state()).lang
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
